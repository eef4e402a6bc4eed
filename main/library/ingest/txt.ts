// Plain-text books (.txt): decode, drop Gutenberg boilerplate, undo a fixed-width
// wrap, find chapters.
// The title is a "Title:" line near the top (Gutenberg's header has one), else
// the file name (ingest's fallback): a text's first line is as often a speaker
// ("First Citizen:") or a sentence as a title.
import { readTextFile } from "./decode";
import { stripGutenberg } from "./gutenberg";
import { findChapters } from "./chapters";
import { unwrapProse } from "./unwrap";
import { corrupt, empty } from "./errors";
import type { IngestOptions, Ingested } from "./types";

export function readTxt(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  const decoded = readTextFile(bytes);
  if (!decoded) throw corrupt("text", "it holds binary data, not text");
  const raw = decoded.text;
  const g = opts.skipBoilerplate === false ? { text: raw, skipped: false, title: null, author: null } : stripGutenberg(raw);
  // Trailing blanks off each line. The lookbehind lets a match start only where a run of blanks
  // starts: plain /[ \t]+$/gm retries from every blank of a run not at a line's end, quadratic
  // in the run (a 100k-space run took 10 s, a megabyte's would hang the app).
  // Then the lines a fixed-width wrapper broke are joined (./unwrap).
  const text = unwrapProse(g.text.replace(/(?<![ \t])[ \t]+$/gm, ""));
  if (!text.trim()) throw empty("text file");
  return {
    format: "txt",
    title: g.title ?? titleLine(raw),
    author: g.author,
    text,
    chapters: findChapters(text),
    boilerplateSkipped: g.skipped,
  };
}

/** Where a "Title:" line is looked for: Gutenberg puts it after a few lines of preamble. */
const HEAD = 5000;

/** The value of a "Title:" line near the top, or null. */
export function titleLine(text: string): string | null {
  return /^[ \t]*Title:[ \t]*(\S.{0,199}?)[ \t]*$/im.exec(text.slice(0, HEAD))?.[1] ?? null;
}
