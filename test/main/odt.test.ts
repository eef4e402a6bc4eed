// OpenDocument texts: built here as LibreOffice writes them (fflate zips
// content.xml, styles.xml, meta.xml), read by the odt reader. Oracle: Alice's
// plain-text edition set as a document reads as the txt reader reads it; what is
// not the text (tracked deletions, comments, a table of contents) stays out.
import * as path from "node:path";
import { zipSync, strToU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { readOdt } from "../../main/library/ingest/odt";
import { ingest } from "../../main/library/ingest";
import { importFile } from "../../main/app/import";
import { Library } from "../../main/library";
import { builtinDefaults } from "../../main/library/settings";
import { testDataDir } from "../../main/bench/test-data";
import { tempDirsPerTest } from "./helpers/core";
import { aliceText, expectReadsAsAliceTxt } from "./helpers/alice";

const data = testDataDir();
const dir = tempDirsPerTest();
const NS = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"`;
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const STYLES = (extra = "") => `<?xml version="1.0" encoding="UTF-8"?><office:document-styles ${NS}><office:styles>${extra}
  <style:style style:name="Standard" style:family="paragraph"/>
  <style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard"/>
  <style:style style:name="Subtitle" style:family="paragraph" style:parent-style-name="Title"/>
  <style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph"/>
</office:styles></office:document-styles>`;

function odt(body: string, o: { meta?: string; mimetype?: string; manifest?: string; automatic?: string; styles?: string } = {}): Uint8Array {
  return zipSync({
    mimetype: strToU8(o.mimetype ?? "application/vnd.oasis.opendocument.text"),
    "META-INF/manifest.xml": strToU8(o.manifest ?? `<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>`),
    "content.xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${NS}><office:automatic-styles>${o.automatic ?? ""}</office:automatic-styles><office:body><office:text>${body}</office:text></office:body></office:document-content>`,
    ),
    "styles.xml": strToU8(STYLES(o.styles)),
    ...(o.meta ? { "meta.xml": strToU8(o.meta) } : {}),
  });
}
const meta = (title: string, author: string) =>
  `<?xml version="1.0"?><office:document-meta ${NS}><office:meta><dc:title>${esc(title)}</dc:title><meta:initial-creator>${esc(author)}</meta:initial-creator></office:meta></office:document-meta>`;
const p = (text: string, style = "Text_20_body") => `<text:p text:style-name="${style}">${esc(text)}</text:p>`;

/** Alice's plain text as LibreOffice sets it: title page in the Title style (through an automatic style), chapters as level-1 headings, verse with line breaks, words in spans. */
function aliceOdt(raw: string): Uint8Array {
  let x = 3;
  const rand = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
  const spans = (text: string) =>
    text
      .split(" ")
      .map((w) => (rand(4) === 0 ? `<text:span text:style-name="T${rand(3)}">${esc(w)}</text:span>` : esc(w)))
      .join(rand(2) ? " " : "<text:s/>");
  const paragraphs = raw.split(/\n[ \t]*\n+/).filter((q) => q.trim());
  const start = paragraphs.findIndex((q) => /^\*\*\* START OF/.test(q));
  const body = paragraphs.map((q, i) => {
    if (i > start && i <= start + 3) return `<text:p text:style-name="P1">${spans(q.replace(/\s+/g, " "))}</text:p>`;
    if (/^CHAPTER [IVXL]+\. /.test(q)) {
      const [, num, name] = /^(CHAPTER [IVXL]+\.) ([\s\S]*)$/.exec(q)!;
      return `<text:h text:style-name="Heading_20_1" text:outline-level="1">${esc(num)}<text:line-break/>${esc(name)}</text:h>`;
    }
    if (/^[ \t]/m.test(q)) return `<text:p>${q.split("\n").map((l) => esc(l.trim())).join("<text:line-break/>")}</text:p>`;
    return `<text:p text:style-name="Text_20_body">${spans(q.replace(/\n/g, " "))}</text:p>`;
  });
  return odt(body.join("\n"), { meta: meta("Alice’s Adventures in Wonderland", "Lewis Carroll"), automatic: `<style:style style:name="P1" style:family="paragraph" style:parent-style-name="Title"/>` });
}

describe.skipIf(!data)("odt: against the real book", () => {
  it("Alice's txt set as an OpenDocument text: the txt reader's words and chapters, boilerplate dropped", async () => {
    const { raw, txt } = aliceText(data!);
    const got = await ingest("Alice.odt", aliceOdt(raw));
    expect(got.format).toBe("odt");
    expectReadsAsAliceTxt(got, txt);
  });
});

describe("odt: what is the text", () => {
  it("spaces, tabs, breaks (not the file's own line ends), lists and cells kept; tracked deletions, comments, the TOC and alternative text left out; notes listed", () => {
    const body = [
      `<text:tracked-changes><text:changed-region text:id="c1"><text:deletion><text:p>Removed words.</text:p></text:deletion></text:changed-region></text:tracked-changes>`,
      `<text:table-of-content text:name="Contents"><text:index-body><text:p text:style-name="Contents_20_1">Chapter One<text:tab/>1</text:p></text:index-body></text:table-of-content>`,
      `<text:h text:outline-level="1">Chapter One</text:h>`,
      `<text:p>Two<text:s text:c="3"/>words<text:tab/>and a tab.<office:annotation><dc:creator>Ed</dc:creator><text:p>A comment.</text:p></office:annotation> A claim.<text:note text:id="n1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>The source.</text:p></text:note-body></text:note> More.<text:note text:id="n2" text:note-class="endnote"><text:note-citation>i</text:note-citation><text:note-body><text:p>An endnote.</text:p></text:note-body></text:note></text:p>`,
      `<text:list><text:list-item><text:p>First item</text:p></text:list-item><text:list-item><text:p>Second item</text:p></text:list-item></text:list>`,
      `<table:table><table:table-row><table:table-cell><text:p>Cell A</text:p></table:table-cell><table:table-cell><text:p>Cell B</text:p></table:table-cell></table:table-row></table:table>`,
      `<text:p>Wrapped in\n   the file<text:line-break/>a break</text:p>`,
      `<text:p><draw:frame><svg:title>A picture</svg:title><svg:desc>Its description</svg:desc></draw:frame>After the picture; A &amp; B.</text:p>`,
      `<text:h text:outline-level="4">Deep heading</text:h>`,
      `<text:p><text:ruby><text:ruby-base>漢字</text:ruby-base><text:ruby-text>かんじ</text:ruby-text></text:ruby>です。</text:p>`,
    ].join("");
    const got = readOdt(odt(body));
    expect(got.text).toBe(
      "Chapter One\n\nTwo words and a tab. A claim.[1] More.[i]\n\n• First item\n\n• Second item\n\nCell A\n\nCell B\n\nWrapped in the file\na break\n\nAfter the picture; A & B.\n\nDeep heading\n\n漢字です。\n\nNotes\n\n[1] The source.\n\nEndnotes\n\n[i] An endnote.",
    );
    expect(got.chapters.map((c) => c.title)).toEqual(["Chapter One", "Notes", "Endnotes"]);
    expect(got.title).toBe("Chapter One");
  });

  it("a title page: the Title and Subtitle styles (by their parents too) are one chapter; meta.xml names title and author", () => {
    const body = p("My Book", "Title") + p("A Novel", "Subtitle") + `<text:h text:outline-level="1">One</text:h>` + p("Body.");
    const got = readOdt(odt(body, { meta: meta("My Book", "Ann Author") }));
    expect(got.chapters).toEqual([
      { title: "My Book", start: 0 },
      { title: "One", start: "My Book\n\nA Novel\n\n".length },
    ]);
    expect(got.author).toBe("Ann Author");
  });
});

describe("odt: automatic numbers", () => {
  const level = (kind: "number" | "bullet", n: number, attrs: string) => `<text:list-level-style-${kind} text:level="${n}" ${attrs}/>`;
  const outline =
    `<text:outline-style style:name="Outline"><text:outline-level-style text:level="1" style:num-format="I" style:num-prefix="Part " style:num-suffix=":"/>` +
    `<text:outline-level-style text:level="2" style:num-format="1" text:display-levels="2"/><text:outline-level-style text:level="3" style:num-format=""/></text:outline-style>`;
  const lists =
    `<text:list-style style:name="L1">${level("number", 1, `style:num-format="1" style:num-suffix="."`)}${level("number", 2, `style:num-format="a" style:num-suffix=")" text:display-levels="2"`)}</text:list-style>` +
    `<text:list-style style:name="L2">${level("bullet", 1, `text:bullet-char="–"`)}${level("bullet", 2, `text:bullet-char=""`)}</text:list-style>`;
  const h = (n: number, t: string, attrs = "") => `<text:h text:outline-level="${n}"${attrs}>${t}</text:h>`;
  const item = (t: string, attrs = "", inner = "") => `<text:list-item${attrs}><text:p>${t}</text:p>${inner}</text:list-item>`;

  it("headings by the outline style (prefix, suffix, display levels, a level without numbers, a list header); lists by theirs (nested, continued, restarted, started at)", () => {
    const body = [
      h(1, "Beginnings"),
      h(2, "Seeds"),
      h(3, "Not numbered"),
      h(2, "Roots"),
      h(1, "Growth"),
      h(2, "Leaves", ` text:is-list-header="true"`),
      h(2, "Branches"),
      `<text:list text:style-name="L1" xml:id="list1">${item("One")}${item("Two", "", `<text:list>${item("Two a")}${item("Two b")}</text:list>`)}<text:list-header><text:p>An unnumbered note</text:p></text:list-header></text:list>`,
      p("Between the lists."),
      `<text:list text:style-name="L1" text:continue-numbering="true">${item("Three")}</text:list>`,
      `<text:list text:style-name="L1">${item("Again one")}${item("Ten", ` text:start-value="10"`)}${item("Eleven")}</text:list>`,
      `<text:list text:style-name="L1" text:continue-list="list1">${item("Four")}</text:list>`,
      `<text:list text:style-name="L2">${item("Dash", "", `<text:list>${item("Symbol bullet")}</text:list>`)}</text:list>`,
      `<text:list text:style-name="Unknown">${item("No style, no label")}</text:list>`,
    ].join("");
    const got = readOdt(odt(body, { styles: outline, automatic: lists }));
    expect(got.text.split("\n\n")).toEqual([
      "Part I: Beginnings",
      "I.1 Seeds",
      "Not numbered",
      "I.2 Roots",
      "Part II: Growth",
      "Leaves",
      "II.1 Branches",
      "1. One",
      "2. Two",
      "2.a) Two a",
      "2.b) Two b",
      "An unnumbered note",
      "Between the lists.",
      "3. Three",
      "1. Again one",
      "10. Ten",
      "11. Eleven",
      "4. Four",
      "– Dash",
      "• Symbol bullet",
      "No style, no label",
    ]);
    // (headings with only deeper headings under them name the chapter of the deepest, as in an HTML book)
    expect(got.chapters.map((c) => c.title)).toEqual(["Part I: Beginnings · I.1 Seeds · Not numbered", "I.2 Roots", "Part II: Growth · Leaves", "II.1 Branches"]);
  });
});

describe("odt: refused", () => {
  it("encrypted, another kind of document, not a zip, no content, no text", () => {
    const manifest = `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data manifest:checksum="x"/></manifest:file-entry></manifest:manifest>`;
    expect(() => readOdt(odt(p("x"), { manifest }))).toThrow(expect.objectContaining({ code: "ENCRYPTED" }));
    expect(() => readOdt(odt(p("x"), { mimetype: "application/vnd.oasis.opendocument.spreadsheet" }))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE", message: expect.stringMatching(/spreadsheet/) }));
    expect(() => readOdt(strToU8("plain"))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
    expect(() => readOdt(zipSync({ mimetype: strToU8("application/vnd.oasis.opendocument.text") }))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE", message: expect.stringMatching(/content.xml/) }));
    expect(() => readOdt(odt(`<text:p/><text:p> </text:p>`))).toThrow(expect.objectContaining({ code: "EMPTY_FILE" }));
  });
});

describe("odt: in the library", () => {
  it("is stored as an odt book", async () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const d = await importFile(lib, "notes.odt", odt(`<text:h text:outline-level="1">Results</text:h>` + p("They were good."), { meta: meta("Lab Notes", "B. Writer") }), true);
    expect(lib.documents.get(d.id)).toMatchObject({ format: "odt", title: "Lab Notes", author: "B. Writer", chapters: [{ title: "Results", start: 0 }] });
    lib.close();
  });
});
