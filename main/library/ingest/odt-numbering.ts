// An OpenDocument text's automatic numbers: the "1.2", "a)" or bullet its numbered
// headings and list items show, which are not in content.xml's text.
//   <text:outline-style>   per outline level (<text:outline-level-style>): headings'
//   <text:list-style>      per list level (-number, -bullet, -image): list items'
// A level style's style:num-format is "1", "a", "A", "i", "I" (or empty: no number),
// with style:num-prefix and style:num-suffix around the label, text:display-levels
// how many levels' numbers it shows ("1.2" shows 2) and text:start-value where it
// starts; a bullet level shows its text:bullet-char (an image bullet, "•").
// Counting: a level's count goes on while its list does, and restarts when a
// shallower level's goes on. Headings count through the whole document. Each top
// list (<text:list> not inside another) starts its counts again, unless it
// continues one (text:continue-numbering="true": the list before it of the same
// style; text:continue-list: the list with that xml:id); an item's
// text:start-value sets its count; a <text:list-header> is not numbered.
import { plainBullet, prefixFor } from "./document-book";
import { formatNumber } from "./docx-numbering";

const NS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const NS_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0";
const MAX_LEVELS = 10;
/** ODF's number formats as Word's names (formatNumber's). */
const FORMATS: Record<string, string> = { "1": "decimal", a: "lowerLetter", A: "upperLetter", i: "lowerRoman", I: "upperRoman" };

interface LevelStyle {
  /** a number's format (formatNumber's), "" for none; null: a bullet */
  format: string | null;
  bullet: string;
  prefix: string;
  suffix: string;
  display: number;
  start: number;
}

/** Counts of one list (or of the headings), by level 1..MAX_LEVELS. */
export class Counts {
  private readonly n = new Array<number>(MAX_LEVELS + 1).fill(0);
  private readonly counted = new Array<boolean>(MAX_LEVELS + 1).fill(false);

  constructor(readonly styles: LevelStyle[]) {}

  /** Counts an item at `level` (1-based) and gives its label, or null when its level shows none. */
  next(level: number, startAt: number | null = null): string | null {
    const l = Math.max(1, Math.min(MAX_LEVELS, level));
    const own = this.styles[l];
    if (!own) return null;
    this.n[l] = startAt ?? (this.counted[l] ? this.n[l] + 1 : own.start);
    this.counted[l] = true;
    for (let d = l + 1; d <= MAX_LEVELS; d++) this.counted[d] = false;
    if (own.format === null) return own.bullet;
    if (own.format === "") return null;
    const parts: string[] = [];
    for (let d = Math.max(1, l - own.display + 1); d <= l; d++) {
      const st = this.styles[d];
      parts.push(formatNumber(this.counted[d] ? this.n[d] : (st?.start ?? 1), st?.format || "decimal"));
    }
    return `${own.prefix}${parts.join(".")}${own.suffix}`.trim() || null;
  }
}

/** The levels of a list without a style: bullets. */
export const BULLETED: LevelStyle[] = Array.from({ length: MAX_LEVELS + 1 }, () => ({ format: null, bullet: "\u2022", prefix: "", suffix: "", display: 1, start: 1 }));

export interface OdtNumbering {
  /** The outline style's levels (headings), by level. */
  outline: LevelStyle[];
  /** List styles' levels by style name. */
  lists: Map<string, LevelStyle[]>;
}

/** The outline style and list styles of styles.xml and content.xml's automatic styles. */
export function readOdtNumbering(...xmls: (string | undefined)[]): OdtNumbering {
  const out: OdtNumbering = { outline: [], lists: new Map() };
  for (const xml of xmls) {
    if (!xml) continue;
    const t = prefixFor(xml, [NS_TEXT], "text");
    const st = prefixFor(xml, [NS_STYLE], "style");
    const levels = (inner: string): LevelStyle[] => {
      const ls: LevelStyle[] = [];
      for (const m of inner.matchAll(new RegExp(`<${t}:(list-level-style-number|list-level-style-bullet|list-level-style-image|outline-level-style)\\b([^>]*)>`, "g"))) {
        const level = Number(attr(m[2], `${t}:level`));
        if (!(level >= 1 && level <= MAX_LEVELS)) continue;
        const kind = m[1];
        const numFormat = attr(m[2], `${st}:num-format`) ?? "";
        ls[level] = {
          format: kind.endsWith("bullet") || kind.endsWith("image") ? null : numFormat === "" ? "" : (FORMATS[numFormat] ?? "decimal"),
          bullet: kind.endsWith("bullet") ? plainBullet(attr(m[2], `${t}:bullet-char`) || "\u2022") : "\u2022",
          prefix: attr(m[2], `${st}:num-prefix`) ?? "",
          suffix: attr(m[2], `${st}:num-suffix`) ?? "",
          display: Math.max(1, Math.min(MAX_LEVELS, Number(attr(m[2], `${t}:display-levels`) ?? 1) || 1)),
          start: Math.max(0, Math.min(1e6, Number(attr(m[2], `${t}:start-value`) ?? 1) || 1)),
        };
      }
      return ls;
    };
    for (const { attrs, inner } of elements(xml, `${t}:outline-style`)) if (attrs !== null) out.outline = levels(inner);
    for (const { attrs, inner } of elements(xml, `${t}:list-style`)) {
      const name = attrs === null ? null : attr(attrs, `${st}:name`);
      if (name) out.lists.set(name, levels(inner));
    }
  }
  return out;
}

/** An attribute's value in an element's attribute text (its qualified name as the part writes it), or null. */
export function attr(attrs: string, name: string): string | null {
  return new RegExp(`(?:^|\\s)${name}\\s*=\\s*"([^"]*)"`).exec(attrs)?.[1] ?? null;
}

/** Each element of this name: its attributes and inner markup. Each opener's closer is searched once, and past one left open the search ends: linear. */
export function* elements(xml: string, name: string): Generator<{ attrs: string | null; inner: string }> {
  const open = new RegExp(`<${name}\\b([^>]*)>`, "g");
  const closer = `</${name}>`;
  for (let m = open.exec(xml); m; m = open.exec(xml)) {
    if (m[1].endsWith("/")) continue;
    const from = m.index + m[0].length;
    const end = xml.indexOf(closer, from);
    if (end < 0) return;
    yield { attrs: m[1], inner: xml.slice(from, end) };
    open.lastIndex = end + closer.length;
  }
}
