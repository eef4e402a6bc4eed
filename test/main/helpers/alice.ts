// Alice's plain-text edition as the oracle for readers of other formats: a test sets
// it in the format (HTML page, Word document, OpenDocument text) and the reader must
// give the txt reader's words and chapters, Gutenberg's boilerplate dropped.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";
import { readTxt } from "../../../main/library/ingest/txt";
import type { Ingested } from "../../../main/library/ingest";

const words = (s: string) => s.split(/\s+/).filter(Boolean);

/** The txt file's text as set down (LF line ends, no BOM), and what the txt reader makes of it. */
export function aliceText(dataDir: string): { raw: string; txt: Ingested } {
  const bytes = fs.readFileSync(path.join(dataDir, "books", "alice-in-wonderland_pg11.txt"));
  return { raw: new TextDecoder().decode(bytes).replace(/\r\n/g, "\n").replace(/^\ufeff/, ""), txt: readTxt(bytes) };
}

/** `got` (Alice set in another format, its title page headings first) reads as the txt does. */
export function expectReadsAsAliceTxt(got: Ingested, txt: Ingested): void {
  expect(got.boilerplateSkipped).toBe(true);
  expect(got.title).toBe("Alice’s Adventures in Wonderland");
  expect(got.author).toBe("Lewis Carroll");
  expect(words(got.text)).toEqual(words(txt.text));
  expect(got.text).not.toMatch(/\*\*\* ?(START|END) OF|Project Gutenberg License/);
  // the title page, then the twelve chapters the txt reader finds, where their headings are
  expect(got.chapters[0]).toEqual({ title: "ALICE’S ADVENTURES IN WONDERLAND", start: 0 });
  expect(got.chapters.slice(1).map((c) => c.title)).toEqual(txt.chapters.map((c) => c.title));
  expect(txt.chapters).toHaveLength(12);
  for (const c of got.chapters.slice(1)) expect(got.text.slice(c.start, c.start + 8)).toBe("CHAPTER ");
  // verse keeps its lines (the Caterpillar's "You are old, Father William")
  expect(got.text).toContain("‘You are old, Father William,’ the young man said,\n‘And your hair has become very white;");
}
