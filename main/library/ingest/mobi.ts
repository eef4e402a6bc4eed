// Kindle books without DRM: .mobi (Mobipocket, MOBI 6), .azw3 (KF8), .azw and
// .prc (either), and a .mobi that holds both (a KF8 part after the MOBI 6 one, as
// converters write them for old and new readers alike). ./mobi-header reads the
// containers, ./palmdoc and ./huffcdic the compressed text records.
//   KF8      the text's first flow (FDST) is the book's XHTML, each file as its
//            skeleton (head, an empty body) followed by the pieces of its body, in
//            reading order: read as one page without the files' </body> and
//            </html> (their heads are not text). A file holding both parts is read
//            from its KF8 part.
//   MOBI 6   one HTML-like stream (<mbp:pagebreak/> between pages).
// Chapters come from the book's table of contents (./mobi-index: NCX entries, each a
// byte position in the text and a label), as a Kindle lists them: MOBI 6
// converters set chapter titles as <font> and <b>, not headings, and a KF8 book's
// may be any element. The text is cut at those positions and each part read as an
// EPUB's chapter is; a part that is only its title (a part's, before its first
// chapter) names the next chapter with it ("Part One · Chapter 1"). Without a
// table of contents (or with one that cannot be read), as an HTML book (./html.ts:
// chapters at <h1>-<h3>); without headings either (a converted text file),
// chapters found in the text as a .txt's are.
//   PalmDOC  (.prc, type "TEXtREAd") plain text: read as a .txt.
// Contents pages (lists of links to places in the book) are left out (./contents-list).
// Title: Gutenberg's header's, else EXTH 503, else the header's full name, else the
// database's name; authors: the header's, else EXTH 100 (not a converter's "Unknown").
// Refused: a book with DRM (encryption set) `ENCRYPTED`; KFX (Kindle's newest
// container, not a Palm database) `UNSUPPORTED_FORMAT`.
import type { Chapter } from "../../ipc/contract";
import { AppError } from "../../ipc/errors";
import { deepestListedLevel, findChapters, JoinedText } from "./chapters";
import { normalizeNewlines } from "./decode";
import { stripGutenbergChapters } from "./gutenberg";
import { htmlBook, joinedName, sameTitle } from "./html";
import { visibleBody, visibleText } from "./html-text";
import { HuffCdic } from "./huffcdic";
import { exthNumber, firstFlow, readMobiHeader, readPalmDatabase, textOf, type MobiHeader } from "./mobi-header";
import { readNcx, type NcxEntry } from "./mobi-index";
import { inflatePalmDoc, recordTextBytes } from "./palmdoc";
import { readTxt } from "./txt";
import { withoutContentsLists } from "./contents-list";
import { corrupt, empty, encrypted } from "./errors";
import type { IngestOptions, Ingested } from "./types";

const WHAT = "Kindle book";
/** What one text record may expand to (4096 bytes in every known writer). */
const RECORD_LIMIT = 64 * 1024;
/** What a book's text may expand to. */
const TEXT_LIMIT = 512 * 2 ** 20;

export function readMobi(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  if (isKfx(bytes))
    throw new AppError("UNSUPPORTED_FORMAT", "This is a KFX book (the Kindle's newest format), which tome cannot read; tome reads Kindle books saved as .mobi or .azw3.");
  const db = readPalmDatabase(bytes);
  if (db.kind === "TEXtREAd") {
    const book = readTxt(concat(textRecords(db.records, 0, readMobiHeader(db.records[0]))), opts);
    return { ...book, format: "mobi", title: book.title ?? (db.name || null) };
  }
  if (db.kind !== "BOOKMOBI") throw corrupt(WHAT, `a Palm database of type '${db.kind.replace(/[^\x20-\x7e]/g, "?")}', not a Mobipocket or Kindle book`);
  const first = readMobiHeader(db.records[0]);
  if (first.encryption) throw encrypted(WHAT);
  const kf8At = first.version >= 8 ? 0 : kf8Part(db.records, first);
  const base = kf8At ?? 0;
  const h = base ? readMobiHeader(db.records[base]) : first;
  if (h.encryption) throw encrypted(WHAT);
  let text: Uint8Array = concat(textRecords(db.records, base, h));
  const meta = {
    title: exthText(h, 503)[0] ?? h.fullName ?? (db.name || null),
    author: exthText(h, 100).filter((a) => a.toLowerCase() !== "unknown").join(", ") || null, // (a converter's "Unknown")
  };
  let flowStart = 0;
  if (kf8At !== null) {
    const flow = h.fdst === null ? null : firstFlow(db.records[base + h.fdst]);
    if (flow && flow[0] < flow[1] && flow[1] <= text.length) [text, flowStart] = [text.subarray(flow[0], flow[1]), flow[0]];
  }
  const kf8 = kf8At !== null;
  const ncx = tableOfContents(db.records, base, h)
    .map((e) => ({ ...e, position: e.position - flowStart }))
    .filter((e) => e.position >= 0 && e.position < text.length);
  return ncx.length ? ncxBook(text, h, kf8, ncx, meta, opts) : asHtmlBook(markup(text, h, kf8), meta, opts);
}

/** A KFX container ("CONT") or DRM'd KFX ("\xeaDRMION\xee") starts here. */
const isKfx = (b: Uint8Array) => ["CONT", "\xeaDRMION"].some((m) => [...m].every((c, i) => b[i] === c.charCodeAt(0)));

/** The KF8 part's record 0 in a file that holds both (EXTH 121), when it is one. */
function kf8Part(records: Uint8Array[], h: MobiHeader): number | null {
  const at = exthNumber(h, 121);
  if (at === null || at <= 0 || at >= records.length) return null;
  try {
    return readMobiHeader(records[at]).version >= 8 ? at : null;
  } catch (e) {
    if (e instanceof AppError) return null; // a broken KF8 part: the MOBI 6 one is the book
    throw e;
  }
}

/** The text records of the part whose record 0 is `base`, each without its trailing entries, expanded. */
function textRecords(records: Uint8Array[], base: number, h: MobiHeader): Uint8Array[] {
  if (h.textRecords === 0) throw empty(WHAT);
  if (base + h.textRecords >= records.length) throw corrupt(WHAT, "its header names more text records than it holds");
  let expand: (b: Uint8Array) => Uint8Array;
  if (h.compression === 1) expand = (b) => b;
  else if (h.compression === 2) expand = (b) => inflatePalmDoc(b, RECORD_LIMIT);
  else if (h.compression === 17480) {
    const huff = base + h.huffRecord;
    if (h.huffCount < 2 || huff + h.huffCount > records.length) throw corrupt(WHAT, "its HUFF/CDIC records are missing");
    const codec = new HuffCdic(records[huff], records.slice(huff + 1, huff + h.huffCount));
    expand = (b) => codec.expand(b, RECORD_LIMIT);
  } else throw corrupt(WHAT, `unknown compression ${h.compression}`);
  const out: Uint8Array[] = [];
  let size = 0;
  for (let i = 1; i <= h.textRecords; i++) {
    const part = expand(recordTextBytes(records[base + i], h.extraFlags));
    size += part.length;
    if (size > TEXT_LIMIT) throw new AppError("TOO_LARGE", `This ${WHAT}'s text expands past ${TEXT_LIMIT / 2 ** 20} MiB.`);
    out.push(part);
  }
  return out;
}

const concat = (parts: Uint8Array[]) => Buffer.concat(parts);

/** EXTH records of a type as text. */
function exthText(h: MobiHeader, type: number): string[] {
  return (h.exth.get(type) ?? []).map((b) => textOf(b, h.utf8).replace(/\s+/g, " ").trim()).filter(Boolean);
}

/**
 * The text's markup as a string, without its contents pages (./contents-list). A MOBI 6 page
 * break is a paragraph break; a KF8 file's pieces follow its </body></html>, so without the
 * closers one body holds them all.
 */
function markup(b: Uint8Array, h: MobiHeader, kf8: boolean): string {
  const s = normalizeNewlines(textOf(b, h.utf8));
  return withoutContentsLists(kf8 ? s.replace(/<\/(?:body|html)\s*>/gi, "") : s.replace(/<mbp:pagebreak\b[^>]*>/gi, "<hr/>"));
}

/** An HTML book (./html.ts); without headings, chapters found in its text as a .txt's are (a converted text file has none). */
function asHtmlBook(html: string, meta: { title: string | null; author: string | null }, opts: IngestOptions): Ingested {
  const book = htmlBook(html, opts, { title: meta.title ?? undefined, author: meta.author ?? undefined });
  return { ...book, format: "mobi", chapters: book.chapters.length ? book.chapters : findChapters(book.text) };
}

/** The NCX entries of the part whose record 0 is `base`, or none when it has no table of contents or it cannot be read. */
function tableOfContents(records: Uint8Array[], base: number, h: MobiHeader): NcxEntry[] {
  if (h.ncx === null || h.ncx <= 0 || base + h.ncx >= records.length) return [];
  try {
    return readNcx(records, base + h.ncx, (b) => textOf(b, h.utf8));
  } catch (e) {
    if (e instanceof AppError) return []; // the book reads without it, chapters found by headings
    throw e;
  }
}

/**
 * A book cut at its table of contents' positions (see the file comment): the entries of the
 * depths listed (deepestListedLevel, as headings are), each a chapter named by its label.
 */
function ncxBook(b: Uint8Array, h: MobiHeader, kf8: boolean, ncx: NcxEntry[], meta: { title: string | null; author: string | null }, opts: IngestOptions): Ingested {
  const top = Math.min(...ncx.map((e) => e.depth));
  const level = (e: NcxEntry) => Math.min(3, e.depth - top + 1);
  const deepest = deepestListedLevel(ncx.map(level));
  const listed = ncx.filter((e) => level(e) <= deepest).sort((x, y) => x.position - y.position);
  const cuts = listed.map((e) => cutAt(b, e.position, h.utf8));
  const book = new JoinedText();
  const found: Chapter[] = [];
  // titles of parts that held only their title, and where the first starts
  let pending: { names: string[]; start: number } | null = null;
  for (let i = -1; i < listed.length; i++) {
    const from = i < 0 ? 0 : cuts[i];
    const to = i + 1 < cuts.length ? cuts[i + 1] : b.length;
    if (to <= from) continue; // an entry at the same place as the next: the next names it
    const { text } = visibleText(visibleBody(markup(b.subarray(from, to), h, kf8)));
    if (!text) continue;
    const start = book.add(text);
    if (i < 0) continue;
    const label = listed[i].label || `Part ${found.length + 1}`;
    pending ??= { names: [], start };
    pending.names.push(label);
    if (sameTitle(text, label) && i + 1 < listed.length) continue;
    found.push({ title: joinedName(pending.names), start: pending.start });
    pending = null;
  }
  const joined = book.text;
  const g = opts.skipBoilerplate === false ? null : stripGutenbergChapters(joined, found);
  const text = g?.text ?? joined;
  if (!text.trim()) throw empty(WHAT);
  return {
    format: "mobi",
    title: g?.title ?? meta.title,
    author: g?.author ?? meta.author,
    text,
    chapters: g?.chapters ?? found,
    boilerplateSkipped: g?.skipped ?? false,
  };
}

/** How far back a cut looks for the tag it falls in. */
const TAG_LOOKBACK = 4096;

/** A table of contents' position made a place to cut: not inside a UTF-8 character, nor inside a tag (before it). */
function cutAt(b: Uint8Array, position: number, utf8: boolean): number {
  let p = Math.min(position, b.length);
  if (utf8) while (p > 0 && p < b.length && (b[p] & 0xc0) === 0x80) p--;
  for (let i = p - 1; i >= Math.max(0, p - TAG_LOOKBACK); i--) {
    if (b[i] === 0x3e) break; // ">": p is outside a tag
    if (b[i] === 0x3c) return i; // "<": p is inside this tag
  }
  return p;
}
