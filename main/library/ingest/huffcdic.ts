// HUFF/CDIC, the Kindle's Huffman compression (compression 17480; kindlegen's
// smallest output): a record's bits are codes, each naming a phrase of a
// dictionary; a phrase may itself be compressed, and is expanded on first use.
//   HUFF record   "HUFF" 0x00000018, offset of table 1, offset of table 2
//     table 1     256 u32 by a code's first 8 bits: its length (low 5 bits), whether
//                 that length is final (0x80), and, when it is, the greatest code of
//                 that length (bits 8-31, right-aligned)
//     table 2     32 pairs (least, greatest code) for lengths 1-32, right-aligned
//   CDIC records  "CDIC" 0x00000010, phrase count (all records), bits per record's
//                 share (a record holds at most 2^bits phrases), then u16 offsets
//                 (from byte 16) of phrases: u16 length (low 15 bits; top bit:
//                 stored as is, else compressed), bytes
// A code of length L read as 32 left-aligned bits names phrase (greatest - code) >> (32 - L).
import { corrupt } from "./errors";

const WHAT = "Kindle book";
/** Nesting of compressed phrases followed at most (real books nest one or two deep). */
const MAX_DEPTH = 32;

interface Phrase {
  bytes: Uint8Array;
  /** expanded (or stored as is) */
  plain: boolean;
  /** being expanded now: a phrase that names itself, at any depth, is corrupt */
  open?: boolean;
}

const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const u16 = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const magic = (b: Uint8Array, text: string, size: number) =>
  b.length >= 16 && String.fromCharCode(b[0], b[1], b[2], b[3]) === text && u32(b, 4) === size;

export class HuffCdic {
  /** by a code's first byte: length, final, greatest code (left-aligned) */
  private readonly first: { length: number; final: boolean; greatest: number }[] = [];
  /** by length 1-32, left-aligned */
  private readonly least = new Array<number>(33).fill(0);
  private readonly greatest = new Array<number>(33).fill(0);
  private readonly phrases: Phrase[] = [];

  /** From the HUFF record and the CDIC records that follow it. */
  constructor(huff: Uint8Array, cdics: Uint8Array[]) {
    if (!magic(huff, "HUFF", 0x18)) throw corrupt(WHAT, "its HUFF record is malformed");
    const t1 = u32(huff, 8);
    const t2 = u32(huff, 12);
    if (t1 + 256 * 4 > huff.length || t2 + 64 * 4 > huff.length) throw corrupt(WHAT, "its HUFF tables run past the record");
    for (let i = 0; i < 256; i++) {
      const v = u32(huff, t1 + 4 * i);
      const length = v & 0x1f;
      if (length === 0) throw corrupt(WHAT, "its HUFF table has a code of length 0");
      this.first.push({ length, final: (v & 0x80) !== 0, greatest: ((v >>> 8) + 1) * 2 ** (32 - length) - 1 });
    }
    for (let length = 1; length <= 32; length++) {
      this.least[length] = u32(huff, t2 + 8 * (length - 1)) * 2 ** (32 - length);
      this.greatest[length] = (u32(huff, t2 + 8 * (length - 1) + 4) + 1) * 2 ** (32 - length) - 1;
    }
    for (const cdic of cdics) this.addPhrases(cdic);
  }

  private addPhrases(cdic: Uint8Array): void {
    if (!magic(cdic, "CDIC", 0x10)) throw corrupt(WHAT, "a CDIC record is malformed");
    const total = u32(cdic, 8);
    const bits = u32(cdic, 12);
    const n = Math.min(2 ** Math.min(bits, 16), total - this.phrases.length);
    if (n < 0 || 16 + 2 * n > cdic.length) throw corrupt(WHAT, "a CDIC record's offsets run past it");
    for (let i = 0; i < n; i++) {
      const at = 16 + u16(cdic, 16 + 2 * i);
      if (at + 2 > cdic.length) throw corrupt(WHAT, "a CDIC phrase lies past its record");
      const head = u16(cdic, at);
      const end = at + 2 + (head & 0x7fff);
      if (end > cdic.length) throw corrupt(WHAT, "a CDIC phrase runs past its record");
      this.phrases.push({ bytes: cdic.subarray(at + 2, end), plain: (head & 0x8000) !== 0 });
    }
  }

  /** A record's bytes expanded; `limit` bounds what it may grow to. */
  expand(data: Uint8Array, limit: number): Uint8Array {
    return this.expanded(data, 0, limit, "a text record expands past its size");
  }

  /** Bytes expanded at a depth of nesting, at most `limit` of them (else CORRUPT_FILE saying `tooLarge`). */
  private expanded(data: Uint8Array, depth: number, limit: number, tooLarge: string): Uint8Array {
    const parts: Uint8Array[] = [];
    let size = 0;
    const collect = (b: Uint8Array) => {
      size += b.length;
      if (size > limit) throw corrupt(WHAT, tooLarge);
      parts.push(b);
    };
    this.walk(data, collect, depth, limit);
    return Buffer.concat(parts, size);
  }

  /** Emits each code's phrase; a phrase expanded here may grow to `limit` at most. */
  private walk(data: Uint8Array, emit: (b: Uint8Array) => void, depth: number, limit: number): void {
    if (depth > MAX_DEPTH) throw corrupt(WHAT, "its compressed phrases nest too deep");
    const bits = data.length * 8;
    for (let at = 0; ; ) {
      const code = peek32(data, at);
      let { length, final, greatest } = this.first[code >>> 24];
      if (!final) {
        while (length <= 32 && code < this.least[length]) length++;
        if (length > 32) throw corrupt(WHAT, "a code matches no length of its HUFF table");
        greatest = this.greatest[length];
      }
      at += length;
      if (at > bits) return; // the padding's bits are not a code
      const index = Math.floor((greatest - code) / 2 ** (32 - length));
      const phrase = this.phrases[index];
      if (!phrase || index < 0) throw corrupt(WHAT, "a code names a phrase its dictionary lacks");
      if (!phrase.plain) {
        if (phrase.open) throw corrupt(WHAT, "a compressed phrase contains itself");
        phrase.open = true;
        phrase.bytes = this.expanded(phrase.bytes, depth + 1, limit, "a compressed phrase expands past a record's size");
        phrase.plain = true;
        phrase.open = false;
      }
      emit(phrase.bytes);
    }
  }
}

/** The 32 bits from bit `at` (0 = the first byte's top bit), zeros past the end. */
function peek32(b: Uint8Array, at: number): number {
  const i = at >>> 3;
  const s = at & 7;
  const byte = (k: number) => (i + k < b.length ? b[i + k] : 0);
  const w = ((byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3)) >>> 0;
  return s ? ((w << s) | (byte(4) >>> (8 - s))) >>> 0 : w;
}
