// Prose hard-wrapped at a fixed width, unwrapped (main/library/ingest/unwrap.ts).
// The oracle: paragraphs wrapped here by a greedy wrapper come back one line each,
// and the real books' texts change only where a wrapper broke a paragraph.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ingest } from "../../main/library/ingest";
import { stripGutenberg } from "../../main/library/ingest/gutenberg";
import { unwrapMarkdown, unwrapProse, wrapWidth } from "../../main/library/ingest/unwrap";
import { testDataDir } from "../../main/bench/test-data";

const data = testDataDir();

/** Seeded sentences of made-up words. */
function prose(seed: number, words: number): string {
  let s = seed >>> 0;
  const rnd = (k: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % k;
  };
  return Array.from({ length: words }, () => Array.from({ length: 1 + rnd(12) }, () => "aeioustrnlhdc"[rnd(13)]).join("")).join(" ") + ".";
}

/** Greedy wrap at `width` columns: as many words as fit a line. */
function wrap(paragraph: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const w of paragraph.split(" ")) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? line + " " + w : w;
  }
  return [...lines, line].join("\n");
}

const VERSE = "   'Twinkle, twinkle, little bat!\n    How I wonder what you're at!'";
/** A list whose first item runs nearly to the width: its break is the list's, not a wrap. */
const list = (width: number) => `1. ${"a".repeat(width - 4)}\n2. the second`;

describe("unwrap: wrapped prose", () => {
  it("paragraphs wrapped at a fixed width come back one line each; verse and lists keep their lines", () => {
    for (const width of [64, 70, 78]) {
      const paras = Array.from({ length: 30 }, (_, i) => prose(width * 100 + i, 5 + ((i * 37) % 150)));
      const blocks = paras.flatMap((p, i) => (i === 10 ? [VERSE, p] : i === 20 ? [list(width), p] : [p]));
      const wrapped = blocks.map((b) => (b === VERSE || b === list(width) ? b : wrap(b, width))).join("\n\n");
      expect(wrapWidth(wrapped.split("\n"))).toBeLessThanOrEqual(width);
      const out = unwrapProse(wrapped);
      expect(out).toBe(blocks.join("\n\n"));
      expect(out.length).toBe(wrapped.length);
    }
  });

  it("leaves a text that is not wrapped prose as it is: verse, long unwrapped lines, a few lines", () => {
    const play = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? "First Citizen:" : wrap(prose(i, 8), 45).split("\n")[0])).join("\n");
    expect(unwrapProse(play)).toBe(play);
    const long = Array.from({ length: 60 }, (_, i) => prose(i, 40)).join("\n");
    expect(unwrapProse(long)).toBe(long);
    // one sentence a line, of any length up to 100 columns: no width most lines end near
    const sentences = Array.from({ length: 90 }, (_, i) => prose(i, 2 + i).slice(0, 10 + i)).join("\n");
    expect(unwrapProse(sentences)).toBe(sentences);
    const short = wrap(prose(7, 200), 70);
    expect(short.split("\n").length).toBeLessThan(40);
    expect(unwrapProse(short)).toBe(short);
  });
});

describe("unwrap: markdown", () => {
  it("a paragraph's soft breaks become spaces; hard breaks, headings, lists, quotes, tables and code keep their lines", () => {
    const md = [
      "# Title",
      "",
      "A paragraph that",
      "wraps here  ",
      "after a hard break",
      "and\\",
      "after a backslash.",
      "",
      "- item one",
      "  continued, set in",
      "- item two",
      "lazily continued",
      "1. numbered",
      "",
      "```",
      "code line",
      "more code",
      "```",
      "",
      "> quote",
      "> more",
      "",
      "Setext",
      "======",
      "",
      "| a | b |",
      "|---|---|",
      "",
      "---",
      "The end",
      "of the text.",
    ].join("\n");
    // exactly these breaks become spaces: inside paragraphs, and a list item's lazy continuation
    const soft = ["that\nwraps", "break\nand", "two\nlazily", "end\nof"];
    expect(unwrapMarkdown(md)).toBe(soft.reduce((t, j) => t.replace(j, j.replace("\n", " ")), md));
  });

  it("through ingest: a markdown book's paragraphs are one line, its chapters where its headings are", async () => {
    const md = "# The Book\n\n## One\n\nIt was a dark\nand stormy night.\n\n## Two\n\nThe end\ncame.\n";
    const d = await ingest("b.md", new Uint8Array(Buffer.from(md)));
    expect(d.text).toBe("# The Book\n\n## One\n\nIt was a dark and stormy night.\n\n## Two\n\nThe end came.\n");
    expect(d.chapters.map((c) => d.text.slice(c.start, c.start + 6))).toEqual(["# The ", "## One", "## Two"]);
  });
});

describe.skipIf(!data)("unwrap: the shared books", () => {
  const raw = (f: string) => fs.readFileSync(path.join(data!, "books", f), "utf8").replace(/\r\n/g, "\n");

  it("Alice: only the wrapper's breaks change, into spaces; paragraphs are one line, the verse keeps its lines", async () => {
    const before = stripGutenberg(raw("alice-in-wonderland_pg11.txt")).text.replace(/(?<![ \t])[ \t]+$/gm, "");
    const after = (await ingest("alice.txt", new Uint8Array(Buffer.from(raw("alice-in-wonderland_pg11.txt"))))).text;
    expect(after.length).toBe(before.length);
    let changed = 0;
    for (let i = 0; i < after.length; i++)
      if (after[i] !== before[i]) {
        expect([before[i], after[i]]).toEqual(["\n", " "]);
        changed++;
      }
    expect(changed).toBeGreaterThan(1500);
    // every paragraph of prose is one line now: no non-blank line is followed by one at the margin
    const lines = after.split("\n");
    const runOn = lines.filter((l, i) => l.trim() && /^\S/.test(lines[i + 1] ?? ""));
    expect(runOn).toEqual([]);
    expect(after).toContain(
      "whether the pleasure of making a daisy-chain would be worth the trouble of getting up and picking the daisies, when suddenly a White Rabbit with pink eyes ran close by her.\n",
    );
    expect(after).toContain("   ‘You are old, Father William,’ the young man said,\n    ‘And your hair has become very white;\n");
  });

  it("a play in verse is left as it is", () => {
    const play = raw("tinyshakespeare.txt");
    expect(wrapWidth(play.split("\n"))).toBeNull();
    expect(unwrapProse(play)).toBe(play);
  });
});
