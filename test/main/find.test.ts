// Find in a book: the folding (main/library/find.ts), the matches and their
// context (main/app/find-in-book.ts), and library.find through the core. The
// oracle of the folding: every match's range in the book's own text folds to
// the query, and a plain scan of the folded text finds as many.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findAll, foldQuery, foldText } from "../../main/library/find";
import { around, BookFinder, FIND_COUNT_CAP } from "../../main/app/find-in-book";
import { ingest } from "../../main/library/ingest";
import { testDataDir } from "../../main/bench/test-data";
import { b64, makeCore, type TestCore } from "./helpers/core";
import type { DocumentInfo, FindResult } from "../../main/ipc/contract";

const data = testDataDir();
const slices = (text: string, query: string) => findAll(foldText(text), query, 100).matches.map((m) => text.slice(m.start, m.end));

describe("find: folding", () => {
  it("case, accents, curly quotes, dashes and white space aside; the ranges are the book's own", () => {
    const text = "NATÁSHA said: “Don’t go—please.”\nShe went\non. Nata\u0301sha? Straße, İstanbul, ΟΔΟΣ.";
    expect(slices(text, "natasha")).toEqual(["NATÁSHA", "Nata\u0301sha"]);
    expect(slices(text, "\"don't go-please")).toEqual(["“Don’t go—please"]);
    expect(slices(text, "she went on")).toEqual(["She went\non"]);
    expect(slices(text, "  went   on ")).toEqual(["went\non"]);
    expect(slices(text, "go--please")).toEqual(["go—please"]);
    expect(slices("Drawling--the Drawling-master", "drawling—the")).toEqual(["Drawling--the"]);
    expect(slices(text, "strasse")).toEqual(["Straße"]);
    expect(slices(text, "istanbul")).toEqual(["İstanbul"]);
    expect(slices(text, "οδος")).toEqual(["ΟΔΟΣ"]);
    expect(slices(text, "missing")).toEqual([]);
  });

  it("a match ending inside a character that folds to two ends after it; surrogate pairs stay whole", () => {
    expect(slices("Straße", "stras")).toEqual(["Straß"]);
    expect(slices("a 😀 b 😀😀", "😀")).toEqual(["😀", "😀", "😀"]);
    expect(slices("x\u00ADy", "xy")).toEqual(["x\u00ADy"]); // a soft hyphen folds away
  });

  it("counts past the matches it returns, up to a cap; a query that folds to nothing finds nothing", () => {
    const text = "ab ".repeat(50);
    const r = findAll(foldText(text), "AB", 10, 30);
    expect(r.matches.map((m) => m.start)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(r.total).toBe(30);
    expect(findAll(foldText(text), "ab", 100).total).toBe(50);
    expect(findAll(foldText(text), " \u0301 ", 10)).toEqual({ matches: [], total: 0 });
  });

  it.skipIf(!data)("War and Peace: every match's range folds to the query; a scan of the folded text finds as many", async () => {
    const book = (await ingest("wp.txt", new Uint8Array(fs.readFileSync(path.join(data!, "books", "war-and-peace_pg2600.txt"))))).text;
    const folded = foldText(book);
    for (const q of ["Natasha", "Prince Andrew", "don't know", "moscow", "—and"]) {
      const { matches, total } = findAll(folded, q, 1_000_000);
      expect(total).toBeGreaterThan(0);
      for (const m of matches) expect(foldQuery(book.slice(m.start, m.end))).toBe(foldQuery(q));
      let scan = 0;
      for (let i = folded.folded.indexOf(foldQuery(q)); i >= 0; i = folded.folded.indexOf(foldQuery(q), i + 1)) scan++;
      expect(total).toBeLessThanOrEqual(scan); // the scan also counts overlapping ones
      expect(total).toBeGreaterThan(0.9 * scan);
    }
    expect(findAll(folded, "Natasha", 10).total).toBeGreaterThan(1000); // spelled "Natásha" throughout
  });
});

describe("find: matches in context", () => {
  it("a few words each side, cut at a word's edge, white space squeezed", () => {
    const text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen\nseventeen NEEDLE eighteen nineteen twenty twenty-one twenty-two twenty-three twenty-four twenty-five twenty-six twenty-seven";
    const at = text.indexOf("NEEDLE");
    const m = around(text, at, at + 6);
    expect(m.match).toBe("NEEDLE");
    // cut before and after whole words, "…" where cut
    const before = text.slice(0, at).replace(/\s+/g, " "), after = text.slice(at + 6).replace(/\s+/g, " ");
    expect(m.before[0]).toBe("…");
    expect(before.endsWith(m.before.slice(1))).toBe(true);
    expect(before[before.length - m.before.length]).toBe(" ");
    expect(m.after.at(-1)).toBe("…");
    expect(after.startsWith(m.after.slice(0, -1))).toBe(true);
    expect(after[m.after.length - 1]).toBe(" ");
    expect(m.before.length + m.after.length).toBeGreaterThan(100);
    expect(around("short NEEDLE text", 6, 12)).toEqual({ start: 6, end: 12, before: "short ", match: "NEEDLE", after: " text" });
  });

  it("keeps one book's folded text: another book is folded afresh, a removed one forgotten", () => {
    const f = new BookFinder();
    let reads = 0;
    const text = (s: string) => () => (reads++, s);
    expect(f.find(1, text("a cat, a Cat, a CAT"), "cat").total).toBe(3);
    expect(f.find(1, text("unused"), "a c").total).toBe(3);
    expect(reads).toBe(1);
    expect(f.find(2, text("no felines"), "cat").total).toBe(0);
    f.forget(2);
    expect(f.find(2, text("one cat"), "cat").total).toBe(1);
    expect(reads).toBe(3);
    const many = f.find(3, () => "x ".repeat(FIND_COUNT_CAP + 5), "x", 3);
    expect([many.matches.length, many.total, many.capped]).toEqual([3, FIND_COUNT_CAP, true]);
  });
});

describe("find: library.find", () => {
  let t: TestCore;
  afterEach(() => t.close());

  it("finds in an imported book; bad requests are refused with a code", async () => {
    t = makeCore();
    const book = "CHAPTER I\n\nAlice met the White Rabbit.\n\nCHAPTER II\n\n“The white rabbit!” cried Alice.\n";
    const d = (await t.core.call("library.import", { name: "a.txt", dataBase64: b64(book) })) as DocumentInfo;
    const r = (await t.core.call("library.find", { documentId: d.id, query: "white rabbit" })) as FindResult;
    expect(r.total).toBe(2);
    expect(r.matches.map((m) => [m.match, book.slice(m.start, m.end)])).toEqual([
      ["White Rabbit", "White Rabbit"],
      ["white rabbit", "white rabbit"],
    ]);
    const code = (p: unknown) => t.core.call("library.find", p as never).then(() => "OK", (e: { code?: string }) => e.code);
    expect(await code({ documentId: d.id, query: "" })).toBe("BAD_REQUEST");
    expect(await code({ documentId: d.id, query: "x".repeat(501) })).toBe("BAD_REQUEST");
    expect(await code({ documentId: d.id, query: "a", limit: 0 })).toBe("BAD_REQUEST");
    expect(await code({ documentId: 999, query: "a" })).toBe("NOT_FOUND");
    await t.core.call("library.remove", { documentId: d.id });
    expect(await code({ documentId: d.id, query: "a" })).toBe("NOT_FOUND");
  });
});
