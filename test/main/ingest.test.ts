// Ingestion on the shared books (../shared/books or $TOME_TEST_DATA) and on broken
// files written here: each bad input gives its clear error code.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { zipSync, strToU8 } from "fflate";
import { encodeLegacy } from "./helpers/legacy-encode";
import { ingest } from "../../main/library/ingest";
import { decode1252, decodeText } from "../../main/library/ingest/decode";
import { stripGutenberg } from "../../main/library/ingest/gutenberg";
import { findChapters, markdownChapters } from "../../main/library/ingest/chapters";
import { htmlToText } from "../../main/library/ingest/html-text";
import { pdfAuthor } from "../../main/library/ingest/pdf";
import { MAX_LABEL_CHARS, cleanLabel, withoutByline } from "../../main/library/ingest";
import { testDataDir } from "../../main/bench/test-data";
import { checkUnpackedSize } from "../../main/library/ingest/zip-size";
import { checkPdfInflatedSize } from "../../main/library/ingest/pdf-size";
import { decodeFilter, lzwDecode, streamFilters } from "../../main/library/ingest/pdf-filters";
import { ascii85Encode, lzwEncode, lzwRunCodes, runLengthEncode } from "./helpers/pdf-encoders";
import { pdfFile } from "./helpers/pdf-file";
import * as zlib from "node:zlib";

const data = testDataDir();
const book = (n: string) => new Uint8Array(fs.readFileSync(path.join(data ?? "", "books", n)));

describe("decode", () => {
  it("strips a UTF-8 BOM and CRLF", () => {
    const d = decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69, 0x0d, 0x0a, 0x79, 0x6f, 0x0d, 0x0a]));
    expect(d).toEqual({ text: "hi\nyo\n", encoding: "utf-8" });
  });
  it("falls back to Latin-1 (Windows-1252) for invalid UTF-8", () => {
    const d = decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x93, 0x71, 0x94])); // café “q”
    expect(d.encoding).toBe("windows-1252");
    expect(d.text).toBe("café \u201cq\u201d");
  });
  it("reads UTF-16LE with a BOM", () => {
    expect(decodeText(new Uint8Array([0xff, 0xfe, 0x41, 0, 0x0d, 0, 0x0a, 0, 0x42, 0])).text).toBe("A\nB");
  });
});

describe("structure", () => {
  it("skips Gutenberg boilerplate and reads title and author", () => {
    const t = "Title: A Book\nAuthor: Someone\n\n*** START OF THE PROJECT GUTENBERG EBOOK A BOOK ***\n\nBody text.\n\n*** END OF THE PROJECT GUTENBERG EBOOK A BOOK ***\nLicence...";
    expect(stripGutenberg(t)).toEqual({ text: "Body text.\n", skipped: true, title: "A Book", author: "Someone" });
    expect(stripGutenberg("no markers").skipped).toBe(false);
  });
  it("finds chapter headings and drops a table of contents", () => {
    const body = "x".repeat(500);
    const t = `Contents\n\nCHAPTER 1. One\n\nCHAPTER 2. Two\n\n\nCHAPTER 1. One\n\n${body}\n\nCHAPTER 2. Two\n\n${body}\n`;
    const cs = findChapters(t);
    expect(cs.map((c) => c.title)).toEqual(["CHAPTER 1. One", "CHAPTER 2. Two"]);
    for (const c of cs) expect(t.slice(c.start, c.start + 7)).toBe("CHAPTER");
    expect(cs[0].start).toBeGreaterThan(t.indexOf("Two"));
  });
  it("joins a PDF heading wrapped onto a short next line, never a chapter's first sentence", () => {
    const body = "x".repeat(500);
    const pdf = (heading: string, next: string) => findChapters(`${heading}\n${next}\n${body}\n`, { requireBlankLine: false })[0].title;
    expect(pdf("CHAPTER V. Advice from a", "Caterpillar")).toBe("CHAPTER V. Advice from a Caterpillar");
    expect(pdf("CHAPTER IV. The Rabbit Sends in", "a Little Bill")).toBe("CHAPTER IV. The Rabbit Sends in a Little Bill");
    expect(pdf("CHAPTER I. Loomings", "Call me Ishmael.")).toBe("CHAPTER I. Loomings");
    expect(pdf("CHAPTER II. The Carpet-Bag", "I stuffed a shirt or two into my old carpet-bag")).toBe("CHAPTER II. The Carpet-Bag");
    expect(pdf("CHAPTER III. The Spouter-Inn", "Yes.")).toBe("CHAPTER III. The Spouter-Inn");
    // a bare heading takes its title line once, not again as a wrapped one
    expect(pdf("CHAPTER X.", "Quadrille")).toBe("CHAPTER X. Quadrille");
    // prose text: a heading's one wrapped line before a blank line joins; a line that runs on
    // into a paragraph makes the heading prose (Moby-Dick's Cetology: "BOOK I. (Folio), CHAPTER I.
    // (Sperm Whale).—This whale, among the" / "moderns, ...")
    const prose = (lines: string) => findChapters(`\n\n${lines}\n${body}\n\nCHAPTER 9. Next\n\n${body}`).map((c) => c.title);
    expect(prose("CHAPTER 73. Stubb and Flask kill a Right Whale; and Then Have a Talk\nover Him.\n")).toEqual([
      "CHAPTER 73. Stubb and Flask kill a Right Whale; and Then Have a Talk over Him.",
      "CHAPTER 9. Next",
    ]);
    expect(prose("CHAPTER X. The Lobster\n")).toEqual(["CHAPTER X. The Lobster", "CHAPTER 9. Next"]);
    expect(prose("BOOK I. (Folio), CHAPTER I. (Sperm Whale).—This whale, among the\nmoderns, has been known")).toEqual(["CHAPTER 9. Next"]);
  });

  it("names the chapters after a dividing part heading with it; keeps a lone short chapter", () => {
    const body = "z".repeat(500);
    const t =
      `Contents\n\nBOOK ONE: 1805\n\nCHAPTER I\n\nCHAPTER II\n\nFIRST EPILOGUE: 1813 - 20\n\nCHAPTER I\n\n\n` +
      `BOOK ONE: 1805\n\n\n\nCHAPTER I\n\n${body}\n\nCHAPTER II\n\nshort\n\nCHAPTER III\n\n${body}\n\n` +
      `FIRST EPILOGUE: 1813 - 20\n\nCHAPTER I\n\n${body}\n\nEpilogue\n\n${body}\n`;
    expect(findChapters(t).map((c) => c.title)).toEqual([
      "BOOK ONE: 1805 · CHAPTER I",
      "BOOK ONE: 1805 · CHAPTER II",
      "BOOK ONE: 1805 · CHAPTER III",
      "FIRST EPILOGUE: 1813 - 20 · CHAPTER I",
      "Epilogue",
    ]);
    // a part with a body of its own is a chapter, and names nothing after it
    const preface = findChapters(`\n\nPART I\n\n${body}\n\nCHAPTER 1\n\n${body}`).map((c) => c.title);
    expect(preface).toEqual(["PART I", "CHAPTER 1"]);
  });

  it("finds Chinese, Japanese and Korean headings on lines of their own, blank lines or not, parts naming their chapters", () => {
    const para = "他每天早上起来就到河边去看水，想知道水从哪里来，又到哪里去。".repeat(20); // one line, a paragraph
    const zh =
      `目录\n第一卷 风起\n第一章 河边\n第二章 远行\n` +
      `第一卷 风起\n第一章 河边\n${para}\n第二章 远行\n${para}\n　　第三章　归来\n${para}\n第十二回 大结局\n${para}\n`;
    expect(findChapters(zh).map((c) => c.title)).toEqual([
      "第一卷 风起 · 第一章 河边",
      "第一卷 风起 · 第二章 远行",
      "第一卷 风起 · 第三章 归来", // its ideographic space a plain one
      "第一卷 风起 · 第十二回 大结局",
    ]);
    expect(findChapters(zh)[0].start).toBe(zh.indexOf(`第一章 河边\n${para}`));
    const ko = `제1장 옛날\n${"할아버지는 산에 나무를 하러 가고, 할머니는 강에 빨래를 하러 갔습니다. ".repeat(10)}\n제 2 장 복숭아\n${"x".repeat(500)}\n`;
    expect(findChapters(ko).map((c) => c.title)).toEqual(["제1장 옛날", "제 2 장 복숭아"]);
    // a line of prose that starts like a heading is a paragraph, too long for one
    expect(findChapters(`第一章的故事是这样开始的，${para}\n`)).toEqual([]);
  });

  it("finds Russian headings as it finds English ones, and joins a bare one with its title line", () => {
    const body = "Старый рыбак сидел на берегу и смотрел на море. ".repeat(12);
    const t = `\n\nЧАСТЬ ПЕРВАЯ\n\n\nГлава 1\nНа берегу\n\n${body}\n\nГЛАВА II\n\n${body}\n\nЭпилог\n\n${body}\n`;
    expect(findChapters(t).map((c) => c.title)).toEqual(["ЧАСТЬ ПЕРВАЯ · Глава 1 На берегу", "ЧАСТЬ ПЕРВАЯ · ГЛАВА II", "Эпилог"]);
    // "Главное" is not a heading
    expect(findChapters(`\n\nГлавное\n\n${body}`)).toEqual([]);
  });

  it("joins a bare 'CHAPTER I.' with the title on the next line", () => {
    const t = `\n\nCHAPTER I.\nDown the Rabbit-Hole\n\n${"y".repeat(500)}`;
    expect(findChapters(t)[0].title).toBe("CHAPTER I. Down the Rabbit-Hole");
  });
  it("markdown headings outside code fences are chapters", () => {
    const t = "# Title\n\ntext\n\n```\n# not a heading\n```\n## Part two\nmore\n";
    expect(markdownChapters(t)).toEqual([
      { title: "Title", start: 0 },
      { title: "Part two", start: t.indexOf("## Part two") },
    ]);
  });
  it("drops a title's trailing byline when it repeats the author, nothing else", () => {
    expect(withoutByline("Alice's Adventures in Wonderland, by Lewis Carroll", "Lewis Carroll")).toBe("Alice's Adventures in Wonderland");
    expect(withoutByline("Moby Dick; or The Whale BY HERMAN MELVILLE", "Herman Melville")).toBe("Moby Dick; or The Whale");
    expect(withoutByline("The Poems of Lewis Carroll", "Lewis Carroll")).toBe("The Poems of Lewis Carroll");
    expect(withoutByline("By Lewis Carroll", "Lewis Carroll")).toBe("By Lewis Carroll");
    expect(withoutByline("Emma, by Jane Austen", null)).toBe("Emma, by Jane Austen");
    expect(withoutByline("Emma, by Jane Austen", "Someone Else")).toBe("Emma, by Jane Austen");
  });

  it("pdf author: the Author field when the text names it, else a byline near the start", () => {
    expect(pdfAuthor("Jane Austen", "PRIDE AND PREJUDICE\nBy Jane Austen\n")).toBe("Jane Austen");
    expect(pdfAuthor("Chuck", "ALICE\n\nBy Lewis Carroll\n\nContents")).toBe("Lewis Carroll");
    expect(pdfAuthor("Chuck", "Produced by David Widger\nALICE")).toBe("Chuck"); // "Produced by" is no byline
    expect(pdfAuthor(undefined, "Title\nby Herman Melville\n")).toBe("Herman Melville");
    expect(pdfAuthor("  ", "no byline here")).toBeNull();
  });
  it("html to text keeps paragraphs, decodes entities, drops scripts", () => {
    const r = htmlToText("<html><head><title>x</title></head><body><h2>The &amp; Start</h2><p>One  <i>two</i>\nthree&#8217;s</p><script>evil()</script><p>Line<br/>break</p></body></html>");
    expect(r.heading).toBe("The & Start");
    expect(r.text).toBe("The & Start\n\nOne two three\u2019s\n\nLine\nbreak");
  });
});

describe.skipIf(!data)("shared books", () => {
  it("txt: Alice (BOM, CRLF, Gutenberg) -> title, 12 chapters at their headings", async () => {
    const d = await ingest("alice-in-wonderland_pg11.txt", book("alice-in-wonderland_pg11.txt"));
    expect(d.title).toBe("Alice\u2019s Adventures in Wonderland");
    expect(d.author).toBe("Lewis Carroll");
    expect(d.boilerplateSkipped).toBe(true);
    expect(d.text).not.toContain("\r");
    expect(d.text).not.toContain("PROJECT GUTENBERG");
    expect(d.chapters.length).toBe(12);
    expect(d.chapters[0].title).toBe("CHAPTER I. Down the Rabbit-Hole");
    for (const c of d.chapters) expect(d.text.slice(c.start).startsWith(c.title.slice(0, 8))).toBe(true);
    expect(d.text.slice(d.chapters[0].start)).toMatch(/^CHAPTER I\. Down the Rabbit-Hole\n\nAlice was beginning/);
  });
  it("txt: Moby Dick's contents list is not taken for chapters", async () => {
    const d = await ingest("moby-dick_pg2701.txt", book("moby-dick_pg2701.txt"));
    expect(d.chapters.length).toBeGreaterThanOrEqual(135);
    expect(d.chapters[0].title).toMatch(/^CHAPTER 1\. Loomings/);
    expect(d.chapters[1].start - d.chapters[0].start).toBeGreaterThan(1000);
    // every chapter once, in order (the short "CHAPTER 122. Midnight Aloft" too), the Epilogue
    // last, and none of Cetology's "BOOK I. (Folio), CHAPTER I. ..." paragraphs
    const numbers = d.chapters.slice(0, -1).map((c) => Number(/^CHAPTER (\d+)\./.exec(c.title)?.[1]));
    expect(numbers).toEqual(Array.from({ length: 135 }, (_, i) => i + 1));
    expect(d.chapters.at(-1)!.title).toBe("Epilogue");
    expect(d.chapters[72].title).toBe("CHAPTER 73. Stubb and Flask kill a Right Whale; and Then Have a Talk over Him.");
  });
  it("txt: War and Peace's chapters are named with their book", async () => {
    const d = await ingest("war-and-peace_pg2600.txt", book("war-and-peace_pg2600.txt"));
    const titles = d.chapters.map((c) => c.title);
    expect(titles.length).toBe(365);
    expect(new Set(titles).size).toBe(365);
    expect(titles[0]).toBe("BOOK ONE: 1805 · CHAPTER I");
    expect(d.text.slice(d.chapters[0].start)).toMatch(/^CHAPTER I\n\n\u201cWell, Prince, so Genoa/);
    expect(titles).toContain("BOOK FIFTEEN: 1812 - 13 · CHAPTER XX");
    expect(titles.at(-1)).toBe("SECOND EPILOGUE · CHAPTER XII");
  });
  it("epub: Alice (EPUB 3) -> metadata title, chapters in spine order", async () => {
    const d = await ingest("alice.epub", book("alice-in-wonderland.epub"));
    expect(d.format).toBe("epub");
    expect(d.title).toBe("Alice's Adventures in Wonderland");
    expect(d.text).toContain("Alice was beginning to get very tired");
    expect(d.text).not.toMatch(/<[a-z]/);
    const rabbit = d.chapters.find((c) => /Rabbit-Hole/i.test(c.title));
    expect(rabbit).toBeDefined();
    expect(d.text.slice(rabbit!.start, rabbit!.start + 40)).toMatch(/Rabbit-Hole/i);
  });
  it("pdf: Alice -> text layer, Gutenberg header skipped, chapters", async () => {
    const d = await ingest("alice.pdf", book("alice-in-wonderland_pg11.pdf"));
    expect(d.format).toBe("pdf");
    expect(d.text.length).toBeGreaterThan(100_000);
    expect(d.text).toContain("Alice was beginning to get very tired");
    expect(d.chapters.length).toBeGreaterThanOrEqual(10);
    // headings the text layer wrapped onto a second line, joined; a one-line one left alone
    const titles = d.chapters.map((c) => c.title);
    expect(titles).toContain("CHAPTER III. A Caucus-Race and a Long Tale");
    expect(titles).toContain("CHAPTER X. The Lobster Quadrille");
    expect(titles).toContain("CHAPTER XI. Who Stole the Tarts?");
    expect(titles).toContain("CHAPTER VI. Pig and Pepper");
    // the metadata's title ends ", by Lewis Carroll": the author stands beside it already
    expect(d.title).toBe("Alice's Adventures in Wonderland");
    expect(d.author).toBe("Lewis Carroll"); // the byline, not the file's Author field ("Chuck")
  });
});

describe("bad files", () => {
  const code = async (name: string, bytes: Uint8Array) => {
    try {
      await ingest(name, bytes);
      return "ok";
    } catch (e) {
      return (e as { code: string }).code;
    }
  };
  it("refuses empty, unsupported, corrupt and encrypted files with clear codes", async () => {
    expect(await code("a.txt", new Uint8Array())).toBe("EMPTY_FILE");
    expect(await code("a.txt", strToU8("   \n\n  "))).toBe("EMPTY_FILE");
    expect(await code("a.pages", strToU8("hello"))).toBe("UNSUPPORTED_FORMAT");
    expect(await code("a.docx", strToU8("hello"))).toBe("CORRUPT_FILE");
    expect(await code("a.exe", new Uint8Array([0x4d, 0x5a, 0, 0]))).toBe("UNSUPPORTED_FORMAT");
    expect(await code("a.txt", new Uint8Array([1, 2, 0, 0, 5, 6]))).toBe("CORRUPT_FILE");
    expect(await code("a.epub", strToU8("not a zip"))).toBe("CORRUPT_FILE");
    expect(await code("a.epub", new Uint8Array([0x50, 0x4b, 3, 4, 9, 9, 9]))).toBe("CORRUPT_FILE");
    expect(await code("a.pdf", strToU8("%PDF-1.4 garbage"))).toBe("CORRUPT_FILE");
    expect(await code("a.pdf", strToU8("hello"))).toBe("CORRUPT_FILE");
    const drm = zipSync({
      mimetype: strToU8("application/epub+zip"),
      "META-INF/encryption.xml": strToU8('<encryption><EncryptedData><EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/></EncryptedData></encryption>'),
    });
    expect(await code("a.epub", drm)).toBe("ENCRYPTED");
  });
  // the zip's entry sizes rewritten: in its local header (offset 22) and central directory (offset 24)
  function declareSize(zip: Uint8Array, size: number): Uint8Array {
    const out = Uint8Array.from(zip);
    const v = new DataView(out.buffer);
    for (let i = 0; i + 28 < out.length; i++) {
      if (v.getUint32(i, true) === 0x04034b50) v.setUint32(i + 22, size, true);
      if (v.getUint32(i, true) === 0x02014b50) v.setUint32(i + 24, size, true);
    }
    return out;
  }
  const zeros = (n: number) => zipSync({ mimetype: strToU8("application/epub+zip"), "OEBPS/a.xhtml": new Uint8Array(n) }, { level: 9 });
  it("an epub that unpacks past the limit is refused before the parser unpacks it (a zip bomb)", async () => {
    // declared: a 4 GiB entry in a 1 KiB file
    expect(await code("a.epub", declareSize(zeros(4096), 0xffffffff))).toBe("TOO_LARGE");
    // counted as it inflates, whatever the zip declares: 3 MiB of zeros said to be 10 bytes, against a 2 MiB cap
    const lying = declareSize(zeros(3 * 2 ** 20), 10);
    expect(lying.length).toBeLessThan(10_000);
    expect(() => checkUnpackedSize(lying, 2 * 2 ** 20)).toThrow(expect.objectContaining({ code: "TOO_LARGE", message: expect.stringMatching(/unpacks to more than 2 MiB/) }));
    expect(() => checkUnpackedSize(zeros(2 ** 20), 2 * 2 ** 20)).not.toThrow();
  });
  // a PDF whose streams are `mib` MiB of zeros each (zlib, streamed: the zeros are never held whole)
  async function zerosPdf(mibs: number[]): Promise<Uint8Array> {
    const parts: Buffer[] = [Buffer.from("%PDF-1.4\n", "latin1")];
    for (const [i, mib] of mibs.entries()) {
      const d = zlib.createDeflate({ level: 9 });
      const out: Buffer[] = [];
      d.on("data", (c: Buffer) => out.push(c));
      const done = new Promise((r) => d.on("end", r));
      const block = Buffer.alloc(2 ** 20);
      for (let m = 0; m < mib; m++) d.write(block);
      d.end();
      await done;
      const z = Buffer.concat(out);
      parts.push(Buffer.from(`${i + 1} 0 obj\n<< /Length ${z.length} /Filter /FlateDecode >>\nstream\n`, "latin1"), z, Buffer.from("\nendstream\nendobj\n", "latin1"));
    }
    parts.push(Buffer.from("%%EOF\n", "latin1"));
    return new Uint8Array(Buffer.concat(parts));
  }
  it("a pdf whose streams unpack past the limits is refused before pdfjs decodes them (a PDF bomb)", async () => {
    const bomb = await zerosPdf([129]); // one page's content, ~130 KB in the file
    expect(bomb.length).toBeLessThan(400_000);
    expect(await code("a.pdf", bomb)).toBe("TOO_LARGE");
    const three = await zerosPdf([2, 2, 2]);
    expect(() => checkPdfInflatedSize(three, 3 * 2 ** 20, 5 * 2 ** 20)).toThrow(expect.objectContaining({ code: "TOO_LARGE", message: expect.stringMatching(/unpacks to more than 5 MiB/) }));
    expect(() => checkPdfInflatedSize(three, 1.5 * 2 ** 20, 100 * 2 ** 20)).toThrow(expect.objectContaining({ message: expect.stringMatching(/a stream that unpacks to more than 1.5 MiB/) }));
    expect(() => checkPdfInflatedSize(three, 3 * 2 ** 20, 7 * 2 ** 20)).not.toThrow();
    // a stream cut short is left to pdfjs: not an error of its size
    const cut = three.subarray(0, 200);
    expect(() => checkPdfInflatedSize(cut, 3 * 2 ** 20, 7 * 2 ** 20)).not.toThrow();
  });
  it.skipIf(!data)("an epub is measured whole: Alice unpacks within the limit", () => {
    expect(() => checkUnpackedSize(book("alice-in-wonderland.epub"))).not.toThrow();
  });
  it.skipIf(!data)("a truncated epub and a truncated pdf are corrupt", async () => {
    const e = book("alice-in-wonderland.epub");
    expect(await code("a.epub", e.subarray(0, e.length >> 1))).toBe("CORRUPT_FILE");
    const p = book("alice-in-wonderland_pg11.pdf");
    expect(await code("a.pdf", p.subarray(0, 2000))).toBe("CORRUPT_FILE");
  });
});

// Text in the encodings and shapes real files come in (review of the import path).
describe("text encodings", () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const quoted = "\u201cHello,\u201d she said. Caf\u00e9, na\u00efve.\n".repeat(3);

  it("a UTF-8 file cut mid-character stays UTF-8 (it was read as Windows-1252: mojibake throughout)", () => {
    const open = utf8("\u201c");
    const cut = Uint8Array.from([...utf8(quoted), ...open.subarray(0, 2)]);
    expect(decodeText(cut)).toEqual({ text: quoted, encoding: "utf-8" });
    // one stray Windows-1252 byte among UTF-8 text: that byte alone is lost
    const stray = Uint8Array.from([...utf8(quoted), 0x93, ...utf8("end\n")]);
    expect(decodeText(stray)).toEqual({ text: `${quoted}\ufffdend\n`, encoding: "utf-8" });
    // Windows-1252 text is still read as such, a last byte that looks like a cut included
    expect(decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9]))).toEqual({ text: "caf\u00e9", encoding: "windows-1252" });
    expect(decodeText(new Uint8Array([0x93, 0x71, 0x94, 0x20, 0x63, 0x61, 0x66, 0xe9])).encoding).toBe("windows-1252");
  });

  it("UTF-16 without a byte order mark is read, not refused as binary", async () => {
    const s = "It was the best of times,\r\nit was the worst of times; caf\u00e9.\r\n";
    const le = new Uint8Array(Buffer.from(s, "utf16le"));
    const be = new Uint8Array(Buffer.from(s, "utf16le").swap16());
    expect(decodeText(le)).toEqual({ text: s.replace(/\r\n/g, "\n"), encoding: "utf-16le" });
    expect(decodeText(be)).toEqual({ text: s.replace(/\r\n/g, "\n"), encoding: "utf-16be" });
    expect((await ingest("notepad.txt", le)).text).toBe(s.replace(/\r\n/g, "\n"));
    // (markdown: the paragraph's soft break is a space, as markdown renders it)
    expect((await ingest("notes.md", be)).text).toBe(s.replace("\r\n", " ").replace(/\r\n/g, "\n"));
    // little-endian 16-bit numbers are zero-padded like UTF-16 too, but decode to control characters
    const words = new Uint8Array(4096).map((_, i) => (i % 2 ? 0 : (i >> 1) % 32));
    await expect(ingest("data.txt", words)).rejects.toMatchObject({ code: "CORRUPT_FILE" });
  });

  it("Windows-1252 decodes every byte as Latin-1 but for 0x80-0x9F", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const t = decode1252(all);
    expect(t.length).toBe(256);
    for (let b = 0; b < 256; b++) if (b < 0x80 || b >= 0xa0) expect(t.charCodeAt(b)).toBe(b);
    expect(t.slice(0x91, 0x95)).toBe("\u2018\u2019\u201c\u201d");
    expect(t[0x80]).toBe("\u20ac");
  });

  // Each of these backtracked over a run of blanks (quadratic, cubic for markdown), blocking the
  // app's main process for the sizes below for 30 s to a minute or more (a megabyte-long run:
  // hours). The fixed code takes milliseconds: the time limit detects a hang, it does not
  // measure speed.
  const HANG = 5000;
  it("a long run of blanks inside a line does not stall a text import", async () => {
    const run = " ".repeat(2 ** 17);
    const t = await ingest("a.txt", utf8(`word${run}x${run}\nnext\n`));
    expect(t.text).toBe(`word${run}x\nnext\n`);
  }, HANG);
  it("... nor the Gutenberg unwrapping", async () => {
    const run = " ".repeat(2 ** 18);
    const g = await ingest("a.txt", utf8(`Title: T\n*** START OF THE PROJECT GUTENBERG EBOOK T ***\nword${run}x\n${run}x`));
    expect(g.text).toBe(`word${run}x\n${run}x\n`);
  }, HANG);
  it("... nor a markdown heading or front matter", async () => {
    const blanks = " ".repeat(5000);
    const md = await ingest("a.md", utf8(`---\ntitle: "T${blanks}x"\n---\n# Head${blanks}ing ##\n\n## Two ${blanks}\ntext\n`));
    expect(md.title).toBe("T x");
    expect(md.chapters.map((c) => c.title)).toEqual(["Head ing", "Two"]); // blanks collapsed by cleanLabel
  }, HANG);
});

describe("titles and labels", () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const body = "It was a dark and stormy night.\n".repeat(50);

  it("control characters and bidi overrides are taken out of titles, authors and chapter titles", async () => {
    const d = await ingest("a.txt", utf8(`Title: Evil\u202etxt.exe\u001b[31m red\u0007\nAuthor: Ann\u2066 Bee\n\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n\nCHAPTER I.\u202e Begin\n\n${body}\n\nCHAPTER II.\n\n${body}`));
    expect(d.title).toBe("Eviltxt.exe [31m red");
    expect(d.author).toBe("Ann Bee");
    expect(d.chapters.map((c) => c.title)).toEqual(["CHAPTER I. Begin", "CHAPTER II."]);
    // a title with nothing left is the file name's; the file name is cleaned the same way
    const md = await ingest("bo\u202eok.md", utf8(`# \u202a\u202c\n\n${body}`));
    expect(md.title).toBe("book");
  });

  it("a title from the file is one line of at most MAX_LABEL_CHARS", async () => {
    expect(cleanLabel("A\nTitle\r\n\ton  two lines")).toBe("A Title on two lines");
    expect(cleanLabel("\u200b\ufeff \u0000")).toBeNull();
    expect(cleanLabel("a\u200db\u200fc")).toBe("a\u200db\u200fc"); // joiners and direction marks stay
    const long = cleanLabel("x".repeat(MAX_LABEL_CHARS - 2) + "\u{1F600}tail")!; // the cut falls inside the emoji
    expect(long.length).toBe(MAX_LABEL_CHARS - 1);
    expect(long.endsWith("x\u2026")).toBe(true); // the emoji is not cut in half
    const d = await ingest("a.md", utf8(`---\ntitle: ${"Long ".repeat(200)}\n---\n${body}`));
    expect(d.title!.length).toBeLessThanOrEqual(MAX_LABEL_CHARS);
  });
});

// A small EPUB written here: container, package document, one XHTML file per spine item.
function makeEpub(chapters: Record<string, string>, spine: string[], xhtml = (id: string, text: string) => strToU8(`<html><body><h1>${id}</h1><p>${text}</p></body></html>`)): Uint8Array {
  const items = spine.map((id) => `<item id="${id}" href="${id}.xhtml" media-type="application/xhtml+xml"/>`).join("");
  const opf =
    `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">` +
    `<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Small</dc:title><dc:identifier id="id">x</dc:identifier></metadata>` +
    `<manifest>${items}</manifest><spine>${spine.map((id) => `<itemref idref="${id}"/>`).join("")}</spine></package>`;
  const files: Record<string, Uint8Array> = {
    mimetype: strToU8("application/epub+zip"),
    "META-INF/container.xml": strToU8(
      `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
    ),
    "OEBPS/content.opf": strToU8(opf),
  };
  for (const [id, text] of Object.entries(chapters)) files[`OEBPS/${id}.xhtml`] = xhtml(id, text);
  return zipSync(files, { level: 0 });
}

describe("epub edge cases", () => {
  it("reads a small EPUB written here", async () => {
    const d = await ingest("s.epub", makeEpub({ one: "First.", two: "Second." }, ["one", "two"]));
    expect(d.text).toBe("one\n\nFirst.\n\ntwo\n\nSecond.");
  });

  it("reads chapters in the encoding their XML declaration names (GBK, Shift_JIS), UTF-8 when it names none or one unknown", async () => {
    const declared = (encoding: string | null) => (id: string, text: string) =>
      encodeLegacy(`${encoding ? `<?xml version="1.0" encoding="${encoding}"?>\n` : ""}<html><body><h1>${id}</h1><p>${text}</p></body></html>`, encoding === "Shift_JIS" ? "shift_jis" : "gb18030");
    const zh = await ingest("zh.epub", makeEpub({ one: "第一章 河边的孩子。" }, ["one"], declared("GBK")));
    expect(zh.text).toBe("one\n\n第一章 河边的孩子。");
    const ja = await ingest("ja.epub", makeEpub({ one: "むかしむかし、ある村に。" }, ["one"], declared("Shift_JIS")));
    expect(ja.text).toBe("one\n\nむかしむかし、ある村に。");
    const utf8 = (encoding: string | null) => (id: string, text: string) =>
      strToU8(`${encoding ? `<?xml version='1.0' encoding='${encoding}'?>` : ""}<html><body><h1>${id}</h1><p>${text}</p></body></html>`);
    for (const e of [null, "utf-8", "no-such-encoding", "UTF-16"]) {
      const d = await ingest("u.epub", makeEpub({ one: "Été à Québec." }, ["one"], utf8(e)));
      expect(d.text, String(e)).toBe("one\n\nÉté à Québec.");
    }
  });

  it("an EPUB with a password-protected zip entry is ENCRYPTED (the parser's jszip rejected it unhandled: the import never ended)", async () => {
    const zip = makeEpub({ one: "First." }, ["one"]);
    // general purpose flag bit 0 (encrypted) on the chapter: local header offset 6, central directory offset 8
    const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    const name = (at: number, len: number) => Buffer.from(zip.subarray(at, at + len)).toString();
    for (let i = 0; i + 46 < zip.length; i++) {
      const sig = v.getUint32(i, true);
      if (sig === 0x04034b50 && name(i + 30, v.getUint16(i + 26, true)) === "OEBPS/one.xhtml") v.setUint16(i + 6, v.getUint16(i + 6, true) | 1, true);
      if (sig === 0x02014b50 && name(i + 46, v.getUint16(i + 28, true)) === "OEBPS/one.xhtml") v.setUint16(i + 8, v.getUint16(i + 8, true) | 1, true);
    }
    const result = ingest("locked.epub", zip).then(
      () => "ok",
      (e: { code: string }) => e.code,
    );
    const never = new Promise((r) => setTimeout(() => r("no answer"), 3000));
    expect(await Promise.race([result, never])).toBe("ENCRYPTED");
  });

  it("a spine item missing from the zip is marked where it was, and nothing prints the book's bytes", async () => {
    const filler = "All work and no play makes Jack a dull boy. ".repeat(20_000); // ~900 KB
    const zip = makeEpub({ one: filler, three: "The end." }, ["one", "gone", "three"]);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const d = await ingest("holey.epub", zip);
      expect(d.text.startsWith("one\n\nAll work")).toBe(true);
      // it was left out without a word: the book read as whole
      expect(d.text.endsWith("boy.\n\n[A chapter is missing from this EPUB file: OEBPS/gone.xhtml]\n\nthree\n\nThe end.")).toBe(true);
      expect(d.chapters.map((c) => c.title)).toEqual(["one", "three"]);
      expect(d.text.slice(d.chapters[1].start).startsWith("three")).toBe(true);
      await expect(ingest("hollow.epub", makeEpub({}, ["gone"]))).rejects.toMatchObject({ code: "EMPTY_FILE" });
      const printed = warn.mock.calls.flat().map(String).join("").length;
      expect(printed).toBeLessThan(10_000); // the parser used before printed every byte of the zip as a number: ~3.5 million characters
    } finally {
      warn.mockRestore();
    }
  });
});

describe("pdf edge cases", () => {
  // A one-page PDF, its page drawn by `content` (see pdfFile)
  const makePdf = (content: string, filter = "") => pdfFile([content], filter);
  const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");
  const code = (name: string, bytes: Uint8Array) => ingest(name, bytes).then(() => "OK", (e: { code?: string }) => e.code);
  const PAGE = "BT /F1 12 Tf 72 700 Td (Hello filtered world, hello again, hello hello hello) Tj ET";
  it("the stream filters measured before pdfjs decode what pdfjs decodes (pdfjs reads each page: the oracle)", async () => {
    const page = new Uint8Array(Buffer.from(PAGE, "latin1"));
    const cases: [string, Uint8Array, string][] = [
      ["/Filter /LZWDecode", lzwEncode(page, 1), "LZWDecode"],
      ["/Filter /LZWDecode /DecodeParms << /EarlyChange 0 >>", lzwEncode(page, 0), "LZWDecode"],
      ["/Filter /RunLengthDecode", runLengthEncode(page), "RunLengthDecode"],
      ["/Filter /ASCII85Decode", ascii85Encode(page), "ASCII85Decode"],
      ["/Filter /ASCIIHexDecode", new Uint8Array(Buffer.from(Buffer.from(page).toString("hex") + ">", "latin1")), "ASCIIHexDecode"],
    ];
    for (const [filter, encoded, name] of cases) {
      expect((await ingest("f.pdf", makePdf(latin1(encoded), filter))).text).toBe("Hello filtered world, hello again, hello hello hello");
      const early = filter.includes("EarlyChange 0") ? 0 : 1;
      expect(decodeFilter(name, encoded, 1 << 20, early)).toEqual({ bytes: page, over: false });
    }
    // a long LZW input (the table fills and the codes reach 12 bits), decoded back whole
    const long = new Uint8Array(200_000).map((_, i) => "abcdefghij"[(i * i) % 7] .charCodeAt(0) ^ (i % 3));
    expect(Buffer.compare(lzwDecode(lzwEncode(long, 1), 1 << 20), long)).toBe(0);
    expect(streamFilters("<< /Filter [/ASCII85Decode /FlateDecode] /Length 9 >>")).toEqual(["ASCII85Decode", "FlateDecode"]);
  });
  it("a page whose LZW, run-length or ASCII85 + Flate content unpacks past the limit is TOO_LARGE before pdfjs", async () => {
    const MIB = 2 ** 20;
    // LZW at its worst: a chain of ever longer runs of one byte, then the longest again and
    // again (12 bits for 3,839 bytes): 129 MiB from ~53 KB
    const lzw = lzwRunCodes(129 * MIB);
    expect(lzw.length).toBeLessThan(60_000);
    expect(lzwDecode(lzw, 2 * MIB).length).toBe(2 * MIB); // stopped at its stop
    expect(await code("l.pdf", makePdf(latin1(lzw), "/Filter /LZWDecode"))).toBe("TOO_LARGE");
    // the others against smaller limits (4 MiB a stream, 8 in all)
    const over4 = (pdf: Uint8Array) =>
      expect(() => checkPdfInflatedSize(pdf, 4 * MIB, 8 * MIB)).toThrow(expect.objectContaining({ code: "TOO_LARGE", message: expect.stringMatching(/more than 4 MiB/) }));
    // run-length: 2 bytes for 128
    const rl = new Uint8Array(2 * ((5 * MIB) / 128));
    for (let i = 0; i < rl.length; i += 2) rl[i] = 129;
    over4(makePdf(latin1(rl), "/Filter /RunLengthDecode"));
    // a Flate bomb behind ASCII85, the filter before it (and the /Filter entry before a nested dictionary)
    const deflated = zlib.deflateSync(Buffer.alloc(5 * MIB), { level: 9 });
    over4(makePdf(latin1(ascii85Encode(deflated)), "/Filter [/ASCII85Decode /FlateDecode] /DecodeParms [null << /Columns 1 >>]"));
    // under the limits, measured and let through
    expect(() => checkPdfInflatedSize(makePdf(latin1(lzwRunCodes(3 * MIB)), "/Filter /LZWDecode"), 4 * MIB, 8 * MIB)).not.toThrow();
    expect(() => checkPdfInflatedSize(makePdf(latin1(lzwRunCodes(5 * MIB)), "/Filter /LZWDecode"), 4 * MIB, 8 * MIB)).toThrow(
      expect.objectContaining({ code: "TOO_LARGE", message: expect.stringMatching(/a stream that unpacks to more than 4 MiB/) }),
    );
  });
  it("a page with text is read; a page with only drawing (a scan has no text layer) is EMPTY_FILE", async () => {
    expect((await ingest("t.pdf", makePdf("BT /F1 12 Tf 72 700 Td (Hello world) Tj ET"))).text).toBe("Hello world");
    await expect(ingest("scan.pdf", makePdf("0 0 1 rg 0 0 100 100 re f"))).rejects.toMatchObject({ code: "EMPTY_FILE", message: expect.stringMatching(/scan/) });
  });
});

describe("Gutenberg credits", () => {
  const wrap = (body: string) => `Title: A Book\n\n*** START OF THE PROJECT GUTENBERG EBOOK A BOOK ***\n\n\n\n${body}\n\n*** END OF THE PROJECT GUTENBERG EBOOK A BOOK ***\n`;
  it("drops the transcribers' credit that opens the body, never a title or the first lines of the book", () => {
    for (const credit of [
      "Produced by Anonymous Volunteers",
      "Produced by Daniel Lazarus, Jonesey, and David Widger",
      "An Anonymous Volunteer, and David Widger",
      "This eBook was prepared by Jane Doe\nand the Online Distributed Proofreading Team",
      "E-text prepared by John Roe",
    ])
      expect(stripGutenberg(wrap(`${credit}\n\n\n\nA BOOK\n\nCHAPTER I.\n\nIt began.`)).text).toBe("A BOOK\n\nCHAPTER I.\n\nIt began.\n");
    // a PDF's text layer: no blank line between the credit and the title
    expect(stripGutenberg(wrap("Produced by David Widger\nALICE'S ADVENTURES\nIN WONDERLAND\n\nBy Lewis Carroll")).text).toBe("ALICE'S ADVENTURES\nIN WONDERLAND\n\nBy Lewis Carroll\n");
    for (const body of ["THE VOLUNTEERS\n\nCHAPTER I.\n\nThey came.", "A BOOK\n\nProduced by the author's own hand.", "Produced by nobody, the story went on and on without a paragraph break"])
      expect(stripGutenberg(wrap(body)).text).toBe(body + "\n");
  });
  it.skipIf(!data)("the shared books start with their titles", async () => {
    for (const [file, title] of [
      ["pride-and-prejudice_pg1342.txt", "PRIDE AND PREJUDICE"],
      ["war-and-peace_pg2600.txt", "WAR AND PEACE"],
      ["moby-dick_pg2701.txt", "MOBY-DICK;"],
      ["alice-in-wonderland_pg11.txt", "ALICE’S ADVENTURES IN WONDERLAND"],
    ])
      expect((await ingest(file, book(file))).text.startsWith(title)).toBe(true);
    expect((await ingest("alice.pdf", book("alice-in-wonderland_pg11.pdf"))).text.startsWith("ALICE'S ADVENTURES\nIN WONDERLAND")).toBe(true);
  });
});

describe("EPUB chapter markup", () => {
  // vitest's limit, not a speed assertion: the fixed code takes milliseconds where the
  // quadratic patterns took seconds to minutes on these inputs
  const STALL_MS = 5000;
  it("unclosed comments, scripts, heads, headings, bodies and tags do not stall it", { timeout: STALL_MS }, () => {
    const n = 200_000;
    for (const junk of ["<!--", "<script>", "<head>", "<svg>", "<h1>", "<body", "<p", "<a href='x'", "<rt>", "<ruby>漢<rt>かん"]) {
      const r = htmlToText(`<body><p>Before.</p>${junk.repeat(n)}<p>After.</p></body>`);
      expect(typeof r.text).toBe("string");
    }
  });
  it("reads hidden spans as a browser does: closed ones dropped, an unclosed comment or script to the end, an unclosed head or svg its tag alone", () => {
    expect(htmlToText("<body><p>A</p><!-- c --><p>B</p><script>x()</script><p>C</p></body>").text).toBe("A\n\nB\n\nC");
    expect(htmlToText("<body><p>A</p><!-- never closed <p>B</p></body>").text).toBe("A");
    expect(htmlToText("<body><p>A</p><script>never closed <p>B</p></body>").text).toBe("A");
    expect(htmlToText("<body><p>A</p><svg width='1'><p>B</p></body>").text).toBe("A\n\nB");
    expect(htmlToText("<p>A <b>bold</b> 1 < 2 and 3 <4</p>").text).toBe("A bold 1 < 2 and 3 <4");
    expect(htmlToText("<h2>unclosed<h1>The Start</h1><p>x</p>").heading).toBe("The Start");
    expect(htmlToText("<html><body class='c'><p>In</p></body><p>after body</p></html>").text).toBe("In");
  });
  it("ruby's reading aids are left out, closed or not (Japanese furigana read once, as the kanji)", () => {
    expect(htmlToText("<p><ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>です</p>").text).toBe("漢字です");
    expect(htmlToText("<p><ruby><rb>東</rb><rt>とう</rt><rb>京</rb><rt>きょう</rt></ruby>へ</p>").text).toBe("東京へ");
    // end tags left out, as HTML allows: an <rt> ends where the next part starts or the ruby ends
    expect(htmlToText("<p><ruby>漢<rt>かん</ruby>字です</p><p>Next.</p>").text).toBe("漢字です\n\nNext.");
    expect(htmlToText("<p><ruby>漢<rt>かん<rb>字</rb><rt>じ</rt></ruby>です</p>").text).toBe("漢字です");
    // a stray one outside any ruby loses only its tag
    expect(htmlToText("<p>a<rt>stray</p><p>b</p>").text).toBe("astray\n\nb");
  });
  it("table cells are words apart; a <pre> keeps its lines and spaces; a printed page's number is dropped", () => {
    expect(htmlToText("<table><caption>Ages</caption><tr><th>Name</th><th>Age</th></tr><tr><td>Alice</td><td>7</td></tr></table>").text).toBe("Ages\n\nName Age\n\nAlice 7");
    expect(htmlToText("<p>Code:</p><pre>\nfor x in xs:\n    print(x)\n\n\tdone &amp; <b>bold</b>\n\n</pre><p>After   it.</p>").text).toBe(
      "Code:\n\nfor x in xs:\n    print(x)\n\n    done & bold\n\nAfter it.",
    );
    const gutenberg = `<p>the Queen said<span class="pagenum"><a id="Page_12">[Pg 12]</a></span> to the Knave,</p><p>at the end of the<span class='pagenum' id="Page_13">[13]</span> line <span class="smcap">Rabbit</span>.</p>`;
    expect(htmlToText(gutenberg).text).toBe("the Queen said to the Knave,\n\nat the end of the line Rabbit.");
    const epub3 = `<p>one<span epub:type="pagebreak" id="p4" title="4"/> two<span role="doc-pagebreak" aria-label="5">5</span> three</p>`;
    expect(htmlToText(epub3).text).toBe("one two three");
    // unclosed: its tag alone goes, and nothing after it is searched again
    const n = 50_000;
    expect(htmlToText(`<p>a<span class="pagenum">[1]</span> b</p>` + `<span class="pagenum">x`.repeat(n)).text).toBe("a b\n\n" + "x".repeat(n));
    // an unclosed <pre> preserves nothing
    expect(htmlToText("<p>A</p><pre>one\n  two").text).toBe("A\n\none two");
  });
});
