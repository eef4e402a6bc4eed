// What the readers of word processors' documents (Word, OpenDocument, RTF) and of
// FictionBooks share: their paragraphs, headings marked with a level, made a book
// as an HTML book is (./html.ts's sections over the markup below), their notes
// listed after the text, and their XML parts' prefixes and property fields.
import { sections } from "./html";
import { decodeEntities } from "./html-text";
import { stripGutenbergChapters } from "./gutenberg";
import { empty } from "./errors";
import type { IngestOptions, Ingested } from "./types";

/** A field's code that makes a table of contents (Word's TOC; its result is the headings again). */
export const TOC_FIELD = /^\s*TOC\b/i;

/**
 * A list's bullet as text: one a symbol font sets in a private-use character (Word's Symbol
 * 0xF0B7, LibreOffice's OpenSymbol) reads as "•".
 */
export function plainBullet(s: string): string {
  return s.replace(/[\ue000-\uf8ff]/g, "\u2022");
}

/** Outline level 0-8 of a paragraph style, "title", "subtitle", or null for body text. */
export type StyleLevel = number | "title" | "subtitle" | null;

export interface BodyParagraph {
  /** 0-2: a chapter heading's level; "title"; null: body text */
  level: StyleLevel;
  text: string;
}

/** The prefix an XML part binds to one of these namespaces, else `fallback`. */
export function prefixFor(xml: string, uris: string[], fallback: string): string {
  const head = xml.slice(0, 64 * 1024);
  for (const m of head.matchAll(/xmlns:([\w.-]+)\s*=\s*["']([^"']+)["']/g)) if (uris.includes(m[2])) return m[1];
  return fallback;
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

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

/** Notes listed after the text under a heading, each first paragraph led by its mark ("[n] ..."). */
export function notesSection(heading: string, notes: { mark: string; paragraphs: BodyParagraph[] }[]): BodyParagraph[] {
  const body = notes.flatMap((n) => n.paragraphs.map((p, i) => ({ level: null, text: i === 0 ? `[${n.mark}] ${p.text}` : p.text })));
  return body.length ? [{ level: 0, text: heading }, ...body] : [];
}

/** A dc:title-style field of a properties part (docProps/core.xml, meta.xml), on one line. */
export function xmlField(xml: string | undefined, tag: string): string | null {
  const m = xml && new RegExp(`<${tag}\\b[^>]*>([^<]{1,2000})</${tag}>`).exec(xml);
  const v = m ? decodeEntities(m[1]).replace(/\s+/g, " ").trim() : "";
  return v || null;
}

/**
 * A word processor's document as a book: its paragraphs (notes sections included) divided into
 * chapters as an HTML book's are (./html.ts's sections), Gutenberg's header and licence dropped.
 * Title: the properties', else the Title paragraph, else the first level-1 heading.
 */
export function paragraphsBook(
  format: "docx" | "doc" | "odt" | "fb2" | "rtf",
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
