// Haystacks: the text needles hide in. "noise" is RULER's repeated filler
// ("The grass is green. ..."), a book is any file tome can read (txt, md, epub,
// pdf, html, doc, docx, odt, fb2, rtf, mobi, azw3), started at a seeded paragraph and wrapped around when the target is
// longer than the book. Sentence starts are where needles may go, so a needle
// never splits a sentence.
import * as fs from "node:fs";
import * as path from "node:path";
import { ingest } from "../library/ingest";
import type { Rng } from "./rng";

export const NOISE = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. ";

export type HaystackSource = { kind: "noise" } | { kind: "book"; name: string; text: string };

/** Reads `--haystack`: "noise" or a book file (Project Gutenberg boilerplate skipped). */
export async function loadHaystack(spec: string): Promise<HaystackSource> {
  if (spec === "noise") return { kind: "noise" };
  const bytes = fs.readFileSync(spec);
  const doc = await ingest(path.basename(spec), bytes, { skipBoilerplate: true });
  // one space between words: line breaks inside paragraphs are the file's, not the text's
  const text = doc.text.replace(/\s*\n\s*\n\s*/g, "\n\n").replace(/[ \t]*\n(?!\n)[ \t]*/g, " ").trim();
  if (text.length < 1000) throw Object.assign(new Error(`haystack ${spec} has only ${text.length} characters of text`), { code: "BAD_HAYSTACK" });
  return { kind: "book", name: path.basename(spec), text };
}

/** V8's longest string (2^29 - 24 characters on 64-bit): filler past it cannot be built. */
const MAX_CHARS = 2 ** 29 - 24;

/** At least `minChars` of filler: noise repeated, or the book from a seeded paragraph on (wrapping). */
export function fillerText(source: HaystackSource, rng: Rng, minChars: number): string {
  if (minChars > MAX_CHARS)
    throw Object.assign(new Error(`a haystack of ${minChars} characters is longer than a string can hold (${MAX_CHARS})`), { code: "TOO_LONG" });
  const unit = source.kind === "noise" ? NOISE : source.text + "\n\n";
  let start = 0;
  if (source.kind === "book") {
    const paragraphs = [...source.text.matchAll(/\n\n/g)].map((m) => m.index! + 2);
    start = paragraphs.length ? rng.pick(paragraphs) : 0;
  }
  let out = unit.slice(start);
  while (out.length < minChars) out += unit;
  return out.slice(0, Math.max(minChars, 1));
}

/** Character offsets where a sentence starts (after . ! ? and closing quotes, or a blank line), plus 0 and text.length. */
export function sentenceStarts(text: string): number[] {
  const out = [0];
  for (const m of text.matchAll(/[.!?]["'\u201d\u2019)]*\s+|\n\n+/g)) {
    const at = m.index! + m[0].length;
    if (at < text.length && at > out[out.length - 1]) out.push(at);
  }
  if (out[out.length - 1] !== text.length) out.push(text.length);
  return out;
}
