// A Word document's body (WordprocessingML, word/document.xml) as the simple
// markup ./html.ts divides into chapters: each paragraph a <p>, a heading of
// outline level 1-3 (Heading 1-3, or a style based on one) an <h1>-<h3>, the
// Title style an <h1>. What a reader of the printed document sees is kept:
//   runs' text (<w:t>), tabs as spaces, line breaks (<w:br/>, <w:cr/>) as <br>,
//   non-breaking hyphens; a footnote's or endnote's mark as [n], numbered in the
//   order the text calls them.
// What is not the text is left out: hidden runs (<w:vanish/>), deleted and
// moved-away text of tracked changes, ruby's reading aids (<w:rt>: the kana over
// kanji), field instructions (a page number's code; its shown result stays), the
// fallback copy of text boxes (<mc:Fallback> repeats <mc:Choice>), and tables of
// contents: entries in TOC styles (the headings again with page numbers), and a
// TOC field's result (a converter's list of links to the headings).
// The XML is scanned, not built into a tree: tags by a pattern, elements by the
// WordprocessingML prefix the part declares (Word's "w", else whatever it binds).
// What the word processors' readers share (the paragraphs as a book) is in
// ./document-book.ts.

import type { DocxNumbering } from "./docx-numbering";
import { decodeEntities } from "./html-text";
import { prefixFor, TOC_FIELD, type BodyParagraph, type StyleLevel } from "./document-book";

/** WordprocessingML's namespace, transitional and strict. */
export const W_MAIN = ["http://schemas.openxmlformats.org/wordprocessingml/2006/main", "http://purl.oclc.org/ooxml/wordprocessingml/main"];
const MC = "http://schemas.openxmlformats.org/markup-compatibility/2006";

export interface DocxStyles {
  /** A paragraph style id's outline level (0 = Heading 1). */
  level(styleId: string): StyleLevel;
  /** Whether the style lists a table of contents' entries. */
  isToc(styleId: string): boolean;
  /** The list a style numbers its paragraphs in (a numbered heading's), through basedOn; null for none. */
  numbered(styleId: string): { numId: string; ilvl: number } | null;
}

const attr = (attrs: string, name: string): string | null => {
  const m = new RegExp(`(?:^|\\s)${name.replace(/[.]/g, "\\.")}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
  return m ? (m[1] ?? m[2]) : null;
};

/** word/styles.xml's paragraph styles: their outline levels through basedOn, and which are TOC entries. */
export function readStyles(xml: string | undefined): DocxStyles {
  const own = new Map<string, { name: string; basedOn: string | null; outline: number | null; num: { numId: string; ilvl: number } | null }>();
  if (xml) {
    const w = prefixFor(xml, W_MAIN, "w");
    const styleRe = new RegExp(`<${w}:style\\b([^>]*)>([\\s\\S]*?)</${w}:style>`, "g");
    for (const m of xml.matchAll(styleRe)) {
      if (attr(m[1], `${w}:type`) !== "paragraph") continue;
      const id = attr(m[1], `${w}:styleId`);
      if (!id) continue;
      const val = (tag: string) => {
        const t = new RegExp(`<${w}:${tag}\\b([^>]*)/?>`).exec(m[2]);
        return t ? attr(t[1], `${w}:val`) : null;
      };
      const outline = val("outlineLvl");
      const numId = val("numId");
      own.set(id, {
        name: (val("name") ?? "").toLowerCase(),
        basedOn: val("basedOn"),
        outline: outline === null ? null : Number(outline),
        num: numId === null ? null : { numId, ilvl: Number(val("ilvl") ?? 0) },
      });
    }
  }
  const level = (id: string, depth = 0): StyleLevel => {
    const s = own.get(id);
    if (!s) {
      const byId = /^heading\s?(\d)$/i.exec(id); // a document without styles.xml: Word's ids
      return byId ? Number(byId[1]) - 1 : /^(sub)?title$/i.test(id) ? (id.length > 5 ? "subtitle" : "title") : null;
    }
    if (s.outline !== null && s.outline >= 0 && s.outline <= 8) return s.outline;
    const heading = /^heading (\d)$/.exec(s.name);
    if (heading) return Number(heading[1]) - 1;
    if (s.name === "title" || s.name === "subtitle") return s.name;
    return s.basedOn && depth < 10 ? level(s.basedOn, depth + 1) : null;
  };
  const isToc = (id: string) => /^toc ?\d$/i.test(own.get(id)?.name ?? id) || /^toc ?heading$/i.test(own.get(id)?.name ?? "");
  const numbered = (id: string, depth = 0): { numId: string; ilvl: number } | null => {
    const s = own.get(id);
    if (!s) return null;
    if (s.num) return s.num.numId === "0" ? null : s.num;
    return s.basedOn && depth < 10 ? numbered(s.basedOn, depth + 1) : null;
  };
  return { level, isToc, numbered };
}

/** Footnote and endnote marks met in the body: the note's kind and id -> its number. */
export class NoteNumbers {
  readonly order: { kind: "footnote" | "endnote"; id: string; n: number }[] = [];
  private seen = new Map<string, number>();
  mark(kind: "footnote" | "endnote", id: string): number {
    const key = `${kind}:${id}`;
    let n = this.seen.get(key);
    if (n === undefined) {
      n = this.order.filter((o) => o.kind === kind).length + 1;
      this.seen.set(key, n);
      this.order.push({ kind, id, n });
    }
    return n;
  }
}

/** The paragraphs of a WordprocessingML part (the body, or footnotes.xml's notes by id). */
export function paragraphs(
  xml: string,
  styles: DocxStyles,
  notes: NoteNumbers | null,
  numbering: DocxNumbering | null = null,
): { paragraphs: BodyParagraph[]; byNote: Map<string, BodyParagraph[]> } {
  const w = prefixFor(xml, W_MAIN, "w");
  const mc = prefixFor(xml, [MC], "mc");
  const out: BodyParagraph[] = [];
  const byNote = new Map<string, BodyParagraph[]>();
  let note: string | null = null; // the footnote or endnote being read (footnotes.xml)
  // paragraphs, nested in text boxes; numId and ilvl their own <w:numPr>'s
  const open: { style: string | null; outline: number | null; numId: string | null; ilvl: number | null; text: string }[] = [];
  let skip = 0; // depth inside what is not text (Fallback, deleted, moved-away)
  let inText = false;
  let inParaProps = 0;
  let inRunProps = false;
  let hiddenRun = false;
  // fields open, and how many are in their code part (a TOC's result counts as code: not the text)
  const fields: { part: "code" | "result" | "hidden"; code: string }[] = [];
  let inCode = 0;
  let inInstr = false; // inside <w:instrText>: a field's code
  const tocSimple: boolean[] = []; // per open <w:fldSimple>: a TOC, whose content is left out
  const tag = /<(\/?)([\w.-]+):([\w.-]+)([^>]*?)(\/?)>|([^<]+)/g;
  const add = (s: string) => {
    if (!skip && !hiddenRun && open.length && !inCode) open[open.length - 1].text += s;
  };
  for (const m of xml.matchAll(tag)) {
    if (m[6] !== undefined) {
      if (inText) add(decodeEntities(m[6]));
      else if (inInstr && fields.length) fields[fields.length - 1].code += m[6];
      continue;
    }
    const [, close, prefix, local, attrs, selfClose] = m;
    if (prefix === mc && local === "Fallback") {
      if (!selfClose) skip += close ? -1 : 1;
      continue;
    }
    if (prefix !== w) continue;
    if (local === "del" || local === "moveFrom" || local === "rt") {
      if (!selfClose) skip += close ? -1 : 1;
      continue;
    }
    if (close) {
      if (local === "t") inText = false;
      else if (local === "instrText") inInstr = false;
      else if (local === "fldSimple" && tocSimple.pop()) inCode--;
      else if (local === "pPr") inParaProps--;
      else if (local === "rPr") inRunProps = false;
      else if (local === "r") hiddenRun = false;
      else if (local === "p") {
        const p = open.pop();
        if (!p) continue;
        if (p.style && styles.isToc(p.style)) continue;
        const own = p.numId === null ? null : p.numId === "0" ? undefined : p.numId; // "0": numbering turned off
        const byStyle = p.style === null ? null : styles.numbered(p.style);
        const numId = own === undefined ? null : (own ?? byStyle?.numId ?? null);
        const label = numId === null || !numbering ? null : numbering.label(numId, p.ilvl ?? (own ? 0 : (byStyle?.ilvl ?? 0)));
        const body = p.text.replace(/[ \t\u00a0]+/g, " ").replace(/ ?\n ?/g, "\n").trim();
        const text = label && body ? `${label} ${body}` : body;
        const styleLevel = p.style === null ? null : styles.level(p.style);
        const level = p.outline !== null ? (p.outline <= 8 ? p.outline : null) : styleLevel;
        if (text) (note === null ? out : (byNote.get(note) ?? byNote.set(note, []).get(note)!)).push({ level, text });
      } else if ((local === "footnote" || local === "endnote") && note !== null) note = null;
      continue;
    }
    switch (local) {
      case "p":
        if (!selfClose) open.push({ style: null, outline: null, numId: null, ilvl: null, text: "" });
        break;
      case "pPr":
        if (!selfClose) inParaProps++;
        break;
      case "pStyle":
        if (inParaProps && open.length) open[open.length - 1].style = attr(attrs, `${w}:val`);
        break;
      case "outlineLvl":
        if (inParaProps && open.length) open[open.length - 1].outline = Number(attr(attrs, `${w}:val`) ?? 9);
        break;
      case "numId":
        if (inParaProps && open.length) open[open.length - 1].numId = attr(attrs, `${w}:val`);
        break;
      case "ilvl":
        if (inParaProps && open.length) open[open.length - 1].ilvl = Number(attr(attrs, `${w}:val`) ?? 0);
        break;
      case "r":
        hiddenRun = false;
        break;
      case "rPr":
        if (!selfClose && !inParaProps) inRunProps = true;
        break;
      case "vanish":
        if (inRunProps) hiddenRun = !/^(0|false|off)$/.test(attr(attrs, `${w}:val`) ?? "");
        break;
      case "t":
        if (!selfClose) inText = true;
        break;
      case "tab":
      case "ptab":
        if (!inParaProps) add(" ");
        break;
      case "br":
      case "cr":
        add("\n");
        break;
      case "noBreakHyphen":
        add("-");
        break;
      case "fldChar": {
        const type = attr(attrs, `${w}:fldCharType`);
        const top = fields[fields.length - 1];
        if (type === "begin") {
          fields.push({ part: "code", code: "" });
          inCode++;
        } else if (type === "separate" && top?.part === "code") {
          top.part = TOC_FIELD.test(top.code) ? "hidden" : "result";
          if (top.part === "result") inCode--;
        } else if (type === "end" && top) {
          fields.pop();
          if (top.part !== "result") inCode--;
        }
        break;
      }
      case "instrText":
        if (!selfClose) inInstr = true;
        break;
      case "fldSimple":
        if (selfClose) break;
        tocSimple.push(TOC_FIELD.test(decodeEntities(attr(attrs, `${w}:instr`) ?? "")));
        if (tocSimple[tocSimple.length - 1]) inCode++;
        break;
      case "footnoteReference":
      case "endnoteReference": {
        const id = attr(attrs, `${w}:id`);
        if (notes && id !== null) add(`[${notes.mark(local === "footnoteReference" ? "footnote" : "endnote", id)}]`);
        break;
      }
      case "footnote":
      case "endnote":
        if (!selfClose) note = attr(attrs, `${w}:id`);
        break;
    }
  }
  return { paragraphs: out, byNote };
}
