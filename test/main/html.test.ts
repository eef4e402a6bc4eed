// HTML books (main/library/ingest/html.ts). Two oracles from the real books:
//   the EPUB's chapters set in one page read as the EPUB reads them (the same text, the
//   same chapters);
//   Alice's plain-text edition set as a Project Gutenberg HTML page (its header, <h1>-<h3>
//   title page, <h2> chapters, <p> paragraphs, verse with <br>, its licence) reads as the
//   same words and chapters as the txt reader gives.
// Then the parts: encodings, titles and authors, chapter naming, refused files.
import * as fs from "node:fs";
import * as path from "node:path";
import { unzipSync, strFromU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { ingest } from "../../main/library/ingest";
import { readEpub } from "../../main/library/ingest/epub";
import { readPackage } from "../../main/library/ingest/epub-package";
import { readHtml, pageHead } from "../../main/library/ingest/html";
import { MAX_CHAPTERS } from "../../main/library/ingest/chapters";
import { readMd } from "../../main/library/ingest/md";
import { decodeMarkup, declaredEncoding } from "../../main/library/ingest/markup-encoding";
import { testDataDir } from "../../main/bench/test-data";
import { encodeLegacy, encodeUtf16 } from "./helpers/legacy-encode";
import { aliceText, expectReadsAsAliceTxt } from "./helpers/alice";

const data = testDataDir();
const book = (name: string) => fs.readFileSync(path.join(data!, "books", name));
const utf8 = (s: string) => new TextEncoder().encode(s);
const page = (body: string, head = "") => `<!DOCTYPE html>\n<html><head><meta charset="utf-8">${head}</head>\n<body>${body}</body></html>`;
const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

describe.skipIf(!data)("html: against the real books", () => {
  it("the EPUB's linear chapters in one page read as the EPUB does: the same text and chapters", async () => {
    const bytes = book("alice-in-wonderland.epub");
    const files = unzipSync(bytes);
    const opfName = Object.keys(files).find((n) => n.endsWith(".opf"))!;
    const pkg = readPackage(opfName, strFromU8(files[opfName]));
    const bodies = pkg.spine
      .filter((s) => s.linear)
      .map((s) => /<body[^>]*>([\s\S]*)<\/body>/.exec(strFromU8(files[s.entry]))![1]);
    expect(bodies.length).toBeGreaterThan(5);
    const html = page(bodies.map((b) => `<div class="chapter">${b}</div>`).join("\n"), `<title>${pkg.title}</title><meta name="author" content="Lewis Carroll">`);
    const epub = await readEpub(bytes);
    const got = readHtml(utf8(html));
    expect(got.text).toBe(epub.text);
    expect(got.chapters).toEqual(epub.chapters);
    expect(got.chapters).toHaveLength(11);
    expect(got.format).toBe("html");
    expect(got.title).toBe(pkg.title);
    expect(got.author).toBe("Lewis Carroll");
  });

  it("Alice's txt set as a Gutenberg HTML page: the txt reader's words and chapters, boilerplate dropped", async () => {
    const { raw, txt } = aliceText(data!);
    const got = await ingest("pg11-images.html", utf8(gutenbergPage(raw)));
    expect(got.format).toBe("html");
    expectReadsAsAliceTxt(got, txt);
  });
});

/**
 * A Project Gutenberg HTML page from a Gutenberg plain-text file: the header and licence as
 * paragraphs (the START and END lines in divs, as Gutenberg sets them), the title page as
 * <h1>, <h2>, <h3>, "CHAPTER ..." paragraphs as <h2> (number and name on two lines), indented
 * lines (verse) with <br>, other paragraphs' lines as the source wraps them, quotes and dashes
 * as entities.
 */
function gutenbergPage(raw: string): string {
  const paragraphs = raw.split(/\n[ \t]*\n+/).filter((p) => p.trim());
  const start = paragraphs.findIndex((p) => /^\*\*\* START OF/.test(p));
  const out: string[] = [];
  paragraphs.forEach((p, i) => {
    const e = escape(p).replace(/’/g, "&rsquo;").replace(/‘/g, "&#8216;").replace(/—/g, "&mdash;");
    if (/^\*\*\* (START|END) OF/.test(p)) out.push(`<div id="pg-${i}"><span>${e}</span></div>`);
    else if (i > start && i <= start + 3) out.push(`<h${i - start}>${e}</h${i - start}>`);
    else if (/^CHAPTER [IVXL]+\. /.test(p)) out.push(`<div class="chapter">\n<h2><a id="c${i}"></a>${e.replace(/^(CHAPTER [IVXL]+\.) /, "$1<br />\n")}</h2>`);
    else if (/^[ \t]/m.test(p)) out.push(`<div class="poem"><p>${e.split("\n").map((l) => l.trim()).join("<br />\n")}</p></div>`);
    else out.push(`<p>\n${e}\n</p>`);
  });
  const title = "<title>The Project Gutenberg eBook of Alice’s Adventures in Wonderland, by Lewis Carroll</title>";
  return page(out.join("\n"), `${title}<style>p { text-indent: 1em }</style>`);
}

describe("html: note marks", () => {
  it("a superscript link to a place in the book, or an EPUB noteref, reads [n]; a plain superscript or a bracketed mark stays", () => {
    const body = [
      `<p>A claim<a href="#fn1" id="r1"><sup>1</sup></a> and another<sup><a href="notes.xhtml#fn2">2</a></sup>, a third<a epub:type="noteref" href="#n3">*</a>.</p>`,
      `<p>E = mc<sup>2</sup>; see<a href="#fn4"><sup>[4]</sup></a>; a page<a href="other.html"><sup>5</sup></a>.</p>`,
      `<aside epub:type="footnote" id="fn1"><p><sup><a href="#r1">1</a></sup>The note's text.</p></aside>`,
    ].join("");
    expect(readHtml(utf8(page(body))).text).toBe("A claim[1] and another[2], a third[*].\n\nE = mc2; see[4]; a page5.\n\n[1] The note's text.");
  });

  it("a note's label linking back to its mark reads [n] (LibreOffice's HTML); a link to elsewhere stays", () => {
    const body = [
      `<p>And a claim<a class="sdfootnoteanc" name="sdfootnote1anc" href="#sdfootnote1sym"><sup>1</sup></a>\nfollows; see <a href="#sec2">2</a>.</p>`,
      `<div id="sdfootnote1"><p class="sdfootnote"><a class="sdfootnotesym" name="sdfootnote1sym" href="#sdfootnote1anc">1</a>The\n\tfirst footnote.</p></div>`,
    ].join("");
    expect(readHtml(utf8(page(body))).text).toBe("And a claim[1] follows; see 2.\n\n[1] The first footnote.");
  });

  it("200,000 links without their \">\" are read once (within the test's 5 s; quadratic, minutes)", () => {
    for (const run of ["<a href=#x ", "<a epub:type='noteref' ", "<sup><a href=#x"])
      expect(readHtml(utf8(page(`<p>Before.</p>${run.repeat(200_000)}>after</p>`))).text).toMatch(/^Before\.\n\nafter$/);
    // with a mark whose note could link back to it
    const mark = `<p>A claim<a href="#n1" name="m1"><sup>1</sup></a>.</p>`;
    expect(readHtml(utf8(page(`${mark}${"<a href=#m1 ".repeat(200_000)}>after</p>`))).text).toMatch(/^A claim\[1\]\.\n\nafter$/);
    expect(readHtml(utf8(page(`${mark}<p><a href=#${"x".repeat(1_000_000)} </p>`))).text).toMatch(/^A claim\[1\]\./);
  });
});

describe("html: encodings", () => {
  const body = "<p>Café “naïve” — déjà vu</p>";
  const text = "Café “naïve” — déjà vu";

  it("UTF-8 with and without a BOM, and UTF-16 with its BOM", () => {
    expect(readHtml(utf8(page(body))).text).toBe(text);
    expect(readHtml(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(page(body))])).text).toBe(text);
    const le = encodeUtf16("\ufeff" + page(body), false);
    expect(readHtml(le).text).toBe(text);
    expect(readHtml(encodeUtf16("\ufeff" + page(body), true)).text).toBe(text);
  });

  it("the charset a <meta> or an XML declaration names, in the first 1024 bytes", () => {
    const cp1252 = Buffer.from(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body><p>Caf\xe9 \x93na\xefve\x94 \x97 d\xe9j\xe0 vu</p></body></html>`, "latin1");
    expect(declaredEncoding(cp1252)).toBe("iso-8859-1");
    expect(readHtml(cp1252).text).toBe(text); // iso-8859-1 means Windows-1252, as in browsers
    const sjis = encodeLegacy(`<?xml version="1.0" encoding="Shift_JIS"?><html><body><h1>吾輩は猫である</h1><p>名前はまだ無い。</p></body></html>`, "shift_jis");
    expect(readHtml(sjis).text).toBe("吾輩は猫である\n\n名前はまだ無い。");
    const gbk = encodeLegacy(`<html><head><meta charset="gbk"></head><body><p>第一章 天下大势</p></body></html>`, "gbk");
    expect(readHtml(gbk).text).toBe("第一章 天下大势");
  });

  it("undeclared bytes are sniffed as a plain-text file is; a declaration past 1024 bytes, a wrong or unknown one, is not believed", () => {
    const late = Buffer.from(`<html><head>${" ".repeat(1100)}<meta charset="koi8-r"></head><body><p>Caf\xe9 \x93na\xefve\x94 \x97 d\xe9j\xe0 vu</p></body></html>`, "latin1");
    expect(declaredEncoding(late)).toBeNull();
    expect(readHtml(late).text).toBe(text); // not UTF-8: Windows-1252
    const claimsUtf16 = utf8(`<html><head><meta charset="utf-16"></head><body>${body}</body></html>`);
    expect(readHtml(claimsUtf16).text).toBe(text);
    const unknown = utf8(`<html><head><meta charset="x-no-such-encoding"></head><body>${body}</body></html>`);
    expect(readHtml(unknown).text).toBe(text);
    expect(decodeMarkup(utf8("<p>a</p>\r\n<p>b</p>"), () => "fallback\r\n")).toBe("fallback\n");
  });
});

describe("html: title, author and chapters", () => {
  it("Gutenberg's <title> read as title and author; <meta> authors; the first <h1> when there is no <title>", async () => {
    expect(pageHead(page("", "<title>The Project Gutenberg eBook of Moby Dick; Or, The Whale, by Herman Melville</title>"))).toEqual({ title: "Moby Dick; Or, The Whale", author: "Herman Melville" });
    expect(pageHead(page("", `<title>On &quot;Reading&quot;\n  Slowly</title><meta content="A. Writer" name="DC.Creator">`))).toEqual({ title: 'On "Reading" Slowly', author: "A. Writer" });
    expect(pageHead(page("", `<meta name='author' content='B. Writer'>`))).toEqual({ title: null, author: "B. Writer" });
    const doc = await ingest("essay.htm", utf8(page("<h1>An <em>Essay</em></h1><p>Text.</p>")));
    expect(doc.title).toBe("An Essay");
    expect((await ingest("untitled.xhtml", utf8(page("<p>Only text.</p>")))).title).toBe("untitled");
  });

  it("parts name their chapters; a title page is one chapter named with the book's title; text before the first heading has none", () => {
    const body = [
      "<p>An epigraph before any heading.</p>",
      "<h1>War and Peace</h1>",
      "<h2>by Leo Tolstoy</h2>",
      "<p>Translated by Louise and Aylmer Maude</p>",
      "<h2>BOOK ONE: 1805</h2>",
      "<h3>CHAPTER I</h3><p>“Well, Prince, so Genoa and Lucca are now just family estates.”</p>",
      "<h3>CHAPTER II</h3><p>Anna Pávlovna’s drawing room was gradually filling.</p>",
      "<h2>BOOK TWO: 1805</h2>",
      "<section><h3>CHAPTER I</h3><p>In October, 1805, a Russian army was occupying the villages.</p></section>",
      "<h2>Afterword</h2>",
    ].join("\n");
    const doc = readHtml(utf8(page(body, "<title>War and Peace</title>")));
    const at = (s: string) => doc.text.indexOf(s);
    expect(doc.chapters).toEqual([
      { title: "War and Peace", start: at("War and Peace") },
      { title: "BOOK ONE: 1805 · CHAPTER I", start: at("BOOK ONE") },
      { title: "CHAPTER II", start: at("CHAPTER II") },
      { title: "BOOK TWO: 1805 · CHAPTER I", start: at("BOOK TWO") },
      { title: "Afterword", start: at("Afterword") },
    ]);
    expect(doc.text.startsWith("An epigraph before any heading.\n\nWar and Peace\n\nby Leo Tolstoy")).toBe(true);
  });

  it("a saved web page is read from its <main> or its one <article>; a short one, two articles or a Gutenberg page whole", () => {
    const essay = Array.from({ length: 8 }, (_, i) => `<p>Paragraph ${i + 1} of the essay, long enough to be read as the page's content and not as a teaser.</p>`).join("");
    const chrome = (inner: string) =>
      `<header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header><aside>Subscribe to our newsletter</aside>${inner}<footer>© The Site · Privacy · Cookies</footer>`;
    const inMain = readHtml(utf8(page(chrome(`<main id="c"><article><h1>On Reading</h1>${essay}<article><p>A reader's comment.</p></article></article></main>`))));
    expect(inMain.text.startsWith("On Reading\n\nParagraph 1 of the essay")).toBe(true);
    expect(inMain.text).toContain("A reader's comment.");
    expect(inMain.text).not.toMatch(/Home|Subscribe|Privacy/);
    expect(inMain.chapters).toEqual([{ title: "On Reading", start: 0 }]);
    const inArticle = readHtml(utf8(page(chrome(`<article><h1>On Reading</h1>${essay}</article>`))));
    expect(inArticle.text).toBe(inMain.text.replace("\n\nA reader's comment.", ""));
    // two articles (an index of posts), a teaser of a main, an unclosed main: the whole body
    for (const inner of [`<article>${essay}</article><article>${essay}</article>`, `<main><p>Teaser.</p></main>${essay}`, `<main>${essay}`])
      expect(readHtml(utf8(page(chrome(inner)))).text).toMatch(/^Home About\n\nSubscribe/);
    const gutenberg = page(`<p>Title: A Book</p><div>*** START OF THE PROJECT GUTENBERG EBOOK A BOOK ***</div><main>${essay}</main><div>*** END OF THE PROJECT GUTENBERG EBOOK A BOOK ***</div>`);
    expect(readHtml(utf8(gutenberg))).toMatchObject({ title: "A Book", boilerplateSkipped: true });
  });

  it("scripts, styles, comments and the head are not text; a heading inside them is no chapter", () => {
    const body = `<script>document.write("<h2>Not a chapter</h2>")</script><!-- <h2>Nor this</h2> --><style>h2 { color: red }</style><h2>Real</h2><p>Text &amp; more.</p>`;
    const doc = readHtml(utf8(page(body, "<title>T</title>")));
    expect(doc.text).toBe("Real\n\nText & more.");
    expect(doc.chapters).toEqual([{ title: "Real", start: 0 }]);
  });
});

describe("html: refused and hostile files", () => {
  it("binary data is a damaged file; a page without text is empty; the extensions are known", async () => {
    await expect(ingest("x.html", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 1, 2, 3, 0, 0, 9]))).rejects.toMatchObject({ code: "CORRUPT_FILE" });
    await expect(ingest("x.html", utf8(page("<img src='a.png'><script>x()</script>")))).rejects.toMatchObject({ code: "EMPTY_FILE" });
    await expect(ingest("x.xyz", utf8("text"))).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT", message: expect.stringContaining(".html") });
    for (const ext of [".html", ".HTM", ".xhtml"]) expect((await ingest(`b${ext}`, utf8(page("<p>Hi.</p>")))).format).toBe("html");
  });

  it("a page of more headings than the reader lists: the deepest level left out, then the next", () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => `<h3>entry ${i}</h3><p>a word</p>`).join("");
    const parts = Array.from({ length: 26 }, (_, i) => `<h2>${String.fromCharCode(65 + i)}</h2>${entries(100)}`).join("");
    const dictionary = readHtml(utf8(page(parts)));
    expect(dictionary.chapters.map((c) => c.title)).toEqual(Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i)));
    expect(readHtml(utf8(page(entries(MAX_CHAPTERS)))).chapters).toHaveLength(MAX_CHAPTERS);
    const flat = readHtml(utf8(page(`<h1>x</h1><p>y</p>`.repeat(MAX_CHAPTERS + 1))));
    expect(flat.chapters).toEqual([]);
    expect(flat.text.length).toBeGreaterThan(6 * MAX_CHAPTERS);
    // markdown's headings alike
    const md = Array.from({ length: 26 }, (_, i) => `## ${String.fromCharCode(65 + i)}\n\n` + Array.from({ length: 100 }, (_, k) => `### entry ${k}\n\na word\n`).join("\n")).join("\n");
    expect(readMd(utf8(md)).chapters).toHaveLength(26);
  });

  it("many unclosed tags and headings read in one pass (a quadratic scan would take minutes)", () => {
    const n = 200_000;
    const doc = readHtml(utf8(page("<h2>Start</h2><p>x</p>" + "<h2 ".repeat(n) + "<h3".repeat(n))));
    expect(doc.chapters).toEqual([{ title: "Start", start: 0 }]);
    expect(doc.text.length).toBeGreaterThan(7 * n);
  });
});
