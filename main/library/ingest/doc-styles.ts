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
import { FkpBins, pageRuns, sprms, type FkpPage } from "./doc-fkp";

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
  private readonly bins: FkpBins<ParagraphProps>;

  constructor(word: Uint8Array, table: Uint8Array, pair: [number, number]) {
    this.bins = new FkpBins(word, table, pair, readPage);
  }

  /** The properties (see ParagraphProps) of the paragraph whose mark is at `fc`; Normal's when they cannot be found. */
  at(fc: number): ParagraphProps {
    return this.bins.at(fc) ?? NORMAL;
  }
}

/** A paragraph properties' page: per run 13 bytes, the first its properties' offset/2. */
function readPage(b: Uint8Array): FkpPage<ParagraphProps> | null {
  const fcs = pageRuns(b, 13);
  if (!fcs) return null;
  const runs = fcs.length - 1;
  const v = new DataView(b.buffer, b.byteOffset, 512);
  const props = Array.from({ length: runs }, (_, i) => {
    const offset = 2 * b[4 * (runs + 1) + 13 * i];
    if (!offset) return NORMAL;
    const size = b[offset] === 0 ? 2 * b[offset + 1] : 2 * b[offset] - 1;
    const lead = offset + (b[offset] === 0 ? 2 : 1);
    const end = Math.min(511, lead + size);
    if (lead + 2 > end) return NORMAL;
    return { istd: v.getUint16(lead, true), ...paragraphSprms(b, lead + 2, end) };
  });
  return { fcs, runs: props };
}

/** A paragraph's style, own outline level (9: none), list (ilfo, 1-based; 0: none) and level in it. */
export interface ParagraphProps {
  istd: number;
  outline: number;
  ilfo: number;
  ilvl: number;
}

const NORMAL: ParagraphProps = { istd: 0, outline: 9, ilfo: 0, ilvl: 0 };

const SPRM_P_OUT_LVL = 0x2640;
const SPRM_P_ILFO = 0x460b;
const SPRM_P_ILVL = 0x260a;

/** The outline level (9: none), list and list level a paragraph's property changes in [at, end) set. */
function paragraphSprms(b: Uint8Array, at: number, end: number): Omit<ParagraphProps, "istd"> {
  const out = { outline: 9, ilfo: 0, ilvl: 0 };
  for (const { sprm, operand } of sprms(b, at, end)) {
    if (sprm === SPRM_P_OUT_LVL) out.outline = b[operand];
    else if (sprm === SPRM_P_ILVL) out.ilvl = b[operand];
    else if (sprm === SPRM_P_ILFO && operand + 1 < end) out.ilfo = b[operand] | (b[operand + 1] << 8);
  }
  return out;
}
