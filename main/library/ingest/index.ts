// Ingestion: a dropped file (name + bytes) -> plain text + structure, or a clear
// IngestError. The format comes from the extension and must match the bytes.
import * as path from "node:path";
import { AppError } from "../../ipc/errors";
import { LIMITS } from "../../ipc/validate";
import { readTxt } from "./txt";
import { readMd } from "./md";
import { readEpub } from "./epub";
import { readPdf } from "./pdf";
import { readHtml } from "./html";
import { readMhtml } from "./mhtml";
import { readDocx } from "./docx";
import { readFodt, readOdt } from "./odt";
import { readFb2, readFb2Zip } from "./fb2";
import { readRtf } from "./rtf";
import { readMobi } from "./mobi";
import { readDoc } from "./doc";
import { empty, unsupported } from "./errors";
import type { IngestOptions, Ingested } from "./types";

export type { Ingested, IngestOptions } from "./types";

const READERS: Record<string, (b: Uint8Array, o: IngestOptions) => Ingested | Promise<Ingested>> = {
  ".txt": readTxt,
  ".text": readTxt,
  ".md": readMd,
  ".markdown": readMd,
  ".epub": readEpub,
  ".pdf": readPdf,
  ".html": readHtml,
  ".htm": readHtml,
  ".xhtml": readHtml,
  ".mhtml": readMhtml,
  ".mht": readMhtml,
  ".docx": readDocx,
  ".docm": readDocx,
  ".doc": readDoc,
  ".odt": readOdt,
  ".fodt": readFodt,
  ".fb2": readFb2,
  ".fb2.zip": readFb2Zip,
  ".rtf": readRtf,
  ".mobi": readMobi,
  ".azw3": readMobi,
  ".azw": readMobi,
  ".prc": readMobi,
};

export const SUPPORTED_EXTENSIONS = Object.keys(READERS);

/** A file name's extension as READERS keys it: ".fb2.zip" for a zipped FictionBook, else the last one, lower-case. */
export function bookExtension(name: string): string {
  return /\.fb2\.zip$/i.test(name) ? ".fb2.zip" : path.extname(name).toLowerCase();
}

export async function ingest(name: string, bytes: Uint8Array, opts: IngestOptions = {}): Promise<Ingested> {
  if (bytes.length > LIMITS.maxImportBytes) {
    throw new AppError("TOO_LARGE", `'${name}' is ${(bytes.length / 2 ** 20).toFixed(0)} MiB; the limit is ${LIMITS.maxImportBytes / 2 ** 20} MiB.`);
  }
  const reader = READERS[bookExtension(name)];
  if (!reader) throw unsupported(name);
  if (bytes.length === 0) throw empty("file");
  const doc = await reader(bytes, opts);
  const author = cleanLabel(doc.author);
  const base = path.basename(name);
  const title = cleanLabel(doc.title) ?? cleanLabel(base.slice(0, base.length - bookExtension(name).length)) ?? name;
  const chapters = doc.chapters.map((c) => ({ ...c, title: cleanLabel(c.title) ?? "" }));
  return { ...doc, title: withoutByline(title, author), author, chapters };
}

/** Longest title, author or chapter title kept (a metadata field can hold a whole paragraph). */
export const MAX_LABEL_CHARS = 300;

/**
 * A title, author or chapter title as one line of plain text, or null when nothing is left.
 * They come from the file (a "Title:" line, EPUB or PDF metadata, headings) and are shown in
 * the library, the chat, dialogs and the terminal: control characters (a newline, an escape
 * sequence) are dropped or made spaces, and so are the bidi embedding, override and isolate
 * marks (U+202A-202E, U+2066-2069), which, left unclosed, reorder the text shown after the
 * title (the closing quote and "?" of "Remove “…”?"); U+200B and a BOM go too. Joiners, and
 * the left-to-right and right-to-left marks, stay: scripts and emoji need them.
 */
export function cleanLabel(s: string | null | undefined): string | null {
  if (!s) return null;
  let t = s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ")
    .replace(/[\u202a-\u202e\u2066-\u2069\u200b\ufeff]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  if (t.length > MAX_LABEL_CHARS) {
    let cut = MAX_LABEL_CHARS - 1;
    if (/[\ud800-\udbff]/.test(t[cut - 1])) cut--; // not between a surrogate pair's halves
    t = t.slice(0, cut).trimEnd() + "\u2026";
  }
  return t || null;
}

/**
 * The title without a trailing byline that repeats the author, which the app shows beside it
 * ("Alice's Adventures in Wonderland, by Lewis Carroll" in Gutenberg's PDF metadata); a title
 * that is only a byline stays as it is.
 */
export function withoutByline(title: string, author: string | null): string {
  if (!author) return title;
  const i = title.toLowerCase().lastIndexOf(author.toLowerCase());
  if (i < 0 || i + author.length !== title.length) return title;
  const head = title.slice(0, i).replace(/[\s,;:\-\u2013\u2014]*\bby\s+$/i, "");
  return head.length < i && head.trim() ? head.trim() : title;
}
