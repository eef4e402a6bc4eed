// Which Word 97-2003 paragraphs are headings: each paragraph's style (istd) from
// its properties, and each style's level from the style sheet ([MS-DOC]).
//   style sheet   (STSH, FIB pair 1) u16 header size, header (count of styles at 0,
//                 size of a style's fixed part at 2), then per style: u16 size, and
//                 when not 0 its fixed part (sti, the built-in identity, in the low
//                 12 bits of its first u16; the style it is based on in the top 12
//                 bits of its second) and its name (u16 length, UTF-16 LE)
//   built-in      sti 1-9 Heading 1-9, 62 Title, 74 Subtitle; a style of another
//                 sti is a heading by its name ("heading 2"), or by the style it is
//                 based on
//   paragraph     (PlcBtePapx, FIB pair 13) n+1 FCs and n page numbers: 512-byte
//   properties    pages (FKP) of WordDocument, each: runs' FCs (count+1), then per
//                 run a byte offset/2 of its properties (0: none, Normal) and 12
//                 bytes; the properties: a size byte (0: a second one, the size
//                 in words), then the style's istd (u16), then property changes
//                 (sprm u16, its operand's size from its top 3 bits): 0x2640 the
//                 paragraph's own outline level (0-8; 9 body text); 0x460B its list
//                 (1-based, into the list overrides; 0 none) and 0x260A its level there
// A paragraph's properties are those of the run holding its paragraph mark's FC. A
// paragraph is a heading by its style, else by its own outline level (LibreOffice
// writes headings whose style the document does not define so).
import type { StyleLevel } from "./document-book";

const STI_TITLE = 62;
const STI_SUBTITLE = 74;
const MAX_BASES = 10;

/** Each style's level (by istd): 0-8 a heading's, "title", "subtitle", or null. */
export function styleLevels(table: Uint8Array, [fc, lcb]: [number, number]): StyleLevel[] {
  if (!lcb || fc + lcb > table.length || lcb < 4) return [];
  const s = table.subarray(fc, fc + lcb);
  const v = new DataView(s.buffer, s.byteOffset, s.byteLength);
  const headerSize = v.getUint16(0, true);
  if (headerSize < 4 || 2 + headerSize > s.length) return [];
  const count = v.getUint16(2, true);
  const baseSize = v.getUint16(4, true);
  const styles: { sti: number; base: number; name: string }[] = [];
  let p = 2 + headerSize;
  for (let i = 0; i < count && p + 2 <= s.length; i++) {
    const size = v.getUint16(p, true);
    const at = p + 2;
    p = at + size;
    if (!size || p > s.length || size < 4) {
      styles.push({ sti: 0xfff, base: 0xfff, name: "" });
      continue;
    }
    const sti = v.getUint16(at, true) & 0x0fff;
    const base = v.getUint16(at + 2, true) >> 4;
    let name = "";
    const nameAt = at + baseSize;
    if (baseSize >= 4 && nameAt + 2 <= p) {
      const length = v.getUint16(nameAt, true);
      if (nameAt + 2 + 2 * length <= p) name = Buffer.from(s.subarray(nameAt + 2, nameAt + 2 + 2 * length)).toString("utf16le");
    }
    styles.push({ sti, base, name });
  }
  const own = (st: { sti: number; name: string }): StyleLevel | undefined => {
    if (st.sti >= 1 && st.sti <= 9) return st.sti - 1;
    if (st.sti === STI_TITLE) return "title";
    if (st.sti === STI_SUBTITLE) return "subtitle";
    const m = /^heading\s*([1-9])$/i.exec(st.name.trim());
    if (m) return Number(m[1]) - 1;
    if (/^title$/i.test(st.name.trim())) return "title";
    if (/^subtitle$/i.test(st.name.trim())) return "subtitle";
    return undefined;
  };
  return styles.map((st) => {
    // a user's style takes its level from the nearest style it is based on that has one
    let cur: (typeof styles)[number] | undefined = st;
    for (let k = 0; cur && k < MAX_BASES; k++) {
      const level = own(cur);
      if (level !== undefined) return level;
      cur = cur.base < styles.length ? styles[cur.base] : undefined;
    }
    return null;
  });
}

/** Paragraphs' styles by their mark's FC (see the file comment). */
export class ParagraphStyles {
  private readonly fcs: number[] = [];
  private readonly pages: number[] = [];
  private readonly cache = new Map<number, FkpPage>();

  constructor(private readonly word: Uint8Array, table: Uint8Array, [fc, lcb]: [number, number]) {
    if (!lcb || fc + lcb > table.length || (lcb - 4) % 8) return;
    const n = (lcb - 4) / 8;
    const v = new DataView(table.buffer, table.byteOffset + fc, lcb);
    for (let i = 0; i <= n; i++) this.fcs.push(v.getUint32(4 * i, true));
    for (let i = 0; i < n; i++) this.pages.push(v.getUint32(4 * (n + 1) + 4 * i, true) & 0x3fffff);
  }

  /** The properties (see ParagraphProps) of the paragraph whose mark is at `fc`; Normal's when they cannot be found. */
  at(fc: number): ParagraphProps {
    const none = NORMAL;
    // the bin whose FC range holds fc
    let lo = 0;
    let hi = this.pages.length - 1;
    if (hi < 0 || fc < this.fcs[0]) return none;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.fcs[mid] <= fc) lo = mid;
      else hi = mid - 1;
    }
    const page = this.page(this.pages[lo]);
    if (!page) return none;
    for (let i = 0; i + 1 < page.fcs.length; i++) if (page.fcs[i] <= fc && fc < page.fcs[i + 1]) return page.runs[i];
    return none;
  }

  private page(pn: number): FkpPage | null {
    const hit = this.cache.get(pn);
    if (hit) return hit;
    const at = pn * 512;
    if (at + 512 > this.word.length) return null;
    const b = this.word.subarray(at, at + 512);
    const v = new DataView(b.buffer, b.byteOffset, 512);
    const runs = b[511];
    if (4 * (runs + 1) + 13 * runs > 511) return null;
    const fcs = Array.from({ length: runs + 1 }, (_, i) => v.getUint32(4 * i, true));
    const props = Array.from({ length: runs }, (_, i) => {
      const offset = 2 * b[4 * (runs + 1) + 13 * i];
      if (!offset) return NORMAL;
      const size = b[offset] === 0 ? 2 * b[offset + 1] : 2 * b[offset] - 1;
      const lead = offset + (b[offset] === 0 ? 2 : 1);
      const end = Math.min(511, lead + size);
      if (lead + 2 > end) return NORMAL;
      return { istd: v.getUint16(lead, true), ...paragraphSprms(b, lead + 2, end) };
    });
    const out = { fcs, runs: props };
    this.cache.set(pn, out);
    return out;
  }
}

/** A paragraph's style, own outline level (9: none), list (ilfo, 1-based; 0: none) and level in it. */
export interface ParagraphProps {
  istd: number;
  outline: number;
  ilfo: number;
  ilvl: number;
}

const NORMAL: ParagraphProps = { istd: 0, outline: 9, ilfo: 0, ilvl: 0 };

interface FkpPage {
  fcs: number[];
  runs: ParagraphProps[];
}

const SPRM_P_OUT_LVL = 0x2640;
const SPRM_P_ILFO = 0x460b;
const SPRM_P_ILVL = 0x260a;
/** Operand sizes by a sprm's top 3 bits (6: variable, its first byte the size). */
const OPERAND = [1, 1, 2, 4, 2, 2, -1, 3];

/** The outline level (9: none), list and list level a paragraph's property changes in [at, end) set. */
function paragraphSprms(b: Uint8Array, at: number, end: number): Omit<ParagraphProps, "istd"> {
  let level = 9;
  let ilfo = 0;
  let ilvl = 0;
  for (let p = at; p + 2 <= end; ) {
    const sprm = b[p] | (b[p + 1] << 8);
    p += 2;
    let size = OPERAND[sprm >> 13];
    if (size < 0) {
      if (p >= end) break;
      size = 1 + b[p]; // (sprmPChgTabs' own form is rare in paragraph runs; a wrong size ends the scan)
    }
    if (sprm === SPRM_P_OUT_LVL && p < end) level = b[p];
    else if (sprm === SPRM_P_ILVL && p < end) ilvl = b[p];
    else if (sprm === SPRM_P_ILFO && p + 1 < end) ilfo = b[p] | (b[p + 1] << 8);
    p += size;
  }
  return { outline: level, ilfo, ilvl };
}
