// A Word 97-2003 document's automatic numbers ([MS-DOC]): the "1.1", "a)" or
// bullet a numbered heading or list item shows, which is not in its text.
//   lists (PlfLst, FIB pair 73)   i16 count, then 28-byte LSTFs: the list's id (0),
//                                 flags (26: bit 0, one level only); the lists'
//                                 levels follow the last LSTF (after the pair's
//                                 length): 9 LVLs a list (1 for a one-level list)
//   LVL                           28 bytes: the start (i32), the number format
//                                 (4: NFC below; 23 a bullet, 255 none), the sizes
//                                 of two property runs (24, 25) that follow it,
//                                 then the label's text (u16 length, UTF-16):
//                                 characters 0-8 stand for levels' numbers
//   overrides (PlfLfo, pair 74)   u32 count, then 16-byte LFOs: the list's id (0)
// A paragraph names its override (ilfo, 1-based) and level (ilvl). Counts are kept
// per list, as Word continues a list across its overrides; a level's count restarts
// when a shallower level's goes on.
import { formatNumber } from "./docx-numbering";
import { plainBullet } from "./document-book";

interface Level {
  start: number;
  format: string | null; // formatNumber's; null: no number
  text: string; // the label, levels' numbers as characters 0-8
}

const NFC: Record<number, string> = { 0: "decimal", 1: "upperRoman", 2: "lowerRoman", 3: "upperLetter", 4: "lowerLetter", 22: "decimalZero" };
const NFC_BULLET = 23;
const NFC_NONE = 255;
const LEVELS = 9;

export class DocLists {
  private readonly lists = new Map<number, Level[]>();
  private readonly overrides: number[] = []; // by ilfo - 1: the list's id
  private readonly counts = new Map<number, { n: number[]; counted: boolean[] }>();

  constructor(table: Uint8Array, [fcLst, lcbLst]: [number, number], [fcLfo, lcbLfo]: [number, number]) {
    if (lcbLst >= 2 && fcLst + lcbLst <= table.length) {
      const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
      const count = v.getInt16(fcLst, true);
      const ids: { id: number; simple: boolean }[] = [];
      for (let i = 0; i < count && fcLst + 2 + 28 * (i + 1) <= fcLst + lcbLst; i++) {
        const at = fcLst + 2 + 28 * i;
        ids.push({ id: v.getInt32(at, true), simple: (table[at + 26] & 1) === 1 });
      }
      let p = fcLst + lcbLst;
      for (const { id, simple } of ids) {
        const levels: Level[] = [];
        for (let l = 0; l < (simple ? 1 : LEVELS) && p + 28 <= table.length; l++) {
          const nfc = table[p + 4];
          const after = p + 28 + table[p + 24] + table[p + 25];
          if (after + 2 > table.length) break;
          const length = v.getUint16(after, true);
          const end = Math.min(table.length, after + 2 + 2 * length);
          levels.push({
            start: v.getInt32(p, true),
            format: nfc === NFC_NONE ? null : nfc === NFC_BULLET ? "bullet" : (NFC[nfc] ?? "decimal"),
            text: Buffer.from(table.subarray(after + 2, end)).toString("utf16le"),
          });
          p = end;
        }
        this.lists.set(id, levels);
      }
    }
    if (lcbLfo >= 4 && fcLfo + lcbLfo <= table.length) {
      const v = new DataView(table.buffer, table.byteOffset + fcLfo, lcbLfo);
      const count = v.getUint32(0, true);
      for (let i = 0; i < count && 4 + 16 * (i + 1) <= lcbLfo; i++) this.overrides.push(v.getInt32(4 + 16 * i, true));
    }
  }

  /** The label of a paragraph in list override `ilfo` (1-based) at level `ilvl`, counting it; null for none. */
  label(ilfo: number, ilvl: number): string | null {
    const id = this.overrides[ilfo - 1];
    const levels = id === undefined ? undefined : this.lists.get(id);
    const level = levels?.[ilvl];
    if (!levels || !level) return null;
    let c = this.counts.get(id);
    if (!c) this.counts.set(id, (c = { n: new Array(LEVELS).fill(0), counted: new Array(LEVELS).fill(false) }));
    c.n[ilvl] = c.counted[ilvl] ? c.n[ilvl] + 1 : level.start;
    c.counted[ilvl] = true;
    for (let d = ilvl + 1; d < LEVELS; d++) c.counted[d] = false;
    let out = "";
    for (const ch of level.text) {
      const code = ch.charCodeAt(0);
      if (code >= LEVELS) out += plainBullet(ch);
      else {
        const lv = levels[code];
        const n = c.counted[code] ? c.n[code] : (lv?.start ?? 1);
        out += lv?.format && lv.format !== "bullet" ? formatNumber(n, lv.format) : String(n);
      }
    }
    const label = out.trim();
    return label ? label : null;
  }
}
