// A Word document's body (WordprocessingML, word/document.xml) as the simple
// markup ./html.ts divides into chapters: each paragraph a <p>, a heading of
// outline level 1-3 (Heading 1-3, or a style based on one) an <h1>-<h3>, the
// Title style an <h1>. What a reader of the printed document sees is kept:
//   runs' text (<w:t>), tabs as spaces, line breaks (<w:br/>, <w:cr/>) as <br>,
//   non-breaking hyphens; a footnote's or endnote's mark as [n], numbered in the
//   order the text calls them.
// What is not the text is left out: hidden runs (<w:vanish/>), deleted and
// moved-away text of tracked changes, ruby's reading aids (<w:rt>: the kana over
// kanji), field instructions (a TOC's or a page number's code; their shown
// results stay), the fallback copy of text boxes
// (<mc:Fallback> repeats <mc:Choice>), and table-of-contents entries (TOC
// styles: the headings again with page numbers).
// The XML is scanned, not built into a tree: tags by a pattern, elements by the
// WordprocessingML prefix the part declares (Word's "w", else whatever it binds).
// The end of this file is what the Word and OpenDocument readers share: the notes
// listed after the text, a properties field, and the book made of the paragraphs.

import { sections } from "./html";
import type { DocxNumbering } from "./docx-numbering";
import { stripGutenbergChapters } from "./gutenberg";
import { empty } from "./errors";
import type { IngestOptions, Ingested } from "./types";

const W_MAIN = ["http://schemas.openxmlformats.org/wordprocessingml/2006/main", "http://purl.oclc.org/ooxml/wordprocessingml/main"];
const MC = "http://schemas.openxmlformats.org/markup-compatibility/2006";

/** Outline level 0-8 of a paragraph style, "title", "subtitle", or null for body text. */
export type StyleLevel = number | "title" | "subtitle" | null;

export interface DocxStyles {
  /** A paragraph style id's outline level (0 = Heading 1). */
  level(styleId: string): StyleLevel;
  /** Whether the style lists a table of contents' entries. */
  isToc(styleId: string): boolean;
  /** The list a style numbers its paragraphs in (a numbered heading's), through basedOn; null for none. */
  numbered(styleId: string): { numId: string; ilvl: number } | null;
}

/** The prefix an XML part binds to one of these namespaces, else `fallback`. */
export function prefixFor(xml: string, uris: string[], fallback: string): string {
  const head = xml.slice(0, 64 * 1024);
  for (const m of head.matchAll(/xmlns:([\w.-]+)\s*=\s*["']([^"']+)["']/g)) if (uris.includes(m[2])) return m[1];
  return fallback;
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

export interface BodyParagraph {
  /** 0-2: a chapter heading's level; "title"; null: body text */
  level: StyleLevel;
  text: string;
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

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
  const fields: ("code" | "result")[] = []; // fields open, and how many are in their code part
  let inCode = 0;
  const tag = /<(\/?)([\w.-]+):([\w.-]+)([^>]*?)(\/?)>|([^<]+)/g;
  const add = (s: string) => {
    if (!skip && !hiddenRun && open.length && !inCode) open[open.length - 1].text += s;
  };
  for (const m of xml.matchAll(tag)) {
    if (m[6] !== undefined) {
      if (inText) add(decodeXml(m[6]));
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
        if (type === "begin") {
          fields.push("code");
          inCode++;
        } else if (type === "separate" && fields[fields.length - 1] === "code") {
          fields[fields.length - 1] = "result";
          inCode--;
        } else if (type === "end" && fields.length && fields.pop() === "code") inCode--;
        break;
      }
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

/**
 * Paragraphs as ./html.ts's markup: headings of levels 0-2 as <h1>-<h3>, a Title as <h1>. The
 * Title and Subtitle paragraphs right after a Title (the author, an edition) are its chapter's
 * text: a title page is one chapter.
 */
export function toMarkup(ps: BodyParagraph[]): string {
  return ps
    .map(({ level, text }, i) => {
      const body = escape(text).replace(/\n/g, "<br>");
      const titleBlock = level === "title" && i > 0 && (ps[i - 1].level === "title" || ps[i - 1].level === "subtitle");
      const h = level === "title" ? (titleBlock ? 0 : 1) : typeof level === "number" && level <= 2 ? level + 1 : 0;
      return h ? `<h${h}>${body}</h${h}>` : `<p>${body}</p>`;
    })
    .join("\n");
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (all, e: string) => {
    if (e[0] !== "#") return XML_ENTITIES[e.toLowerCase()] ?? all;
    const cp = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : "";
  });
}

/** Notes listed after the text under a heading, each first paragraph led by its mark ("[n] ..."). */
export function notesSection(heading: string, notes: { mark: string; paragraphs: BodyParagraph[] }[]): BodyParagraph[] {
  const body = notes.flatMap((n) => n.paragraphs.map((p, i) => ({ level: null, text: i === 0 ? `[${n.mark}] ${p.text}` : p.text })));
  return body.length ? [{ level: 0, text: heading }, ...body] : [];
}

/** A dc:title-style field of a properties part (docProps/core.xml, meta.xml), on one line. */
export function xmlField(xml: string | undefined, tag: string): string | null {
  const m = xml && new RegExp(`<${tag}\\b[^>]*>([^<]{1,2000})</${tag}>`).exec(xml);
  const v = m ? decodeXml(m[1]).replace(/\s+/g, " ").trim() : "";
  return v || null;
}

/**
 * A word processor's document as a book: its paragraphs (notes sections included) divided into
 * chapters as an HTML book's are (./html.ts's sections), Gutenberg's header and licence dropped.
 * Title: the properties', else the Title paragraph, else the first level-1 heading.
 */
export function paragraphsBook(
  format: "docx" | "odt" | "fb2" | "rtf",
  what: string,
  all: BodyParagraph[],
  props: { title: string | null; author: string | null },
  opts: IngestOptions,
): Ingested {
  const titleParagraph = all.find((p) => p.level === "title")?.text ?? null;
  const { text: joined, chapters: found, firstH1 } = sections(toMarkup(all), props.title ?? titleParagraph);
  const g = opts.skipBoilerplate === false ? null : stripGutenbergChapters(joined, found);
  const text = g?.text ?? joined;
  if (!text.trim()) throw empty(what);
  return {
    format,
    title: g?.title ?? props.title ?? titleParagraph ?? firstH1,
    author: g?.author ?? props.author,
    text,
    chapters: g?.chapters ?? found,
    boilerplateSkipped: g?.skipped ?? false,
  };
}
