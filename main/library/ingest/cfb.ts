// A Compound File (OLE2, [MS-CFB]): the container of Word 97-2003 documents. A
// file of sectors (512 or 4096 bytes) after a 512-byte header; streams are chains
// of sectors through the FAT, small ones (under 4096 bytes) chains of 64-byte mini
// sectors through the mini FAT, inside the root entry's stream.
//   header        magic D0 CF 11 E0 A1 B1 1A E1, sector shift (30), mini sector
//                 shift (32), FAT sector count (44), first directory sector (48),
//                 mini stream cutoff (56), first mini FAT sector (60), first DIFAT
//                 sector (68), then the first 109 FAT sectors' numbers (76)
//   DIFAT sectors the numbers of further FAT sectors, the last entry the next one
//   directory     128-byte entries: name (UTF-16 LE, 64 bytes; its length at 64),
//                 type (66: 1 storage, 2 stream, 5 root), first sector (116), size (120)
// Every chain is followed at most once per sector: a loop or a sector past the
// file is CORRUPT_FILE, never a hang.
import { corrupt } from "./errors";

export const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const END_OF_CHAIN = 0xfffffffe;
const FREE = 0xffffffff;
/** The most a stream may hold (a Word document's text is far less). */
const MAX_STREAM = 256 * 2 ** 20;

export const isCompoundFile = (b: Uint8Array) => b.length >= 512 && CFB_MAGIC.every((m, i) => b[i] === m);

export class CompoundFile {
  private readonly view: DataView;
  private readonly sectorSize: number;
  private readonly fat: Uint32Array;
  private readonly entries: { name: string; type: number; start: number; size: number }[] = [];
  private miniFat: Uint32Array | null = null;
  private miniStream: Uint8Array | null = null;
  private readonly cutoff: number;

  constructor(private readonly bytes: Uint8Array, private readonly what: string) {
    if (!isCompoundFile(bytes)) throw corrupt(what, "not a compound (OLE) file");
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const shift = this.view.getUint16(30, true);
    if (shift !== 9 && shift !== 12) throw corrupt(what, `sector size 2^${shift}`);
    this.sectorSize = 1 << shift;
    this.cutoff = this.view.getUint32(56, true);
    this.fat = this.readFat();
    const dir = this.chain(this.view.getUint32(48, true), this.fat, (n) => this.sector(n), this.sectorSize, Infinity);
    for (let at = 0; at + 128 <= dir.length; at += 128) {
      const d = new DataView(dir.buffer, dir.byteOffset + at, 128);
      const nameBytes = Math.min(64, d.getUint16(64, true));
      let name = "";
      for (let k = 0; k + 1 < nameBytes - 1; k += 2) name += String.fromCharCode(d.getUint16(k, true));
      this.entries.push({ name, type: d.getUint8(66), start: d.getUint32(116, true), size: d.getUint32(120, true) });
    }
    if (!this.entries.length || this.entries[0].type !== 5) throw corrupt(what, "no root entry");
  }

  /** The stream of this name (anywhere in the file; Word's are at the root), or null. */
  stream(name: string): Uint8Array | null {
    const e = this.entries.find((x) => x.type === 2 && x.name === name);
    if (!e) return null;
    if (e.size > MAX_STREAM) throw corrupt(this.what, `a stream of ${e.size} bytes`);
    if (e.size >= this.cutoff) return this.chain(e.start, this.fat, (n) => this.sector(n), this.sectorSize, e.size);
    this.loadMini();
    return this.chain(e.start, this.miniFat!, (n) => this.miniSector(n), 64, e.size);
  }

  has(name: string): boolean {
    return this.entries.some((x) => x.name === name);
  }

  private sector(n: number): Uint8Array {
    const at = (n + 1) * this.sectorSize;
    if (at + this.sectorSize > this.bytes.length) {
      // the last sector may be cut short by writers that do not pad the file
      if (at < this.bytes.length) return this.bytes.subarray(at);
      throw corrupt(this.what, `sector ${n} lies past the end`);
    }
    return this.bytes.subarray(at, at + this.sectorSize);
  }

  private miniSector(n: number): Uint8Array {
    const at = n * 64;
    if (at + 64 > this.miniStream!.length) throw corrupt(this.what, `mini sector ${n} lies past the mini stream`);
    return this.miniStream!.subarray(at, at + 64);
  }

  /** The chain from `first` through `table`, `size` bytes of it (Infinity: to its end). */
  private chain(first: number, table: Uint32Array, read: (n: number) => Uint8Array, unit: number, size: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let have = 0;
    const seen = new Set<number>();
    for (let n = first; n !== END_OF_CHAIN && have < size; n = table[n]) {
      if (n >= table.length || seen.has(n)) throw corrupt(this.what, n >= table.length ? "a chain leaves its table" : "a chain loops");
      seen.add(n);
      const s = read(n);
      parts.push(s);
      have += s.length;
    }
    if (size !== Infinity && have < size) throw corrupt(this.what, "a stream is shorter than its size");
    const all = Buffer.concat(parts, have);
    return size === Infinity ? all : all.subarray(0, size);
  }

  /** The FAT, from the header's and the DIFAT sectors' lists of its sectors. */
  private readFat(): Uint32Array {
    const count = this.view.getUint32(44, true);
    const perSector = this.sectorSize / 4;
    if (count > this.bytes.length / this.sectorSize + 1) throw corrupt(this.what, "more FAT sectors than the file holds");
    const numbers: number[] = [];
    for (let i = 0; i < 109 && numbers.length < count; i++) numbers.push(this.view.getUint32(76 + 4 * i, true));
    const seen = new Set<number>();
    for (let d = this.view.getUint32(68, true); numbers.length < count && d !== END_OF_CHAIN && d !== FREE; ) {
      if (seen.has(d)) throw corrupt(this.what, "the DIFAT loops");
      seen.add(d);
      const s = this.sector(d);
      for (let i = 0; i < perSector - 1 && numbers.length < count; i++) numbers.push(readU32(s, 4 * i));
      d = readU32(s, this.sectorSize - 4);
    }
    if (numbers.length < count) throw corrupt(this.what, "the FAT's sectors are not all listed");
    const fat = new Uint32Array(count * perSector);
    numbers.forEach((n, i) => {
      const s = this.sector(n);
      for (let k = 0; k * 4 + 4 <= s.length; k++) fat[i * perSector + k] = readU32(s, 4 * k);
    });
    return fat;
  }

  private loadMini(): void {
    if (this.miniStream) return;
    const root = this.entries[0];
    this.miniStream = root.size ? this.chain(root.start, this.fat, (n) => this.sector(n), this.sectorSize, root.size) : new Uint8Array(0);
    const first = this.view.getUint32(60, true);
    const raw = first === END_OF_CHAIN || first === FREE ? new Uint8Array(0) : this.chain(first, this.fat, (n) => this.sector(n), this.sectorSize, Infinity);
    this.miniFat = new Uint32Array(raw.length >> 2);
    for (let k = 0; k < this.miniFat.length; k++) this.miniFat[k] = readU32(raw, 4 * k);
  }
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
