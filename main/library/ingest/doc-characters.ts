// Which characters of a Word 97-2003 document are not its text: deleted revisions
// (tracked changes, still in the file) and hidden text ([MS-DOC]).
//   character properties' bins (PlcBteChpx, FIB pair 12): n+1 FCs and n page numbers
//   of 512-byte pages (FKP) of WordDocument, each: runs' FCs (count+1), then per run
//   a byte (the offset/2 of its properties; 0: none), the count in the last byte;
//   the properties: a size byte, then changes (sprm u16, operand): 0x0800 deleted,
//   0x083C hidden (1, or 0x81 "the opposite of the style's", set)
// A character's properties are those of the run holding its FC.

const SPRM_C_DELETED = 0x0800;
const SPRM_C_HIDDEN = 0x083c;
/** Operand sizes by a sprm's top 3 bits (6: variable, its first byte the size). */
const OPERAND = [1, 1, 2, 4, 2, 2, -1, 3];

export class LeftOutCharacters {
  private readonly fcs: number[] = [];
  private readonly pages: number[] = [];
  private readonly cache = new Map<number, { fcs: number[]; out: boolean[] } | null>();
  /** the page last looked in (characters are asked for in order) */
  private last: { fcs: number[]; out: boolean[] } | null = null;

  constructor(private readonly word: Uint8Array, table: Uint8Array, [fc, lcb]: [number, number]) {
    if (!lcb || fc + lcb > table.length || (lcb - 4) % 8) return;
    const n = (lcb - 4) / 8;
    const v = new DataView(table.buffer, table.byteOffset + fc, lcb);
    for (let i = 0; i <= n; i++) this.fcs.push(v.getUint32(4 * i, true));
    for (let i = 0; i < n; i++) this.pages.push(v.getUint32(4 * (n + 1) + 4 * i, true) & 0x3fffff);
  }

  /** Whether the character stored at `fc` is deleted or hidden. */
  at(fc: number): boolean {
    const page = this.last && this.last.fcs[0] <= fc && fc < this.last.fcs[this.last.fcs.length - 1] ? this.last : this.pageFor(fc);
    if (!page) return false;
    this.last = page;
    let lo = 0;
    let hi = page.out.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (page.fcs[mid] <= fc) lo = mid;
      else hi = mid - 1;
    }
    return page.fcs[lo] <= fc && fc < page.fcs[lo + 1] && page.out[lo];
  }

  private pageFor(fc: number): { fcs: number[]; out: boolean[] } | null {
    if (!this.pages.length || fc < this.fcs[0]) return null;
    let lo = 0;
    let hi = this.pages.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.fcs[mid] <= fc) lo = mid;
      else hi = mid - 1;
    }
    const pn = this.pages[lo];
    if (!this.cache.has(pn)) this.cache.set(pn, this.readPage(pn));
    return this.cache.get(pn)!;
  }

  private readPage(pn: number): { fcs: number[]; out: boolean[] } | null {
    const at = pn * 512;
    if (at + 512 > this.word.length) return null;
    const b = this.word.subarray(at, at + 512);
    const v = new DataView(b.buffer, b.byteOffset, 512);
    const runs = b[511];
    if (5 * runs + 4 > 511) return null;
    const fcs = Array.from({ length: runs + 1 }, (_, i) => v.getUint32(4 * i, true));
    const out = Array.from({ length: runs }, (_, i) => {
      const offset = 2 * b[4 * (runs + 1) + i];
      return offset > 0 && offset < 511 && leftOut(b, offset + 1, Math.min(511, offset + 1 + b[offset]));
    });
    return { fcs, out };
  }
}

/** Whether character property changes in [at, end) delete or hide the run. */
function leftOut(b: Uint8Array, at: number, end: number): boolean {
  for (let p = at; p + 2 <= end; ) {
    const sprm = b[p] | (b[p + 1] << 8);
    p += 2;
    let size = OPERAND[sprm >> 13];
    if (size < 0) {
      if (p >= end) break;
      size = 1 + b[p];
    }
    if ((sprm === SPRM_C_DELETED || sprm === SPRM_C_HIDDEN) && p < end && (b[p] === 1 || b[p] === 0x81)) return true;
    p += size;
  }
  return false;
}
