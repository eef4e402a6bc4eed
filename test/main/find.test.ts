// Find in a book: the folding (main/library/find.ts), the matches and their
// context (main/app/find-in-book.ts), and library.find through the core. The
// oracle of the folding: every match's range in the book's own text folds to
// the query, and a plain scan of the folded text finds as many.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findAll, foldQuery, foldText, foldTextInSlices, sourceOffset } from "../../main/library/find";
import { around, BookFinder, FIND_COUNT_CAP } from "../../main/app/find-in-book";
import { ingest } from "../../main/library/ingest";
import { testDataDir } from "../../main/bench/test-data";
import { b64, makeCore, type TestCore } from "./helpers/core";
import type { DocumentInfo, FindResult, LibraryFindResult } from "../../main/ipc/contract";

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

describe("find: offsets from marks", () => {
  // The oracle: each code point folded on its own (a fresh fold), runs of spaces and of dashes
  // then kept once, every folded unit given its code point's offset: a dense table.
  function denseOffsets(text: string): { folded: string; at: number[] } {
    let folded = "";
    const at: number[] = [];
    for (let i = 0; i < text.length; ) {
      const c = String.fromCodePoint(text.codePointAt(i)!);
      const f = foldText(c).folded;
      const merged = (f === " " || f === "-") && folded.endsWith(f);
      if (!merged) for (let j = 0; j < f.length; j++) (folded += f[j]), at.push(i); // each UTF-16 unit
      i += c.length;
    }
    return { folded, at };
  }

  it("every folded character's source offset, across marks and slices, equals the dense table's; slices fold as the whole does", async () => {
    const pieces = ["Straße ", "Nata\u0301sha  \n", "--", "—", " 😀 ", "İ", "x\u00ADy", "don’t ", "ΟΔΟΣ", "\t\t", "abc "];
    let text = "";
    for (let i = 0; text.length < 150_000; i++) text += pieces[(i * 7) % pieces.length] + "w".repeat(i % 70);
    const whole = foldText(text);
    const dense = denseOffsets(text);
    expect(whole.folded).toBe(dense.folded);
    for (let k = 0; k < dense.at.length; k++) if (sourceOffset(whole, k) !== dense.at[k]) expect([k, sourceOffset(whole, k)]).toEqual([k, dense.at[k]]);
    expect(sourceOffset(whole, whole.folded.length)).toBe(text.length);
    let pauses = 0;
    const sliced = await foldTextInSlices(text, async () => void pauses++);
    expect(pauses).toBe(2); // 150K characters in 64K slices
    expect(sliced.folded).toBe(whole.folded);
    for (let k = 0; k < dense.at.length; k += 97) expect(sourceOffset(sliced, k)).toBe(dense.at[k]);
    // a mark at least every 64 folded characters
    const ns = [...whole.marks].filter((_, i) => i % 3 === 0);
    expect(Math.max(...ns.map((n, i) => (ns[i + 1] ?? whole.folded.length) - n))).toBeLessThanOrEqual(64 + 2);
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

  it("keeps one book's folded text: another book is folded afresh, a removed one forgotten", async () => {
    const f = new BookFinder();
    let reads = 0;
    const text = (s: string) => () => (reads++, s);
    expect((await f.find(1, text("a cat, a Cat, a CAT"), "cat")).total).toBe(3);
    expect((await f.find(1, text("unused"), "a c")).total).toBe(3);
    expect(reads).toBe(1);
    expect((await f.find(2, text("no felines"), "cat")).total).toBe(0);
    f.forget(2);
    expect((await f.find(2, text("one cat"), "cat")).total).toBe(1);
    expect(reads).toBe(3);
    const many = await f.find(3, () => "x ".repeat(FIND_COUNT_CAP + 5), "x", 3);
    expect([many.matches.length, many.total, many.capped]).toEqual([3, FIND_COUNT_CAP, true]);
  });

  it("keeps the books searched last up to its budget, the one searched last whatever its size", async () => {
    const f = new BookFinder(100);
    const book = (n: number, s: string) => ({ documentId: n, text: () => s });
    await f.findInBooks([book(1, "a".repeat(40)), book(2, "b".repeat(40))], "a");
    expect(f.keptBooks()).toEqual([1, 2]);
    await f.find(1, () => "unused", "a"); // searched again: last
    expect(f.keptBooks()).toEqual([2, 1]);
    await f.find(3, () => "c".repeat(40), "c"); // 120 > 100: the book searched longest ago leaves
    expect(f.keptBooks()).toEqual([1, 3]);
    await f.find(4, () => "d".repeat(500), "d"); // over the budget alone: kept, alone
    expect(f.keptBooks()).toEqual([4]);
  });

  it("which books hold a phrase: counts, the first match in context, most matches first; books without none listed", async () => {
    const f = new BookFinder();
    const books = [
      { documentId: 1, text: () => "No felines here." },
      { documentId: 2, text: () => "One Cat sat." },
      { documentId: 3, text: () => "A cat, a CAT, and a cát." },
      { documentId: 4, text: () => "x cat ".repeat(FIND_COUNT_CAP + 3) },
    ];
    const r = await f.findInBooks(books, "cat");
    expect(r.books.map((b) => [b.documentId, b.total, b.capped])).toEqual([
      [4, FIND_COUNT_CAP, true],
      [3, 3, false],
      [2, 1, false],
    ]);
    expect(r.books[2].first).toEqual({ start: 4, end: 7, before: "One ", match: "Cat", after: " sat." });
  });

  it("folds a long book between turns of the event loop; searches meanwhile wait for that one fold", async () => {
    const f = new BookFinder();
    let reads = 0;
    const book = "Lorem ipsum dolor sit amet. ".repeat(40_000) + "The NEEDLE.";
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const [a, b] = await Promise.all([f.find(1, () => (reads++, book), "needle"), f.find(1, () => (reads++, book), "lorem", 1)]);
    counting = false;
    expect(reads).toBe(1);
    expect(turns).toBeGreaterThan(10); // 1.1M characters in 64K slices: the loop turned between them
    expect(a.matches.map((m) => book.slice(m.start, m.end))).toEqual(["NEEDLE"]);
    expect(b.total).toBe(10_000);
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

  it("library.findAll: the books that hold a phrase; a removed book is not searched; bad requests refused", async () => {
    t = makeCore();
    const a = (await t.core.call("library.import", { name: "a.txt", dataBase64: b64("The White Rabbit, and the white rabbit again.\n") })) as DocumentInfo;
    const b = (await t.core.call("library.import", { name: "b.txt", dataBase64: b64("A rabbit-hole. The WHITE\nRABBIT ran.\n") })) as DocumentInfo;
    await t.core.call("library.import", { name: "c.txt", dataBase64: b64("Nothing of the kind.\n") });
    const r = (await t.core.call("library.findAll", { query: "white rabbit" })) as LibraryFindResult;
    expect(r.books.map((x) => [x.documentId, x.total, x.first.match])).toEqual([
      [a.id, 2, "White Rabbit"],
      [b.id, 1, "WHITE RABBIT"],
    ]);
    await t.core.call("library.remove", { documentId: a.id });
    const after = (await t.core.call("library.findAll", { query: "white rabbit" })) as LibraryFindResult;
    expect(after.books.map((x) => x.documentId)).toEqual([b.id]);
    const code = (p: unknown) => t.core.call("library.findAll", p as never).then(() => "OK", (e: { code?: string }) => e.code);
    expect(await code({ query: "" })).toBe("BAD_REQUEST");
    expect(await code({ query: "x".repeat(501) })).toBe("BAD_REQUEST");
    expect(await code({})).toBe("BAD_REQUEST");
  });
});
