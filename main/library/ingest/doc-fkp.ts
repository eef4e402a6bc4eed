// What a Word 97-2003 document's paragraph and character properties share ([MS-DOC]):
//   bins (PlcBtePapx, PlcBteChpx)  n+1 FCs and n page numbers (low 22 bits): the
//                                  512-byte page (FKP) of WordDocument holding the
//                                  properties of the text stored in each FC range
//   a page                         its runs' FCs (count+1, u32), then per run what
//                                  locates its properties, the run count in byte 511
//   property changes (grpprl)      sprm (u16), then its operand, whose size the
//                                  sprm's top 3 bits give (6: the operand's first
//                                  byte is its size)

/** Operand sizes by a sprm's top 3 bits (-1: variable). */
const OPERAND = [1, 1, 2, 4, 2, 2, -1, 3];

/** A run table of one page: each run's FC range (fcs[i], fcs[i+1]) and what it holds. */
export interface FkpPage<T> {
  fcs: number[];
  runs: T[];
}

/** A bin table's pages, read by `readPage` (its bytes; null: unreadable) and kept once read. */
export class FkpBins<T> {
  private readonly fcs: number[] = [];
  private readonly pages: number[] = [];
  private readonly cache = new Map<number, FkpPage<T> | null>();
  /** the page last looked in (the text is asked for in order) */
  private last: FkpPage<T> | null = null;

  constructor(
    private readonly word: Uint8Array,
    table: Uint8Array,
    [fc, lcb]: [number, number],
    private readonly readPage: (page: Uint8Array) => FkpPage<T> | null,
  ) {
    if (!lcb || fc + lcb > table.length || (lcb - 4) % 8) return;
    const n = (lcb - 4) / 8;
    const v = new DataView(table.buffer, table.byteOffset + fc, lcb);
    for (let i = 0; i <= n; i++) this.fcs.push(v.getUint32(4 * i, true));
    for (let i = 0; i < n; i++) this.pages.push(v.getUint32(4 * (n + 1) + 4 * i, true) & 0x3fffff);
  }

  /** What the run holding `fc` holds, or undefined when no page holds it. */
  at(fc: number): T | undefined {
    const last = this.last;
    const page = last && last.fcs[0] <= fc && fc < last.fcs[last.fcs.length - 1] ? last : this.pageFor(fc);
    if (!page) return undefined;
    this.last = page;
    const i = runAt(page.fcs, fc);
    return i >= 0 && i < page.runs.length ? page.runs[i] : undefined;
  }

  private pageFor(fc: number): FkpPage<T> | null {
    const bin = runAt(this.fcs, fc);
    if (bin < 0 || bin >= this.pages.length) return null;
    const pn = this.pages[bin];
    if (!this.cache.has(pn)) {
      const at = pn * 512;
      this.cache.set(pn, at + 512 <= this.word.length ? this.readPage(this.word.subarray(at, at + 512)) : null);
    }
    return this.cache.get(pn)!;
  }
}

/** The index i with fcs[i] <= fc < fcs[i + 1] (fcs ascending), or -1. */
function runAt(fcs: number[], fc: number): number {
  if (fcs.length < 2 || fc < fcs[0] || fc >= fcs[fcs.length - 1]) return -1;
  let lo = 0;
  let hi = fcs.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (fcs[mid] <= fc) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A page's runs' FCs (count in byte 511), or null when the count does not fit with `perRun` bytes a run after them. */
export function pageRuns(b: Uint8Array, perRun: number): number[] | null {
  const runs = b[511];
  if (4 * (runs + 1) + perRun * runs > 511) return null;
  const v = new DataView(b.buffer, b.byteOffset, 512);
  return Array.from({ length: runs + 1 }, (_, i) => v.getUint32(4 * i, true));
}

/** Each property change in [at, end) of `b`: its sprm and where its operand starts. */
export function* sprms(b: Uint8Array, at: number, end: number): Generator<{ sprm: number; operand: number }> {
  for (let p = at; p + 2 <= end; ) {
    const sprm = b[p] | (b[p + 1] << 8);
    p += 2;
    let size = OPERAND[sprm >> 13];
    if (size < 0) {
      if (p >= end) return;
      size = 1 + b[p]; // (sprmPChgTabs' own form is rare in these runs; a wrong size ends the scan)
    }
    if (p < end) yield { sprm, operand: p };
    p += size;
  }
}
