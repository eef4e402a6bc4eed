// Plain-text books (.txt): decode, drop Gutenberg boilerplate, find chapters.
import { decodeText, looksBinary } from "./decode";
import { stripGutenberg } from "./gutenberg";
import { findChapters } from "./chapters";
import { corrupt, empty } from "./errors";
import type { IngestOptions, Ingested } from "./types";

export function readTxt(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  if (looksBinary(bytes)) throw corrupt("text", "it holds binary data, not text");
  const { text: raw } = decodeText(bytes);
  const g = opts.skipBoilerplate === false ? { text: raw, skipped: false, title: null, author: null } : stripGutenberg(raw);
  const text = g.text.replace(/[ \t]+$/gm, "");
  if (!text.trim()) throw empty("text file");
  return {
    format: "txt",
    title: g.title ?? firstLine(text),
    author: g.author,
    text,
    chapters: findChapters(text),
    boilerplateSkipped: g.skipped,
  };
}

/** A short first line makes a fair title for a text without a Gutenberg header. */
export function firstLine(text: string): string | null {
  const line = text.trim().split("\n", 1)[0]?.trim() ?? "";
  return line.length > 0 && line.length <= 80 ? line : null;
}
