// FictionBook 2 books (.fb2, and .fb2.zip as libraries hand them out): one XML
// file, in the encoding its declaration names (Windows-1251 as often as UTF-8).
//   <description><title-info>  the book's title and authors
//   <body>                     the text: its own <title> the title page, nested
//                              <section>s whose <title>s are chapter headings
//                              (depths 1-3, as Heading 1-3 in a Word document)
//   <body name="notes">        footnotes, listed after the text under "Notes",
//                              each led by its own title ("[1] ...")
//   <binary>                   pictures, base64: skipped unread
// Paragraphs are <p>, <v> (a verse line; a stanza's lines one paragraph), <subtitle>,
// <text-author>, table cells; <empty-line/> separates. A note's link in the text
// (<a type="note">1</a>) reads [1]. Chapters come from ./html.ts's sections over
// ./document-book's markup, as a word processor's document's do.
import * as path from "node:path";
import { unzipSync } from "fflate";
import { decodeMarkup } from "./markup-encoding";
import { decodeText, looksBinary } from "./decode";
import { notesSection, paragraphsBook, type BodyParagraph } from "./document-book";
import { decodeEntities } from "./html-text";
import { corrupt } from "./errors";
import { checkZip } from "./zip-size";
import { sameTitle } from "./html";
import type { IngestOptions, Ingested } from "./types";

const WHAT = "FictionBook";
/** Elements whose text is one paragraph. */
const BLOCK = new Set(["p", "v", "subtitle", "text-author", "td", "th"]);
/** The longest first paragraph of a titleless section read as its title. */
const MAX_STRONG_TITLE = 120;

export function readFb2(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  if (looksBinary(bytes)) throw corrupt(WHAT, "it holds binary data, not XML");
  const xml = decodeMarkup(bytes, (b) => decodeText(b).text);
  if (!/<FictionBook\b/.test(xml.slice(0, 4096))) throw corrupt(WHAT, "no <FictionBook> element");
  const info = /<title-info\b[^>]*>([\s\S]*?)<\/title-info>/.exec(xml)?.[1] ?? "";
  const title = oneLine(/<book-title\b[^>]*>([\s\S]*?)<\/book-title>/.exec(info)?.[1]);
  const authors = [...info.matchAll(/<author\b[^>]*>([\s\S]*?)<\/author>/g)]
    .map((a) => {
      const part = (tag: string) => oneLine(new RegExp(`<${tag}\\b[^>]*>([\\s\\S]*?)</${tag}>`).exec(a[1])?.[1]);
      return [part("first-name"), part("middle-name"), part("last-name")].filter(Boolean).join(" ") || part("nickname");
    })
    .filter((a): a is string => !!a);
  const bodies = [...xml.matchAll(/<body\b([^>]*)>([\s\S]*?)<\/body>/g)];
  const isNotes = (attrs: string) => /\bname\s*=\s*["'](?:notes|comments)["']/.test(attrs);
  const text = bodies.filter((b) => !isNotes(b[1])).flatMap((b) => bodyParagraphs(b[2], title));
  const notes = bodies.filter((b) => isNotes(b[1])).flatMap((b) => noteEntries(b[2]));
  return paragraphsBook("fb2", WHAT, [...text, ...notesSection("Notes", notes)], { title, author: authors.join(", ") || null }, opts);
}

/** A .fb2.zip: the one .fb2 file in it, read as above. */
export function readFb2Zip(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  checkZip(bytes, `${WHAT} zip`);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => path.extname(f.name).toLowerCase() === ".fb2" && f.originalSize <= 256 * 2 ** 20 });
  } catch (e) {
    throw corrupt(`${WHAT} zip`, (e as Error).message);
  }
  const names = Object.keys(files);
  if (names.length !== 1) throw corrupt(`${WHAT} zip`, names.length ? "it holds more than one .fb2 file" : "it holds no .fb2 file (of 256 MiB or less)");
  return readFb2(files[names[0]], opts);
}

/**
 * A body's paragraphs: a section's title a heading of the section's depth (past 3, body text);
 * of the body's own title (its title page) the line that is the book's title is the Title, the
 * others paragraphs; a poem's or an epigraph's title is a paragraph. A section without a title
 * whose first paragraph is all strong and short (calibre writes its chapters' titles so) has
 * that paragraph as its title.
 */
function bodyParagraphs(body: string, bookTitle: string | null = null): BodyParagraph[] {
  const out: BodyParagraph[] = [];
  const open: string[] = []; // the elements open, outermost first
  const opened = new Map<string, number>(); // how many of each are open
  let title: { level: BodyParagraph["level"]; lines: string[] } | null = null;
  let block: string | null = null; // the paragraph being read
  let stanza: string[] | null = null;
  let skip = 0; // inside <binary> or an <image>
  let noteFrom = -1; // where a note link's text starts in the block
  const untitled: boolean[] = []; // per open section: no title and no paragraph read yet
  let strong = 0; // <strong> elements open
  let plainChars = 0; // the block's characters outside <strong>, and inside
  let strongChars = 0;
  let loose = ""; // text outside any paragraph (not valid FB2, but converters write it: pandoc's shaped verse)
  const flushLoose = () => {
    if (loose.trim()) push(null, loose);
    loose = "";
  };
  const push = (level: BodyParagraph["level"], text: string) => {
    const t = text.replace(/[ \t\u00a0]+/g, " ").replace(/ ?\n ?/g, "\n").trim();
    if (t) out.push({ level, text: t });
  };
  for (const m of body.matchAll(/<(\/?)([\w.-]+(?::[\w.-]+)?)([^>]*?)(\/?)>|([^<]+)/g)) {
    if (m[5] !== undefined) {
      const text = decodeEntities(m[5].replace(/\s+/g, " ")); // (XML's white space, a line end too, is a space: lines are <v>s, breaks <empty-line/>s)
      if (block !== null && !skip) {
        block += text;
        if (strong) strongChars += m[5].trim().length;
        else plainChars += m[5].trim().length;
      } else if (block === null && !skip && !title && !stanza && open.length) loose += text;
      continue;
    }
    const [, close, tag, attrs, selfClose] = m;
    if (tag === "binary" || tag === "image") {
      if (!selfClose) skip += close ? -1 : 1;
      continue;
    }
    if (selfClose) {
      if (tag === "empty-line" && block !== null) block += "\n";
      continue;
    }
    if (close && (tag === "section" || tag === "body" || tag === "poem" || tag === "cite" || tag === "epigraph")) flushLoose();
    if (close) {
      // the element and any child left unclosed end here; a close tag of nothing open is ignored
      // (counted, not searched for: a hostile file's deep nesting stays linear)
      if (opened.get(tag)) {
        for (let t = open.pop(); t !== undefined; t = open.pop()) {
          opened.set(t, opened.get(t)! - 1);
          if (t === "section") untitled.pop();
          if (t === "strong") strong = Math.max(0, strong - 1);
          if (t === tag) break;
        }
      }
      if (BLOCK.has(tag) && block !== null) {
        if (title) title.lines.push(block);
        else if (stanza && tag === "v") stanza.push(block.trim());
        else if (untitled.length && untitled[untitled.length - 1] && block.trim()) {
          // a titleless section's first paragraph: its title when all strong and short
          const depth = untitled.length;
          const heading = tag === "p" && !plainChars && strongChars > 0 && block.trim().length <= MAX_STRONG_TITLE && depth <= 3;
          push(heading ? depth - 1 : null, block);
          untitled[untitled.length - 1] = false;
        } else push(null, block);
        block = null;
      } else if (tag === "a" && noteFrom >= 0 && block !== null) {
        const mark: string = block.slice(noteFrom).trim();
        if (mark && !/^\[.*\]$/.test(mark)) block = `${block.slice(0, noteFrom)}[${mark}]`;
        noteFrom = -1;
      } else if (tag === "stanza" && stanza) {
        push(null, stanza.join("\n"));
        stanza = null;
      } else if (tag === "title" && title) {
        if (title.level === "title") {
          // a title page's lines (the author, the title, a series): the book's title names it
          const named = Math.max(0, title.lines.findIndex((l) => sameTitle(l, bookTitle)));
          title.lines.forEach((l, i) => push(i === named ? "title" : null, l));
        } else push(title.level, title.lines.join("\n"));
        title = null;
      }
      continue;
    }
    const parent = open[open.length - 1];
    open.push(tag);
    opened.set(tag, (opened.get(tag) ?? 0) + 1);
    if (BLOCK.has(tag) || tag === "title" || tag === "section" || tag === "stanza") flushLoose();
    if (BLOCK.has(tag)) {
      block = "";
      plainChars = strongChars = 0;
    } else if (tag === "section") untitled.push(true);
    else if (tag === "strong") strong++;
    else if (tag === "stanza") stanza = [];
    else if (tag === "a" && /\btype\s*=\s*["']note["']/.test(attrs)) noteFrom = block?.length ?? -1;
    else if (tag === "title") {
      if (untitled.length) untitled[untitled.length - 1] = false;
      const depth = opened.get("section") ?? 0;
      const heading = parent === "section" || parent === undefined; // (a body's own title: no parent here)
      title = { level: !heading ? null : depth === 0 ? "title" : depth <= 3 ? depth - 1 : null, lines: [] };
    }
  }
  flushLoose();
  return out;
}

/** The notes body's sections: each one's title is its mark, its paragraphs the note. */
function noteEntries(body: string): { mark: string; paragraphs: BodyParagraph[] }[] {
  return [...body.matchAll(/<section\b[^>]*>([\s\S]*?)<\/section>/g)].flatMap((s) => {
    const ps = bodyParagraphs(`<section>${s[1]}</section>`);
    if (!ps.length) return [];
    const [head, ...rest] = ps;
    return head.level === 0 ? [{ mark: head.text.replace(/^\[|\]$/g, "").replace(/\s+/g, " "), paragraphs: rest }] : [{ mark: "*", paragraphs: ps }];
  });
}

function oneLine(s: string | undefined): string | null {
  const t = s === undefined ? "" : decodeEntities(s.replace(/<[^>]*>/g, "")).replace(/\s+/g, " ").trim();
  return t || null;
}
