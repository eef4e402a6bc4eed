// Word documents: built here as Word writes them (fflate zips WordprocessingML),
// read by the docx reader. Oracle: Alice's plain-text edition, set as a document
// (Title, Heading 1 chapters, runs split and formatted, verse with line breaks),
// reads as the txt reader reads it; what is not the text (hidden and deleted runs,
// field codes, a TOC, text boxes' fallback copies) stays out.
import * as path from "node:path";
import { zipSync, strToU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { readDocx } from "../../main/library/ingest/docx";
import { ingest } from "../../main/library/ingest";
import { importFile } from "../../main/app/import";
import { Library } from "../../main/library";
import { builtinDefaults } from "../../main/library/settings";
import { testDataDir } from "../../main/bench/test-data";
import { tempDirsPerTest } from "./helpers/core";
import { aliceText, expectReadsAsAliceTxt } from "./helpers/alice";

const data = testDataDir();
const dir = tempDirsPerTest();
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const MC = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"';
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const STYLES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles ${W}>
  <w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
  <w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/></w:style>
  <w:style w:type="paragraph" w:styleId="Subtitle"><w:name w:val="Subtitle"/><w:basedOn w:val="Normal"/></w:style>
  <w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
  <w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/></w:style>
  <w:style w:type="paragraph" w:styleId="PartTitle"><w:name w:val="Part Title"/><w:basedOn w:val="Heading2"/></w:style>
  <w:style w:type="paragraph" w:styleId="Heading4"><w:name w:val="heading 4"/><w:pPr><w:outlineLvl w:val="3"/></w:pPr></w:style>
  <w:style w:type="paragraph" w:styleId="TOC1"><w:name w:val="toc 1"/></w:style>
  <w:style w:type="paragraph" w:styleId="NumberedHeading"><w:name w:val="Numbered Heading"/><w:basedOn w:val="berschrift1"/><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>
  <w:style w:type="character" w:styleId="Heading1Char"><w:name w:val="Heading 1 Char"/></w:style>
</w:styles>`;

interface Parts {
  body: string;
  styles?: string | null;
  footnotes?: string;
  endnotes?: string;
  numbering?: string;
  core?: string;
  /** the main part's name (default word/document.xml), found through _rels/.rels */
  main?: string;
}

function docx(p: Parts): Uint8Array {
  const main = p.main ?? "word/document.xml";
  const files: Record<string, Uint8Array> = {
    "[Content_Types].xml": strToU8(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`),
    "_rels/.rels": strToU8(
      `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
        `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
        `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="${main}"/></Relationships>`,
    ),
    [main]: strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document ${W} ${MC}><w:body>${p.body}<w:sectPr/></w:body></w:document>`),
  };
  if (p.styles !== null) files["word/styles.xml"] = strToU8(p.styles ?? STYLES);
  if (p.footnotes) files["word/footnotes.xml"] = strToU8(`<?xml version="1.0"?><w:footnotes ${W}>${p.footnotes}</w:footnotes>`);
  if (p.endnotes) files["word/endnotes.xml"] = strToU8(`<?xml version="1.0"?><w:endnotes ${W}>${p.endnotes}</w:endnotes>`);
  if (p.numbering) files["word/numbering.xml"] = strToU8(`<?xml version="1.0"?><w:numbering ${W}>${p.numbering}</w:numbering>`);
  if (p.core) files["docProps/core.xml"] = strToU8(p.core);
  return zipSync(files);
}

const para = (text: string, style?: string) => `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ""}<w:r><w:t xml:space="preserve">${esc(text)}</w:t></w:r></w:p>`;
const core = (title: string, author: string) =>
  `<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${esc(title)}</dc:title><dc:creator>${esc(author)}</dc:creator></cp:coreProperties>`;

/**
 * Alice's plain text as Word sets it: the header and licence as paragraphs, the title page in
 * the Title style, "CHAPTER ..." paragraphs as Heading 1 (number and name on two lines), verse
 * with line breaks, and every paragraph's words split into runs of changing formatting (seeded).
 */
function aliceDocx(raw: string): Uint8Array {
  let x = 7;
  const rand = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
  const runs = (text: string) => {
    const ws = text.split(" ");
    const out: string[] = [];
    for (let i = 0; i < ws.length; ) {
      const n = 1 + rand(6);
      const piece = ws.slice(i, i + n).join(" ") + (i + n < ws.length ? " " : "");
      const props = ["", "<w:rPr><w:b/></w:rPr>", "<w:rPr><w:i/><w:color w:val=\"FF0000\"/></w:rPr>"][rand(3)];
      out.push(`<w:r>${props}<w:t xml:space="preserve">${esc(piece)}</w:t></w:r>`);
      i += n;
    }
    return out.join("");
  };
  const paragraphs = raw.split(/\n[ \t]*\n+/).filter((p) => p.trim());
  const start = paragraphs.findIndex((p) => /^\*\*\* START OF/.test(p));
  const body = paragraphs.map((p, i) => {
    if (i > start && i <= start + 3) return `<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr>${runs(p.replace(/\s+/g, " "))}</w:p>`;
    if (/^CHAPTER [IVXL]+\. /.test(p)) {
      const [, num, name] = /^(CHAPTER [IVXL]+\.) ([\s\S]*)$/.exec(p)!;
      return `<w:p><w:pPr><w:pStyle w:val="berschrift1"/></w:pPr><w:r><w:t>${esc(num)}</w:t></w:r><w:r><w:br/><w:t>${esc(name)}</w:t></w:r></w:p>`;
    }
    if (/^[ \t]/m.test(p)) return `<w:p>${p.split("\n").map((l, j) => `<w:r>${j ? "<w:br/>" : ""}<w:t>${esc(l.trim())}</w:t></w:r>`).join("")}</w:p>`;
    return `<w:p>${runs(p.replace(/\n/g, " "))}</w:p>`;
  });
  return docx({ body: body.join("\n"), core: core("Alice’s Adventures in Wonderland", "Lewis Carroll") });
}

describe.skipIf(!data)("docx: against the real book", () => {
  it("Alice's txt set as a Word document: the txt reader's words and chapters, boilerplate dropped", async () => {
    const { raw, txt } = aliceText(data!);
    const got = await ingest("Alice.docx", aliceDocx(raw));
    expect(got.format).toBe("docx");
    expectReadsAsAliceTxt(got, txt);
  });
});

describe("docx: what is the text", () => {
  it("leaves out hidden and deleted runs, field codes, TOC entries and text boxes' fallback copies", () => {
    const body = [
      `<w:p><w:pPr><w:pStyle w:val="TOC1"/></w:pPr><w:r><w:t>Chapter One</w:t></w:r><w:r><w:tab/><w:t>1</w:t></w:r></w:p>`,
      para("Chapter One", "berschrift1"),
      `<w:p><w:r><w:t xml:space="preserve">Seen </w:t></w:r><w:r><w:rPr><w:vanish/></w:rPr><w:t>hidden </w:t></w:r><w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t xml:space="preserve">shown </w:t></w:r>` +
        `<w:del w:id="1"><w:r><w:delText>deleted </w:delText></w:r></w:del><w:ins w:id="2"><w:r><w:t xml:space="preserve">inserted </w:t></w:r></w:ins>` +
        `<w:moveFrom w:id="3"><w:r><w:t>moved-away </w:t></w:r></w:moveFrom><w:moveTo w:id="4"><w:r><w:t xml:space="preserve">moved-here </w:t></w:r></w:moveTo>` +
        `<w:r><w:t xml:space="preserve">page </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>7</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
        `<w:r><w:t xml:space="preserve"> a</w:t><w:tab/><w:t>b x</w:t><w:noBreakHyphen/><w:t>ray A&amp;B &#8212; &lt;ok&gt;</w:t></w:r></w:p>`,
      `<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>In the box</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice>` +
        `<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>In the box</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>Around the box.</w:t></w:r></w:p>`,
      `<w:p><w:r><w:t>Line one</w:t><w:br/><w:t>line two</w:t><w:cr/><w:t>line three</w:t></w:r></w:p>`,
      `<w:p><w:r><w:ruby><w:rubyPr/><w:rt><w:r><w:t>かんじ</w:t></w:r></w:rt><w:rubyBase><w:r><w:t>漢字</w:t></w:r></w:rubyBase></w:ruby></w:r><w:r><w:t>です。</w:t></w:r></w:p>`,
      `<w:p/>`,
      `<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cell A</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cell B</w:t></w:r></w:p></w:tc></w:tr></w:tbl>`,
    ].join("");
    const got = readDocx(docx({ body }));
    expect(got.text).toBe(
      "Chapter One\n\nSeen shown inserted moved-here page 7 a b x-ray A&B — <ok>\n\nIn the box\n\nAround the box.\n\nLine one\nline two\nline three\n\n漢字です。\n\nCell A\n\nCell B",
    );
    expect(got.chapters).toEqual([{ title: "Chapter One", start: 0 }]);
    expect(got.title).toBe("Chapter One"); // no properties, no Title paragraph: the first Heading 1
  });

  it("a TOC field's result (a converter's list of links, over several paragraphs) is left out, in both field forms; other fields' results stay", () => {
    const link = (t: string) => `<w:p><w:hyperlink w:anchor="x"><w:r><w:t>${t}</w:t></w:r></w:hyperlink></w:p>`;
    const body = [
      `<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> TOC \\h </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>` +
        `<w:hyperlink w:anchor="a"><w:r><w:t>Title Page</w:t></w:r></w:hyperlink></w:p>`,
      link("Chapter One"),
      `<w:p><w:r><w:t>Chapter Two</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`,
      `<w:p><w:fldSimple w:instr=" TOC \\o &quot;1-3&quot; "><w:r><w:t>Listed again</w:t></w:r></w:fldSimple></w:p>`,
      para("Chapter One", "Heading1"),
      `<w:p><w:r><w:t xml:space="preserve">On page </w:t></w:r><w:fldSimple w:instr=" PAGE "><w:r><w:t>3</w:t></w:r></w:fldSimple><w:r><w:t>.</w:t></w:r></w:p>`,
    ].join("");
    const got = readDocx(docx({ body }));
    expect(got.text).toBe("Chapter One\n\nOn page 3.");
  });

  it("footnotes and endnotes: [n] where they are called, in the order called, listed after the text", () => {
    const ref = (kind: "footnote" | "endnote", id: number) => `<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:${kind}Reference w:id="${id}"/></w:r>`;
    const body = `<w:p><w:r><w:t>First claim.</w:t></w:r>${ref("footnote", 5)}<w:r><w:t xml:space="preserve"> Second.</w:t></w:r>${ref("footnote", 2)}${ref("endnote", 1)}</w:p>`;
    const note = (kind: string, id: number, text: string) => `<w:${kind} w:id="${id}"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> ${text}</w:t></w:r></w:p></w:${kind}>`;
    const footnotes = `<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>${note("footnote", 2, "The second source.")}${note("footnote", 5, "The first source.")}${note("footnote", 9, "Never called.")}`;
    const got = readDocx(docx({ body, footnotes, endnotes: note("endnote", 1, "An endnote.") }));
    expect(got.text).toBe("First claim.[1] Second.[2][1]\n\nNotes\n\n[1] The first source.\n\n[2] The second source.\n\nEndnotes\n\n[1] An endnote.");
    expect(got.chapters.map((c) => c.title)).toEqual(["Notes", "Endnotes"]);
  });

  it("headings by style name, basedOn, a paragraph's own outline level, or Word's ids without styles.xml; Heading 4 is body text", () => {
    const body = [
      para("Part One", "PartTitle"), // based on heading 2
      para("Chapter 1", "berschrift1"),
      para("Text of one."),
      `<w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>Own outline</w:t></w:r></w:p>`,
      para("Text two."),
      para("Detail", "Heading4"),
      para("More."),
    ].join("");
    const got = readDocx(docx({ body }));
    expect(got.chapters.map((c) => c.title)).toEqual(["Part One", "Chapter 1", "Own outline"]);
    // a title page: the Title, its Subtitle and the author's line are one chapter
    const titled = readDocx(docx({ body: para("My Book", "Title") + para("A Novel", "Subtitle") + para("Ann Author", "Title") + para("One", "berschrift1") + para("Body.") }));
    expect(titled.chapters).toEqual([
      { title: "My Book", start: 0 },
      { title: "One", start: "My Book\n\nA Novel\n\nAnn Author\n\n".length },
    ]);
    expect(titled.title).toBe("My Book");
    const bare = readDocx(docx({ body: para("One", "Heading1") + para("Body.") + para("Two", "Heading1") + para("More."), styles: null }));
    expect(bare.chapters).toEqual([
      { title: "One", start: 0 },
      { title: "Two", start: "One\n\nBody.\n\n".length },
    ]);
  });

  it("automatic numbers: numbered headings by style, outline numbers, letters, a restart, bullets, roman; numId 0 turns it off", () => {
    const lvl = (i: number, fmt: string, text: string, start = 1) => `<w:lvl w:ilvl="${i}"><w:start w:val="${start}"/><w:numFmt w:val="${fmt}"/><w:lvlText w:val="${text}"/></w:lvl>`;
    const numbering =
      `<w:abstractNum w:abstractNumId="10">${lvl(0, "decimal", "%1")}${lvl(1, "decimal", "%1.%2")}</w:abstractNum>` +
      `<w:abstractNum w:abstractNumId="20">${lvl(0, "lowerLetter", "%1)")}</w:abstractNum>` +
      `<w:abstractNum w:abstractNumId="30">${lvl(0, "bullet", "\uf0b7")}</w:abstractNum>` +
      `<w:abstractNum w:abstractNumId="40">${lvl(0, "upperRoman", "%1.")}</w:abstractNum>` +
      `<w:abstractNum w:abstractNumId="50">${lvl(0, "upperLetter", "%1.", 27)}${lvl(1, "lowerLetter", "(%2)", 2_000_000_000)}</w:abstractNum>` +
      `<w:num w:numId="6"><w:abstractNumId w:val="50"/></w:num>` +
      `<w:num w:numId="1"><w:abstractNumId w:val="10"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="20"/></w:num>` +
      `<w:num w:numId="3"><w:abstractNumId w:val="20"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>` +
      `<w:num w:numId="4"><w:abstractNumId w:val="30"/></w:num><w:num w:numId="5"><w:abstractNumId w:val="40"/></w:num>`;
    const numbered = (text: string, numId: number, ilvl = 0, style = "") =>
      `<w:p><w:pPr>${style ? `<w:pStyle w:val="${style}"/>` : ""}<w:numPr><w:ilvl w:val="${ilvl}"/><w:numId w:val="${numId}"/></w:numPr></w:pPr><w:r><w:t>${text}</w:t></w:r></w:p>`;
    const body = [
      para("Introduction", "NumberedHeading"),
      para("Text."),
      numbered("Background", 1, 1, "Heading2"),
      numbered("first", 2),
      numbered("second", 2),
      para("Methods", "NumberedHeading"),
      numbered("Setup", 1, 1, "Heading2"),
      numbered("dot", 4),
      numbered("again", 3),
      numbered("roman", 5),
      numbered("Unnumbered", 0, 0, "NumberedHeading"),
      numbered("doubled", 6),
      numbered("hostile start", 6, 1),
    ].join("");
    const got = readDocx(docx({ body, numbering }));
    expect(got.text).toBe("1 Introduction\n\nText.\n\n1.1 Background\n\na) first\n\nb) second\n\n2 Methods\n\n2.1 Setup\n\n• dot\n\na) again\n\nI. roman\n\nUnnumbered\n\nAA. doubled\n\n(2000000000) hostile start");
    expect(got.chapters.map((c) => c.title)).toEqual(["1 Introduction", "1.1 Background", "2 Methods · 2.1 Setup", "Unnumbered"]);
  });

  it("finds the main part through the package's relationships; properties give title and author", () => {
    const got = readDocx(docx({ body: para("Hello there.") + para("Second paragraph."), main: "word/document2.xml", core: core("A Report & More", "Ann Author") }));
    expect(got.text).toBe("Hello there.\n\nSecond paragraph.");
    expect(got.title).toBe("A Report & More");
    expect(got.author).toBe("Ann Author");
  });
});

describe("docx: hostile nesting", () => {
  it("200,000 nested fields: their codes' text left out, the text after them kept, in one pass (counted, not searched)", () => {
    const n = 200_000;
    const field = (type: string) => `<w:r><w:fldChar w:fldCharType="${type}"/></w:r>`;
    const body = `<w:p>${field("begin").repeat(n)}${"<w:r><w:t>code</w:t></w:r>".repeat(n)}${field("end").repeat(n)}</w:p>${para("Shown.")}`;
    expect(readDocx(docx({ body })).text).toBe("Shown.");
  });
});

describe("docx: refused", () => {
  const ole = (extra: string) => new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...Buffer.from(extra, "utf16le"), ...new Uint8Array(512)]);
  it("an encrypted document, a .doc named .docx, not a zip, no main part, no text", () => {
    expect(() => readDocx(ole("EncryptedPackage"))).toThrow(expect.objectContaining({ code: "ENCRYPTED" }));
    expect(() => readDocx(ole("WordDocument"))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" })); // read as a .doc (test/main/doc.test.ts): this one is no compound file
    expect(() => readDocx(strToU8("just text"))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
    const noMain = zipSync({ "_rels/.rels": strToU8("<Relationships/>"), "word/other.xml": strToU8("<x/>") });
    expect(() => readDocx(noMain)).toThrow(expect.objectContaining({ code: "CORRUPT_FILE", message: expect.stringMatching(/main document/) }));
    expect(() => readDocx(docx({ body: "<w:p/><w:p><w:r><w:t> </w:t></w:r></w:p>" }))).toThrow(expect.objectContaining({ code: "EMPTY_FILE" }));
    const cut = docx({ body: para("Some text.") }).slice(0, 60);
    expect(() => readDocx(cut)).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
  });

  it("a zip entry flagged password-protected", () => {
    const bytes = docx({ body: para("Secret.") });
    const central = Buffer.from(bytes).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes[central + 8] |= 1;
    expect(() => readDocx(bytes)).toThrow(expect.objectContaining({ code: "ENCRYPTED" }));
  });
});

describe("docx: in the library", () => {
  it("is stored as a docx book", async () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const d = await importFile(lib, "report.docx", docx({ body: para("Results", "berschrift1") + para("They were good."), core: core("Annual Report", "A. Writer") }), true);
    expect(lib.documents.get(d.id)).toMatchObject({ format: "docx", title: "Annual Report", author: "A. Writer", chapters: [{ title: "Results", start: 0 }] });
    expect(lib.documents.text(d.id)).toBe("Results\n\nThey were good.");
    lib.close();
  });
});
