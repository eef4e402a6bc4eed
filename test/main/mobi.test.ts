// Kindle books (.mobi, .azw3, .azw, .prc). Two writers:
//   calibre's (test/fixtures/kindle: an invented book converted to KF8, MOBI 6 with
//   an NCX, and both parts uncompressed): each reads as the HTML reader reads the
//   source;
//   this test's (./helpers/mobi-writer): Alice's plain-text edition set as a MOBI 6
//   book (PalmDOC, chapters only in its NCX, titles as <font><b>) and as a KF8 book
//   (HUFF/CDIC, which calibre does not write; skeletons and pieces, a style flow)
//   reads as the txt reader reads it.
// Then the parts: each decompressor against its encoder on every byte value,
// trailing entries, contents pages, refusals.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readMobi } from "../../main/library/ingest/mobi";
import { readHtml } from "../../main/library/ingest/html";
import { withoutContentsLists } from "../../main/library/ingest/contents-list";
import { inflatePalmDoc, recordTextBytes } from "../../main/library/ingest/palmdoc";
import { HuffCdic } from "../../main/library/ingest/huffcdic";
import { ingest } from "../../main/library/ingest";
import { importFile } from "../../main/app/import";
import { Library } from "../../main/library";
import { builtinDefaults } from "../../main/library/settings";
import { testDataDir } from "../../main/bench/test-data";
import { tempDirsPerTest } from "./helpers/core";
import { aliceText, expectReadsAsAliceTxt } from "./helpers/alice";
import { decode1252 } from "../../main/library/ingest/decode";
import {
  HuffCdicWriter,
  exthNumber,
  exthText,
  ncxRecords,
  palmDatabase,
  palmDocCompress,
  record0,
  textRecords,
  type Compression,
  type NcxEntrySpec,
} from "./helpers/mobi-writer";

const data = testDataDir();
const dir = tempDirsPerTest();
const utf8 = (s: string) => new TextEncoder().encode(s);
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
/** Windows-1252 bytes, from the app's own decoder's table (Node's TextDecoder reads the label as Latin-1). */
const CP1252 = new Map(Array.from({ length: 256 }, (_, b) => [decode1252(Uint8Array.of(b)), b]));
const cp1252 = (s: string) => Uint8Array.from([...s].map((c) => CP1252.get(c) ?? (() => { throw new Error(`no ${c} in Windows-1252`); })()));
const ALICE_META = [exthText(100, "Lewis Carroll"), exthText(503, "Alice’s Adventures in Wonderland")];

/** Seeded random bytes of every value, with repeats (back-references) and spaces before letters. */
function noise(n: number, seed: number): Uint8Array {
  let x = seed;
  const rand = (k: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % k);
  const out: number[] = [];
  while (out.length < n) {
    const r = rand(4);
    if (r === 0 && out.length > 20) {
      const from = out.length - 1 - rand(Math.min(out.length, 3000));
      const len = 1 + rand(14);
      for (let k = 0; k < len; k++) out.push(out[from + k]); // may overlap what it adds
    } else if (r === 1) out.push(0x20, 0x40 + rand(0x40));
    else out.push(rand(256));
  }
  return Uint8Array.from(out.slice(0, n));
}

interface BookSpec {
  text: Uint8Array;
  compression: Compression;
  utf8: boolean;
  extraFlags?: number;
  ncx?: NcxEntrySpec[];
  /** the NCX labels' encoding (UTF-8 when not given) */
  encode?: (s: string) => Uint8Array;
  exth?: [number, Uint8Array][];
  version?: number;
  encryption?: number;
  kind?: string;
}

/** A one-part book: record 0, the text records, then HUFF/CDIC records, then the NCX. */
function book(o: BookSpec): Uint8Array {
  const extraFlags = o.extraFlags ?? 0b11;
  const texts = textRecords(o.text, o.compression, extraFlags);
  const huff = o.compression instanceof HuffCdicWriter ? o.compression.records() : [];
  const ncx = o.ncx ? ncxRecords(o.ncx, o.encode) : [];
  const r0 = record0({
    compression: o.compression === "none" ? 1 : o.compression === "palmdoc" ? 2 : 17480,
    textLength: o.text.length,
    textRecords: texts.length,
    utf8: o.utf8,
    version: o.version ?? 6,
    fullName: "Full Name",
    huff: huff.length ? [1 + texts.length, huff.length] : undefined,
    extraFlags,
    ncx: ncx.length ? 1 + texts.length + huff.length : undefined,
    exth: o.exth ?? [],
    encryption: o.encryption,
  });
  return palmDatabase("Alice_in_Wonderland", o.kind ?? "BOOKMOBI", [r0, ...texts, ...huff, ...ncx]);
}

/** Alice as a converter writes MOBI 6: <font><b> titles, a page break before each chapter, the NCX marking them. */
function aliceMobi6(raw: string, encode: (s: string) => Uint8Array): { text: Uint8Array; ncx: NcxEntrySpec[] } {
  const paragraphs = raw.split(/\n[ \t]*\n+/).filter((p) => p.trim());
  const start = paragraphs.findIndex((p) => /^\*\*\* START OF/.test(p));
  const pieces: string[] = [`<html><head><guide><reference type="toc" title="Contents" filepos=0000000000 /></guide></head><body>`];
  const ncx: NcxEntrySpec[] = [];
  let bytes = encode(pieces[0]).length + 1; // (pieces are joined by "\n")
  const add = (s: string, entry?: { label: string; depth: number }) => {
    if (entry) ncx.push({ position: bytes, ...entry });
    pieces.push(s);
    bytes += encode(s).length + 1;
  };
  paragraphs.forEach((p, i) => {
    const e = esc(p);
    if (i === start + 1) add(`<p height="1em" width="0pt" align="center"><font size="6"><b>${e}</b></font></p>`, { label: p, depth: 0 });
    else if (i > start + 1 && i <= start + 3) add(`<p height="1em" width="0pt" align="center"><font size="4"><b>${e}</b></font></p>`);
    else if (/^CHAPTER [IVXL]+\. /.test(p)) {
      const label = p.replace(/\s+/g, " ");
      add(`<mbp:pagebreak /><a filepos="${bytes}"></a><p height="3pt" width="0pt" align="center"><font size="5"><b>${e.replace(/^(CHAPTER [IVXL]+\.) /, "$1<br />")}</b></font></p>`, { label, depth: 0 });
    } else if (/^[ \t]/m.test(p)) add(`<blockquote><p width="0pt">${e.split("\n").map((l) => l.trim()).join("<br/>")}</p></blockquote>`);
    else add(`<p width="1em" height="0pt">${e.replace(/\n/g, " ")}</p>`);
  });
  add(`</body></html>`);
  return { text: encode(pieces.join("\n")), ncx };
}

/** Alice as KF8: one file per chapter, each its skeleton (head, body, a wrapper) then its body's pieces; Gutenberg's page's <h1>-<h3> and <h2>s. */
function aliceKf8(raw: string): { flow: string; css: string } {
  const paragraphs = raw.split(/\n[ \t]*\n+/).filter((p) => p.trim());
  const start = paragraphs.findIndex((p) => /^\*\*\* START OF/.test(p));
  const files: string[][] = [[]];
  paragraphs.forEach((p, i) => {
    const e = esc(p);
    if (/^CHAPTER [IVXL]+\. /.test(p)) files.push([`<h2 aid="${i}">${e.replace(/^(CHAPTER [IVXL]+\.) /, "$1<br />\n")}</h2>`]);
    else if (i > start && i <= start + 3) files[files.length - 1].push(`<h${i - start}>${e}</h${i - start}>`);
    else if (/^[ \t]/m.test(p)) files[files.length - 1].push(`<div class="poem"><p>${e.split("\n").map((l) => l.trim()).join("<br/>")}</p></div>`);
    else files[files.length - 1].push(`<p class="calibre1">${e.replace(/\n/g, " ")}</p>`);
  });
  const flow = files
    .map((body, n) => {
      const skeleton = `<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Part ${n}</title><link href="kindle:flow:0001?mime=text/css" rel="stylesheet" type="text/css"/></head><body class="calibre" aid="0"><div aid="1"></div></body></html>`;
      // the body in pieces of about 20 paragraphs, in reading order after the skeleton
      const chunks: string[] = [];
      for (let k = 0; k < body.length; k += 20) chunks.push(body.slice(k, k + 20).join("\n"));
      return skeleton + chunks.join("");
    })
    .join("");
  return { flow, css: ".calibre { display: block } .calibre1 { text-indent: 1.2em } p.poem-line { margin: 0 }" };
}

/** A KF8 book: record 0 (version 8, FDST), text records, HUFF/CDIC, FDST; `before`: a MOBI 6 part and BOUNDARY in front. */
function kf8Book(flow: string, css: string, compression: Compression, before?: BookSpec): Uint8Array {
  const text = utf8(flow + css);
  const texts = textRecords(text, compression, 0b111, 3);
  const huff = compression instanceof HuffCdicWriter ? compression.records() : [];
  const fdstAt = 1 + texts.length + huff.length;
  const fdst = Uint8Array.from(Buffer.concat([Buffer.from("FDST"), u32be(12), u32be(2), u32be(0), u32be(utf8(flow).length), u32be(utf8(flow).length), u32be(text.length)]));
  const kf8 = [
    record0({
      compression: compression === "none" ? 1 : compression === "palmdoc" ? 2 : 17480,
      textLength: text.length,
      textRecords: texts.length,
      utf8: true,
      version: 8,
      fullName: "Full Name",
      huff: huff.length ? [1 + texts.length, huff.length] : undefined,
      extraFlags: 0b111,
      fdst: [fdstAt, 2],
      exth: ALICE_META,
    }),
    ...texts,
    ...huff,
    fdst,
  ];
  if (!before) return palmDatabase("Alice", "BOOKMOBI", kf8);
  const old = textRecords(before.text, before.compression, 0b11);
  const boundary = 1 + old.length;
  const r0 = record0({
    compression: 2,
    textLength: before.text.length,
    textRecords: old.length,
    utf8: true,
    version: 6,
    fullName: "Old Part",
    extraFlags: 0b11,
    exth: [...ALICE_META, exthNumber(121, boundary + 1)],
  });
  return palmDatabase("Alice", "BOOKMOBI", [r0, ...old, Uint8Array.from(Buffer.from("BOUNDARY")), ...kf8]);
}
const u32be = (n: number) => Buffer.from([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

describe.skipIf(!data)("mobi: against the real book", () => {
  it("Alice's txt as MOBI 6 (PalmDOC, UTF-8 and Windows-1252): the txt reader's words and chapters, the chapters from the NCX", async () => {
    const { raw, txt } = aliceText(data!);
    for (const [encoding, encode] of [
      ["utf8", utf8],
      ["cp1252", cp1252],
    ] as const) {
      const alice = aliceMobi6(raw, encode);
      const exth = ALICE_META.map(([type, b]): [number, Uint8Array] => [type, encode(new TextDecoder().decode(b))]); // in the book's encoding
      const bytes = book({ text: alice.text, ncx: alice.ncx, compression: "palmdoc", utf8: encoding === "utf8", exth, encode });
      const got = await ingest("alice.mobi", bytes);
      expect(got.format).toBe("mobi");
      expectReadsAsAliceTxt(got, txt);
      expect(bytes.length).toBeLessThan(alice.text.length * 0.8); // the text was compressed
    }
  });

  it("Alice's txt as KF8 (.azw3, HUFF/CDIC): the txt reader's words and chapters, its style flow not read", async () => {
    const { raw, txt } = aliceText(data!);
    const { flow, css } = aliceKf8(raw);
    const codec = new HuffCdicWriter(utf8(flow + css));
    const bytes = kf8Book(flow, css, codec);
    const got = await ingest("alice.azw3", bytes);
    expect(got.format).toBe("mobi");
    expectReadsAsAliceTxt(got, txt);
    expect(got.text).not.toContain("text-indent");
    expect(got.text).not.toMatch(/Part \d/); // the skeletons' <title>s
    // a file holding a MOBI 6 part and a KF8 part is read from its KF8 part
    const both = kf8Book(flow, css, "palmdoc", { text: utf8("<html><body><p>The old part.</p></body></html>"), compression: "palmdoc", utf8: true });
    expect(await ingest("alice.mobi", both)).toEqual(got);
  });
});

describe("mobi: calibre's files", () => {
  const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "..", "fixtures", "kindle", name));
  const source = readHtml(fixture("source.html"));
  const words = (s: string) => s.split(/\s+/).filter(Boolean);

  it("KF8 (.azw3), and a file holding both parts uncompressed: the source's text exactly, calibre's contents page left out; chapters from the NCX", async () => {
    expect(source.chapters).toHaveLength(6);
    for (const name of ["ledger.azw3", "ledger-both-uncompressed.mobi"]) {
      const got = await ingest(name, fixture(name));
      expect(got).toMatchObject({ format: "mobi", title: "The Lantern Keeper’s Ledger", author: "Ada Quill" });
      expect(got.text).toBe(source.text);
      expect(got.chapters).toEqual(source.chapters.slice(1)); // the NCX lists the <h2>s: not the title page's <h1>
    }
  });

  it("MOBI 6: the source's words, its chapters from the NCX (calibre's: the <h2>s) where their headings are", async () => {
    const got = await ingest("ledger-mobi6.mobi", fixture("ledger-mobi6.mobi"));
    expect(got).toMatchObject({ format: "mobi", title: "The Lantern Keeper’s Ledger", author: "Ada Quill" });
    expect(words(got.text)).toEqual(words(source.text)); // (calibre makes verse lines paragraphs)
    expect(got.chapters.map((c) => c.title)).toEqual(source.chapters.slice(1).map((c) => c.title));
    for (const c of got.chapters) expect(got.text.slice(c.start, c.start + c.title.length)).toBe(c.title);
  });
});

describe("mobi: decompression", () => {
  it("PalmDOC: every byte value, overlapping copies, space pairs, escaped runs round-trip through its encoder", () => {
    for (const seed of [1, 2, 3]) {
      const plain = noise(4096, seed);
      const packed = palmDocCompress(plain);
      expect(packed.length).toBeLessThan(plain.length);
      expect(Buffer.from(inflatePalmDoc(packed, 8192))).toEqual(Buffer.from(plain));
    }
    // a copy that overlaps itself: "ab" then 8 bytes from 2 back
    expect(Buffer.from(inflatePalmDoc(Uint8Array.from([0x61, 0x62, 0x80, (2 << 3) | 5]), 100)).toString()).toBe("ababababab");
  });

  it("PalmDOC: a back-reference before the start, a truncated pair or run, or growth past the limit is CORRUPT_FILE", () => {
    expect(() => inflatePalmDoc(Uint8Array.from([0x61, 0x80, 3 << 3]), 100)).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
    expect(() => inflatePalmDoc(Uint8Array.from([0x61, 0x80]), 100)).toThrow(/back-reference/);
    expect(() => inflatePalmDoc(Uint8Array.from([0x05, 0x61]), 100)).toThrow(/literal run/);
    expect(() => inflatePalmDoc(Uint8Array.from([0x61, ...Array(40).fill(0xc1)]), 50)).toThrow(/inflates past/);
  });

  it("HUFF/CDIC: the text through its encoder's phrases (nested, compressed and not, codes of 5, 7, 10 and 13 bits over several CDIC records)", () => {
    const text = utf8("It was the best of times, it was the worst of times, it was the age of wisdom — “€ and ñ” — ".repeat(60));
    const writer = new HuffCdicWriter(text, 4);
    const [huff, ...cdics] = writer.records();
    expect(cdics.length).toBeGreaterThan(1);
    const codec = new HuffCdic(huff, cdics);
    for (let at = 0; at < text.length; at += 4096) {
      const chunk = text.subarray(at, at + 4096);
      expect(Buffer.from(codec.expand(writer.compress(chunk), 65536))).toEqual(Buffer.from(chunk));
    }
  });

  it("HUFF/CDIC: a phrase that contains itself, a code past the dictionary, a malformed table are CORRUPT_FILE", () => {
    const text = utf8("abcabc abc the the the ");
    const writer = new HuffCdicWriter(text);
    const [huff, ...cdics] = writer.records();
    // phrase 0 made a compressed phrase whose bits name phrase 0 (the top 5-bit code, 11111)
    const loop = Uint8Array.from(cdics[0]);
    const at0 = 16 + ((loop[16] << 8) | loop[17]);
    loop[at0] = 0x00;
    loop[at0 + 1] = 0x01;
    loop[at0 + 2] = 0xf8;
    const codec = new HuffCdic(huff, [loop, ...cdics.slice(1)]);
    expect(() => codec.expand(Uint8Array.from([0xf8]), 1000)).toThrow(/contains itself/);
    // a dictionary cut short: codes name phrases it lacks
    const short = Uint8Array.from(cdics[0]);
    short.set([0, 0, 0, 1], 8);
    expect(() => new HuffCdic(huff, [short]).expand(writer.compress(text), 1000)).toThrow(/lacks/);
    expect(() => new HuffCdic(Uint8Array.from(huff.subarray(0, 100)), cdics)).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
  });

  it("trailing entries: a multibyte character's rest and index entries (sizes of one and two bytes) are taken off", () => {
    const text = utf8("漢字かな交じり文 and ASCII; ".repeat(600)); // records end inside characters
    for (const flags of [0b1, 0b11, 0b111, 0b101]) {
      const records = textRecords(text, "none", flags, 5);
      expect(Buffer.concat(records.map((r) => recordTextBytes(r, flags)))).toEqual(Buffer.from(text));
    }
    expect(() => recordTextBytes(Uint8Array.from([0x61, 0x85]), 0b10)).toThrow(/longer than the record/);
  });
});

describe("mobi: contents pages", () => {
  const li = (n: number, link = (i: number) => `<a filepos=00000${i}>Chapter ${i}</a>`) => Array.from({ length: n }, (_, i) => `<li>${link(i)}</li>`).join("\n");

  it("a list of 3 or more links to places, with a contents title right before it, is left out", () => {
    const page = `<p>Before.</p><p><font size="5"><b>Contents</b></font></p>\n<ol>${li(4)}</ol><p>After, see <a filepos=0000012>chapter 2</a>.</p>`;
    // cut from the title's text to the last link's end (the tags left around the cut hold no text)
    expect(withoutContentsLists(page)).toBe(`<p>Before.</p><p><font size="5"><b></li></ol><p>After, see <a filepos=0000012>chapter 2</a>.</p>`);
    const kf8 = `<h2>Inhaltsverzeichnis</h2><ul>${li(3, (i) => `<a href="kindle:pos:fid:000${i}:off:0000000000">Teil ${i}</a>`)}</ul>`;
    expect(withoutContentsLists(kf8)).toBe("<h2></li></ul>");
  });

  it("two links, links with words between them, another title, and links elsewhere stay", () => {
    for (const page of [
      `<p>Contents</p><ol>${li(2)}</ol>`,
      `<p>See <a filepos=1>one</a>, then <a filepos=2>two</a>, then <a filepos=3>three</a>.</p>`,
      `<p>Chapters</p><ol>${li(3, (i) => `<a href="http://example.com/${i}">Site ${i}</a>`)}</ol>`,
    ])
      expect(withoutContentsLists(page)).toBe(page);
    // a list without a contents title goes, its heading stays
    expect(withoutContentsLists(`<p>Chapters</p><ol>${li(3)}</ol>`)).toBe("<p>Chapters</p><ol><li></li></ol>");
  });

  it("linear in hostile markup: 100,000 unclosed links, and 100,000 links in a row", () => {
    const unclosed = "<p>x</p>" + "<a filepos=1>".repeat(100_000) + "<p>end</p>";
    expect(withoutContentsLists(unclosed)).toBe(unclosed);
    const many = `<ol>${li(100_000)}</ol>`;
    expect(withoutContentsLists(many)).toBe("<ol><li></li></ol>");
  });
});

describe("mobi: books", () => {
  const page = (body: string) => utf8(`<html><head><title>Page title</title></head><body>${body}</body></html>`);

  it("MOBI 6 without an NCX: chapters at its headings; uncompressed; title and authors from EXTH, else the full name", () => {
    const text = page(`<h1>Essays</h1><mbp:pagebreak/><h2>One</h2><p>First&nbsp;essay.</p><mbp:pagebreak/><h2>Two</h2><p>Second.</p>`);
    const got = readMobi(book({ text, compression: "none", utf8: true, exth: [exthText(100, "A. Writer"), exthText(100, "B. Writer"), exthText(503, "Essays, Collected")] }));
    expect(got).toMatchObject({ format: "mobi", title: "Essays, Collected", author: "A. Writer, B. Writer", text: "Essays\n\nOne\n\nFirst essay.\n\nTwo\n\nSecond." });
    expect(got.chapters.map((c) => c.title)).toEqual(["Essays · One", "Two"]); // a heading with only a heading under it names that one's chapter too
    expect(readMobi(book({ text, compression: "palmdoc", utf8: true })).title).toBe("Full Name");
  });

  it("an NCX's entries: the depths listed, an entry inside a tag cut before it, labels in the book's encoding, a broken NCX ignored", () => {
    const body = `<p>Front matter.</p><p>Ünïcode part</p><p>Part one text.</p><p>Section 1.1</p><p>Deeper text.</p>`;
    const text = page(body);
    const s = Buffer.from(text).toString("latin1");
    const ncx = [
      { position: s.indexOf("<p>" + Buffer.from("Ünï").toString("latin1")) + 2, label: "Ünïcode part", depth: 0 }, // inside the <p> tag
      { position: s.indexOf("<p>Section"), label: "Section 1.1", depth: 1 },
    ];
    const got = readMobi(book({ text, compression: "palmdoc", utf8: true, ncx }));
    expect(got.text).toBe("Front matter.\n\nÜnïcode part\n\nPart one text.\n\nSection 1.1\n\nDeeper text.");
    expect(got.chapters).toEqual([
      { title: "Ünïcode part", start: got.text.indexOf("Ünïcode") },
      { title: "Section 1.1", start: got.text.indexOf("Section") },
    ]);
    // a part whose text is only its title names the chapter after it
    const parts = page(`<p>Preface text.</p><p>Part One</p><p>Chapter 1</p><p>Text one.</p><p>Chapter 2</p><p>Text two.</p>`);
    const at = (t: string) => Buffer.from(parts).indexOf(t);
    const nested = readMobi(book({ text: parts, compression: "none", utf8: true, ncx: [
      { position: at("<p>Part One"), label: "Part One", depth: 0 },
      { position: at("<p>Chapter 1"), label: "Chapter 1", depth: 1 },
      { position: at("<p>Chapter 2"), label: "Chapter 2", depth: 1 },
    ] }));
    expect(nested.chapters).toEqual([
      { title: "Part One · Chapter 1", start: nested.text.indexOf("Part One") },
      { title: "Chapter 2", start: nested.text.indexOf("Chapter 2") },
    ]);
    // an NCX whose TAGX is missing: the book is read, chapters by headings (none here)
    const bytes = book({ text, compression: "palmdoc", utf8: true, ncx });
    const broken = Uint8Array.from(bytes);
    const tagx = Buffer.from(broken).indexOf("TAGX");
    broken.set(Buffer.from("XXXX"), tagx);
    expect(readMobi(broken)).toMatchObject({ text: got.text, chapters: [] });
  });

  it("PalmDOC text (.prc, TEXtREAd) reads as a .txt", async () => {
    const text = Buffer.from("Title: A Memo\n\nCHAPTER I\n\nSome text.\n\nCHAPTER II\n\nMore text.\n", "latin1");
    const records = textRecords(text, "palmdoc", 0);
    const r0 = Uint8Array.from([0, 2, 0, 0, ...u32be(text.length), 0, records.length, 0x10, 0, 0, 0, 0, 0]); // a PalmDOC header alone
    const got = await ingest("memo.prc", palmDatabase("A_Memo", "TEXtREAd", [r0, ...records]));
    expect(got).toEqual({ ...(await ingest("memo.txt", text)), format: "mobi" });
    expect(got.title).toBe("A Memo");
  });

  it("refused: DRM, KFX, not a Palm database, records outside the file, an unknown compression, too many text records", () => {
    const text = page("<p>Text.</p>");
    const code = (b: Uint8Array) => {
      try {
        readMobi(b);
      } catch (e) {
        return `${(e as { code: string }).code}: ${(e as Error).message}`;
      }
      return "read";
    };
    expect(code(book({ text, compression: "palmdoc", utf8: true, encryption: 2 }))).toMatch(/^ENCRYPTED: .*DRM/);
    expect(code(Uint8Array.from(Buffer.from("CONT\x02\x00\x00\x00rest of a KFX container", "latin1")))).toMatch(/^UNSUPPORTED_FORMAT: .*KFX/);
    expect(code(Uint8Array.from(Buffer.from("\xeaDRMION\xee....", "latin1")))).toMatch(/^UNSUPPORTED_FORMAT/);
    expect(code(utf8("just some text, not a database at all; ".repeat(5)))).toMatch(/^CORRUPT_FILE/);
    expect(code(book({ text, compression: "palmdoc", utf8: true, kind: "DATAAPPL" }))).toMatch(/^CORRUPT_FILE: .*DATAAPPL/);
    const good = book({ text, compression: "palmdoc", utf8: true });
    expect(code(good.subarray(0, 90))).toMatch(/^CORRUPT_FILE: .*record list/);
    const past = Uint8Array.from(good);
    past.set([0x7f, 0xff, 0xff, 0xff], 78 + 8); // record 1's offset far past the end
    expect(code(past)).toMatch(/^CORRUPT_FILE: .*outside the file/);
    const unknown = Uint8Array.from(good);
    const r0 = (good[78] << 24) | (good[79] << 16) | (good[80] << 8) | good[81];
    unknown.set([0x00, 0x09], r0);
    expect(code(unknown)).toMatch(/^CORRUPT_FILE: .*compression 9/);
    const many = Uint8Array.from(good);
    many.set([0x01, 0x00], r0 + 8);
    expect(code(many)).toMatch(/^CORRUPT_FILE: .*more text records/);
  });

  it("imported into the library as a .azw3 and a .mobi", async () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const d = await importFile(lib, "essays.azw3", book({ text: page(`<h2>One</h2><p>Text.</p>`), compression: "palmdoc", utf8: true, exth: [exthText(503, "Essays")] }), true);
    expect(lib.documents.get(d.id)).toMatchObject({ format: "mobi", title: "Essays", chapters: [{ title: "One", start: 0 }] });
    lib.close();
  });
});
