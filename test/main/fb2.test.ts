// FictionBook 2: built here as libraries' converters write it, read by the fb2
// reader. Oracle: Alice's plain-text edition set as an FB2 book (title page,
// sections, poems, emphasis) reads as the txt reader reads it.
import * as path from "node:path";
import { zipSync, strToU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { readFb2, readFb2Zip } from "../../main/library/ingest/fb2";
import { ingest } from "../../main/library/ingest";
import { importFile } from "../../main/app/import";
import { Library } from "../../main/library";
import { builtinDefaults } from "../../main/library/settings";
import { testDataDir } from "../../main/bench/test-data";
import { tempDirsPerTest } from "./helpers/core";
import { aliceText, expectReadsAsAliceTxt } from "./helpers/alice";
import { encodeLegacy } from "./helpers/legacy-encode";

const data = testDataDir();
const dir = tempDirsPerTest();
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function fb2(o: { title?: string; authors?: [string, string][]; body: string; notes?: string; encoding?: string }): string {
  const authors = (o.authors ?? []).map(([f, l]) => `<author><first-name>${esc(f)}</first-name><last-name>${esc(l)}</last-name></author>`).join("");
  return (
    `<?xml version="1.0" encoding="${o.encoding ?? "UTF-8"}"?>\n<FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0" xmlns:l="http://www.w3.org/1999/xlink">` +
    `<description><title-info><genre>prose</genre>${authors}${o.title ? `<book-title>${esc(o.title)}</book-title>` : ""}<lang>en</lang></title-info><document-info><author><nickname>converter</nickname></author></document-info></description>` +
    `<body>${o.body}</body>${o.notes ? `<body name="notes">${o.notes}</body>` : ""}<binary id="cover.jpg" content-type="image/jpeg">${"QUFB".repeat(1000)}</binary></FictionBook>`
  );
}
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Alice's plain text as an FB2: the title page as the body's title, each chapter a section, verse as poems, some words emphasised. */
function aliceFb2(raw: string): string {
  let x = 11;
  const rand = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
  const inline = (t: string) => t.split(" ").map((w) => (rand(5) === 0 ? `<emphasis>${esc(w)}</emphasis>` : esc(w))).join(" ");
  const paragraphs = raw.split(/\n[ \t]*\n+/).filter((q) => q.trim());
  const start = paragraphs.findIndex((q) => /^\*\*\* START OF/.test(q));
  const out: string[] = [];
  let open = false;
  paragraphs.forEach((q, i) => {
    if (i === start + 1) return out.push(`<title>${paragraphs.slice(start + 1, start + 4).map((l) => `<p>${esc(l.replace(/\s+/g, " "))}</p>`).join("")}</title>`);
    if (i > start + 1 && i <= start + 3) return;
    if (/^CHAPTER [IVXL]+\. /.test(q)) {
      const [, num, name] = /^(CHAPTER [IVXL]+\.) ([\s\S]*)$/.exec(q)!;
      out.push(`${open ? "</section>" : ""}<section><title><p>${esc(num)}</p><p>${esc(name)}</p></title>`);
      open = true;
      return;
    }
    if (/^[ \t]/m.test(q)) return out.push(`<poem><stanza>${q.split("\n").map((l) => `<v>${esc(l.trim())}</v>`).join("")}</stanza></poem>`);
    out.push(`<p>${inline(q.replace(/\n/g, " "))}</p>`);
  });
  if (open) out.push("</section>");
  // (Gutenberg's header stands before the title page, its licence in the last chapter's section)
  return fb2({ title: "Alice’s Adventures in Wonderland", authors: [["Lewis", "Carroll"]], body: out.join("\n") });
}

describe.skipIf(!data)("fb2: against the real book", () => {
  it("Alice's txt set as a FictionBook: the txt reader's words and chapters, boilerplate dropped", async () => {
    const { raw, txt } = aliceText(data!);
    const got = await ingest("alice.fb2", utf8(aliceFb2(raw)));
    expect(got.format).toBe("fb2");
    expectReadsAsAliceTxt(got, txt);
    // zipped, as libraries hand it out
    const zipped = await ingest("alice.fb2.zip", zipSync({ "alice.fb2": utf8(aliceFb2(raw)) }));
    expect(zipped).toEqual(got);
  });
});

describe("fb2: what is the text", () => {
  it("note links as [n] with the notes listed after the text; poems, epigraphs, subtitles, cells; pictures skipped", () => {
    const body = [
      `<title><p>Lev Tolstoy</p><p>Short Pieces</p></title>`,
      `<epigraph><p>An epigraph.</p><text-author>Someone</text-author></epigraph>`,
      `<section><title><p>One</p></title><p>A claim<a l:href="#n1" type="note">1</a> and another<a l:href="#n2" type="note">[2]</a>.</p>`,
      `<image l:href="#cover.jpg"/><subtitle>* * *</subtitle>`,
      `<poem><title><p>A Poem</p></title><stanza><v>Line one,</v><v>line two.</v></stanza><stanza><v>Second stanza.</v></stanza></poem>`,
      `<section><title><p>One, part a</p></title><p>Deeper.</p><section><title><p>a.i</p></title><section><title><p>Too deep</p></title><p>Deepest.</p></section></section></section>`,
      `<table><tr><td>Cell A</td><td>Cell B</td></tr></table></section>`,
      `<section><title><p>Two</p></title><p>Last<empty-line/>words &amp; more.</p></section>`,
    ].join("");
    const notes = `<title><p>Notes</p></title><section id="n1"><title><p>1</p></title><p>The first note.</p></section><section id="n2"><title><p>2</p></title><p>The second note.</p><p>Its second paragraph.</p></section>`;
    const got = readFb2(utf8(fb2({ title: "Short Pieces", authors: [["Lev", "Tolstoy"]], body, notes })));
    expect(got.text).toBe(
      [
        "Lev Tolstoy", "Short Pieces", "An epigraph.", "Someone", "One", "A claim[1] and another[2].", "* * *", "A Poem", "Line one,\nline two.", "Second stanza.",
        "One, part a", "Deeper.", "a.i", "Too deep", "Deepest.", "Cell A", "Cell B", "Two", "Last\nwords & more.", "Notes", "[1] The first note.", "[2] The second note.", "Its second paragraph.",
      ].join("\n\n"),
    );
    expect(got.chapters.map((c) => c.title)).toEqual(["Short Pieces", "One", "One, part a", "a.i", "Two", "Notes"]);
    expect(got.title).toBe("Short Pieces");
    expect(got.author).toBe("Lev Tolstoy");
  });

  it("sections without titles (calibre's): a first paragraph all strong and short is the title", () => {
    const body = [
      `<section><p><image l:href="#cover.jpg"/></p></section>`,
      `<section><empty-line/><p><strong>Chapter One</strong></p><p><strong>Bold</strong> but not a title.</p><p>Text one.</p>`,
      `<section><p><strong>A Part Within</strong></p><p>Deeper.</p></section></section>`,
      `<section><p><strong>Bold</strong> then plain words.</p><p>Text two.</p></section>`,
      `<section><p><strong>${"Long ".repeat(30)}</strong></p><p>Text three.</p></section>`,
      `<section><title><p>Titled</p></title><p><strong>Not a title</strong></p></section>`,
    ].join("");
    const got = readFb2(utf8(fb2({ title: "Calibre Book", body })));
    expect(got.chapters.map((c) => c.title)).toEqual(["Chapter One", "A Part Within", "Titled"]);
    expect(got.text).toContain("Chapter One\n\nBold but not a title.\n\nText one.");
    expect(got.text).toContain("Bold then plain words.\n\nText two.");
  });

  it("text outside any paragraph (pandoc writes shaped verse so) is read as a paragraph of its own", () => {
    const body = `<section><title><p>Tale</p></title><p>Before it:</p>&quot;Fury said to\n a mouse,\n<emphasis>I</emphasis> will\n prosecute<p>After it.</p></section>`;
    expect(readFb2(utf8(fb2({ title: "Tales", body }))).text).toBe("Tale\n\nBefore it:\n\n\"Fury said to a mouse, I will prosecute\n\nAfter it.");
  });

  it("a paragraph's line ends in the file are spaces (calibre wraps its paragraphs' lines); lines are <v>s and <empty-line/>s", () => {
    const body = `<section><p>Alice was beginning to get very tired of sitting by her\n\t\tsister on the bank.</p><p>One<empty-line/>two</p><poem><stanza><v>Line\n one</v><v>Line two</v></stanza></poem></section>`;
    expect(readFb2(utf8(fb2({ title: "Wrapped", body }))).text).toBe("Alice was beginning to get very tired of sitting by her sister on the bank.\n\nOne\ntwo\n\nLine one\nLine two");
  });

  it("the encoding its declaration names (Windows-1251)", () => {
    const book = fb2({ title: "Война и мир", authors: [["Лев", "Толстой"]], encoding: "windows-1251", body: `<section><title><p>Глава 1</p></title><p>— Eh bien, mon prince. Генуя и Лукка стали не больше, как поместьями фамилии Буонапарте.</p></section>` });
    const got = readFb2(encodeLegacy(book, "windows-1251"));
    expect(got.title).toBe("Война и мир");
    expect(got.author).toBe("Лев Толстой");
    expect(got.text).toBe("Глава 1\n\n— Eh bien, mon prince. Генуя и Лукка стали не больше, как поместьями фамилии Буонапарте.");
  });
});

describe("fb2: refused", () => {
  it("binary data, not a FictionBook, no text, a zip without exactly one book", () => {
    expect(() => readFb2(new Uint8Array([0, 1, 2, 0, 0, 9]))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
    expect(() => readFb2(utf8(`<?xml version="1.0"?><html><body><p>x</p></body></html>`))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE", message: expect.stringMatching(/FictionBook/) }));
    expect(() => readFb2(utf8(fb2({ title: "T", body: "<section><p> </p></section>" })))).toThrow(expect.objectContaining({ code: "EMPTY_FILE" }));
    const one = utf8(fb2({ title: "T", body: "<section><p>Words.</p></section>" }));
    expect(() => readFb2Zip(zipSync({ "a.fb2": one, "b.fb2": one }))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE", message: expect.stringMatching(/more than one/) }));
    expect(() => readFb2Zip(zipSync({ "a.txt": one }))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE", message: expect.stringMatching(/no .fb2/) }));
    expect(() => readFb2Zip(utf8("not a zip"))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
    const locked = zipSync({ "a.fb2": one });
    locked[Buffer.from(locked).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 8] |= 1; // an entry flagged password-protected
    expect(() => readFb2Zip(locked)).toThrow(expect.objectContaining({ code: "ENCRYPTED" }));
  });
});

describe("fb2: hostile nesting", () => {
  it("200,000 sections deep and as many stray close tags read in one pass (counted, not searched)", () => {
    const n = 200_000;
    const deep = `${"<section>".repeat(n)}<p>Deep.</p>${"</emphasis>".repeat(n)}${"</section>".repeat(n)}`;
    expect(readFb2(utf8(fb2({ title: "T", body: deep }))).text).toBe("Deep.");
  });
});

describe("fb2: in the library", () => {
  it("is stored as an fb2 book; a zipped one without a title is named by its file", async () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const d = await importFile(lib, "Short Story.fb2.zip", zipSync({ "s.fb2": utf8(fb2({ body: "<section><p>Words.</p></section>" })) }), true);
    expect(lib.documents.get(d.id)).toMatchObject({ format: "fb2", title: "Short Story", sourceName: "Short Story.fb2.zip" });
    lib.close();
  });
});
