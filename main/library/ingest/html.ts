// HTML books (.html, .htm, .xhtml): a Project Gutenberg HTML edition, a saved
// article, a book exported as one page. The page's visible text comes from
// ./html-text, as an EPUB chapter's does (what is hidden dropped, blocks made
// paragraphs, <br> a line break, a <pre> kept as set). Nothing is fetched or run.
//
// Chapters are the <h1>-<h3> headings. A heading with nothing under it but a
// deeper heading (a part's title before its first chapter; a title page's title,
// byline and edition) opens the chapter of the deeper heading, named with both
// ("BOOK ONE: 1805 · CHAPTER I"), or with the book's title alone when that is
// the first (a title page). Gutenberg's header and licence are dropped as in its
// EPUBs.
//
// A saved web page that marks its content (its <main>, or its one <article>) is
// read from there: the site's menus, sidebars and footer around it are not the
// text. A Gutenberg book is read whole (its header names it).
//
// Title: the Gutenberg header's "Title:", else the page's <title> (Gutenberg's
// "The Project Gutenberg eBook of X, by Y" read as X by Y), else its first
// <h1>. Author: the header's "Author:", else <meta name="author"> or
// "DC.Creator", else the "by Y" of that <title>.
import type { Chapter } from "../../ipc/contract";
import { decodeText, looksBinary } from "./decode";
import { deepestListedLevel, JoinedText } from "./chapters";
import { stripGutenbergChapters } from "./gutenberg";
import { decodeEntities, elementEnd, visibleBody, visibleText } from "./html-text";
import { decodeMarkup } from "./markup-encoding";
import { corrupt, empty } from "./errors";
import type { IngestOptions, Ingested } from "./types";

/** Headings joined into one chapter's name at most (a title page's title, byline and edition). */
const MAX_NAME_PARTS = 3;

/** One chapter's name from the headings (or table of contents entries) that open it together: "Part One · Chapter 1". */
export function joinedName(names: string[]): string {
  return names.slice(0, MAX_NAME_PARTS).join(" · ");
}

export function readHtml(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  if (looksBinary(bytes)) throw corrupt("HTML", "it holds binary data, not text");
  return htmlBook(decodeMarkup(bytes, (b) => decodeText(b).text), opts);
}

/**
 * An HTML page's text, chapters, title and author (see the file comment); `known`: the title and
 * author a container names (a Kindle book's metadata), before the page's own.
 */
export function htmlBook(html: string, opts: IngestOptions = {}, known: Partial<PageHead> = {}): Ingested {
  const page = pageHead(html);
  const head = { title: known.title ?? page.title, author: known.author ?? page.author };
  const { text: joined, chapters: found, firstH1 } = sections(mainContent(visibleBody(html)), head.title);
  const g = opts.skipBoilerplate === false ? null : stripGutenbergChapters(joined, found);
  const text = g?.text ?? joined;
  if (!text.trim()) throw empty("HTML file");
  return {
    format: "html",
    title: g?.title ?? head.title ?? firstH1,
    author: g?.author ?? head.author,
    text,
    chapters: g?.chapters ?? found,
    boilerplateSkipped: g?.skipped ?? false,
  };
}

/** Gutenberg's start marker in a page's markup (inside its element, so not at a line's start as ./gutenberg looks for it in text). */
const GUTENBERG_START = /\*\*\*\s*START OF (?:THE|THIS) PROJECT GUTENBERG/i;
/** Text a page's <main> or <article> must hold to be read alone (a short one is a teaser). */
const MIN_MAIN_CHARS = 500;

/** The markup of the page's main content (see the file comment), else the whole body's (both visibleBody's). */
export function mainContent(body: string): string {
  if (GUTENBERG_START.test(body)) return body;
  const main = /<main\b[^>]*>/i.exec(body);
  const articles = [...body.matchAll(/<article\b[^>]*>/gi)];
  const open = main ?? (articles.length === 1 ? articles[0] : null);
  if (!open) return body;
  const from = open.index + open[0].length;
  const end = elementEnd(body, main ? "main" : "article", from);
  if (end < 0) return body;
  const inner = body.slice(from, end);
  // its text's length, near enough for a threshold: the tags out, white space runs as one
  return inner.replace(/<[^>]*>/g, "").replace(/\s+/g, " ").trim().length >= MIN_MAIN_CHARS ? inner : body;
}

interface PageHead {
  title: string | null;
  author: string | null;
}

/** Where <title> and the <meta> tags are looked for: a page's head comes first. */
const HEAD_CHARS = 64 * 1024;

/** The page's title and author from its <title> and <meta> tags (see the file comment). */
export function pageHead(html: string): PageHead {
  const top = html.slice(0, HEAD_CHARS);
  const raw = /<title\b[^>]*>([^<]{1,1000})<\/title\s*>/i.exec(top)?.[1];
  let title = raw === undefined ? null : oneLine(decodeEntities(raw));
  let byline: string | null = null;
  const pg = title === null ? null : /^The Project Gutenberg e-?Book of\s+(.+?)(?:,\s+by\s+(.+))?$/i.exec(title);
  if (pg) {
    title = pg[1];
    byline = pg[2] ?? null;
  }
  let author: string | null = null;
  for (const meta of top.matchAll(/<meta\b[^>]*>/gi)) {
    const name = attribute(meta[0], "name")?.toLowerCase();
    const content = attribute(meta[0], "content");
    if (content && (name === "author" || name === "dc.creator")) {
      author = oneLine(decodeEntities(content));
      break;
    }
  }
  return { title: title || null, author: author || byline };
}

function attribute(tag: string, name: string): string | null {
  const m = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, "i").exec(tag);
  return m ? (m[1] ?? m[2] ?? m[3]) : null;
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

interface Sections {
  text: string;
  chapters: Chapter[];
  firstH1: string | null;
}

/**
 * The body's text (visibleBody's markup), divided at its <h1>-<h3> headings into chapters (see
 * the file comment). Each section's text is ./html-text's, and sections are joined by a blank
 * line, as the paragraphs within one are.
 */
export function sections(body: string, bookTitle: string | null): Sections {
  // A tag needs its ">": past the last one nothing is a heading (and the pattern below would
  // read to the end from each "<h1" there).
  const tagged = body.slice(0, body.lastIndexOf(">") + 1);
  const headings = [...tagged.matchAll(/<h([1-3])\b[^>]*>/gi)].map((m) => ({ at: m.index!, level: Number(m[1]) }));
  const deepest = deepestListedLevel(headings.map((h) => h.level)); // at most MAX_CHAPTERS
  const cuts = [0, ...headings.filter((h) => h.level <= deepest).map((h) => h.at), body.length];
  const joined = new JoinedText();
  const chapters: Chapter[] = [];
  let firstH1: string | null = null;
  // headings with nothing under them but deeper ones, each deeper than the one before; where the first starts
  let pending: { names: string[]; start: number; level: number } | null = null;
  const name = (names: string[]) => (sameTitle(names[0], bookTitle) ? names[0] : joinedName(names));
  for (let i = 0; i + 1 < cuts.length; i++) {
    if (cuts[i] === cuts[i + 1]) continue;
    const slice = body.slice(cuts[i], cuts[i + 1]);
    const { text, heading } = visibleText(slice);
    if (!text) continue;
    const start = joined.add(text);
    if (i === 0 || heading === null) continue; // the text before the first heading; an unclosed heading
    const level = Number(slice[2]);
    if (firstH1 === null && level === 1) firstH1 = heading;
    if (pending && level <= pending.level) {
      chapters.push({ title: name(pending.names), start: pending.start }); // headings without a body of their own
      pending = null;
    }
    pending ??= { names: [], start, level };
    pending.names.push(heading);
    pending.level = level;
    if (isOnlyHeading(text, heading)) continue;
    chapters.push({ title: name(pending.names), start: pending.start });
    pending = null;
  }
  if (pending) chapters.push({ title: name(pending.names), start: pending.start });
  return { text: joined.text, chapters, firstH1 };
}

const fold = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();

export function sameTitle(heading: string, title: string | null): boolean {
  return title !== null && fold(heading) === fold(title);
}

/** Whether a section's text is its heading alone (its heading's <br>s are line breaks there). */
function isOnlyHeading(text: string, heading: string): boolean {
  return fold(text) === fold(heading);
}
