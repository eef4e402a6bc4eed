// Word 97-2003 documents (.doc), and the other word processors' readers, against
// LibreOffice: test/fixtures/word holds one invented document (title, subtitle,
// Heading 1 and 2, footnotes and an endnote, a table, a line break and a tab, a
// title field, Greek, Cyrillic, CJK and an emoji) that LibreOffice 7.4 saved as
// .doc (twice: with heading styles, and with headings only as outline levels, as
// it writes a document whose styles are not defined), .docx, .rtf and .odt. Each
// reader must read its file as the .docx reader reads the .docx; so must the .odt and
// .rtf of a second document's automatic numbers. Then refusals, each made from the
// real .doc by changing its bytes.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { paragraphs, readDoc } from "../../main/library/ingest/doc";
import { PieceText, readFib } from "../../main/library/ingest/doc-fib";
import { readDocx } from "../../main/library/ingest/docx";
import { readRtf } from "../../main/library/ingest/rtf";
import { readTxt } from "../../main/library/ingest/txt";
import { readFodt } from "../../main/library/ingest/odt";
import { ingest } from "../../main/library/ingest";
import { importFile } from "../../main/app/import";
import { Library } from "../../main/library";
import { builtinDefaults } from "../../main/library/settings";
import { tempDirsPerTest } from "./helpers/core";

const dir = tempDirsPerTest();
const fixture = (name: string) => new Uint8Array(fs.readFileSync(path.join(__dirname, "..", "fixtures", "word", name)));
const docx = readDocx(fixture("ledger.docx"));
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
  return "read";
};

describe("word processors' files as LibreOffice writes them", () => {
  it("the .docx: title, author, chapters, notes, table, line break, field result, scripts", () => {
    expect(docx).toMatchObject({ format: "docx", title: "The Lantern Keeper’s Ledger", author: "Ada Quill" });
    expect(docx.chapters.map((c) => c.title)).toEqual([
      "The Lantern Keeper’s Ledger",
      "Chapter 1. The Harbour in Winter",
      "Chapter 2. Letters from Zürich",
      "A letter within",
      "Chapter 3. The Quarrel at the Mill",
      "Chapter 4. What the Compass Kept",
      "Notes",
      "Endnotes",
    ]);
    expect(docx.text).toMatch(/^The Lantern Keeper’s Ledger\n\nA story in four letters\n\nAn invented document/);
    expect(docx.text).toContain("And a claim[1] follows.");
    expect(docx.text).toContain("Another[1] and a second[2] note.");
    expect(docx.text).toContain("\n\nLanterns\n\ntwelve\n\nCandles\n\nforty\n\n");
    expect(docx.text).toContain("Dear friend,\nthe river is high. Yours, A.");
    expect(docx.text).toContain("This document is called “The Lantern Keeper’s Ledger” by its title field.");
    expect(docx.text).toMatch(/\n\nNotes\n\n\[1\] The first footnote, on the harbour\.\n\n\[2\] The second footnote: Ελλάδα, Москва, 東京 📚\.\n\nEndnotes\n\n\[1\] An endnote about Zürich\.$/);
  });

  it(".doc (heading styles, and outline levels alone) and .rtf read as the .docx does", async () => {
    for (const name of ["ledger.doc", "ledger-outline.doc", "ledger.rtf"]) {
      const got = await ingest(name, fixture(name));
      expect(got).toEqual({ ...docx, format: name.endsWith(".rtf") ? "rtf" : "doc" });
    }
  });

  it("the PDF LibreOffice exports: chapters from its outline, nested entries too, where their headings are; its footnotes and endnote as the .docx's", async () => {
    const pdf = await ingest("ledger.pdf", fixture("ledger.pdf"));
    const headings = docx.chapters.map((c) => c.title).filter((t) => /^Chapter|^A letter|^Notes$/.test(t));
    expect(pdf.chapters.map((c) => c.title)).toEqual(headings);
    for (const c of pdf.chapters) expect(pdf.text.slice(c.start, c.start + c.title.length)).toBe(c.title);
    // the raised marks read as the .docx's; the notes leave the page foot for the Notes after the text
    for (const mark of ["And a claim[1] follows.", "and a second[2] note."]) {
      expect(docx.text).toContain(mark);
      expect(pdf.text).toContain(mark);
    }
    const notes = (t: string) => t.slice(t.indexOf("\n\nNotes\n\n")).split("\n\n").slice(1, 4);
    expect(notes(pdf.text)).toEqual(["Notes", "[1] The first footnote, on the harbour.", expect.stringMatching(/^\[2\] The second footnote: Ελλάδα, Москва, /)]);
    expect(notes(docx.text).slice(0, 2)).toEqual(notes(pdf.text).slice(0, 2));
    expect(pdf.text.match(/The first footnote/g)).toHaveLength(1);
    // LibreOffice's endnote, at the end on a page of its own, as the .odt reader reads it (its own citation "i")
    expect(pdf.text).toContain("Another[i] and");
    expect(pdf.text).toMatch(/\n\n\[i\] An endnote about Zürich\.\n\nNotes\n\n\[1\]/);
  });

  it("the web page LibreOffice exports: its note marks and notes read as the .docx's", async () => {
    const page = await ingest("ledger.xhtml", fixture("ledger.xhtml"));
    for (const s of ["And a claim[1] follows.", "and a second[2] note.", "[1] The first footnote, on the harbour.", "[2] The second footnote: Ελλάδα, Москва, 東京 📚."]) {
      expect(docx.text).toContain(s);
      expect(page.text).toContain(s);
    }
    // its endnote keeps LibreOffice's own citation, as the .odt reader reads it
    expect(page.text).toContain("Another[i] and");
    expect(page.text).toContain("[i] An endnote about Zürich.");
  });

  it(".odt reads as the .docx does, its endnote marked with its own citation (LibreOffice's \"i\")", async () => {
    const odt = await ingest("ledger.odt", fixture("ledger.odt"));
    expect(odt.chapters).toEqual(docx.chapters);
    expect(odt.text.replace(/\[i\]/g, "[1]")).toBe(docx.text);
    expect(odt.text).toContain("Another[i] and");
  });

  it("automatic numbers (numbered headings, a lettered list, a nested bullet): .odt, .rtf and .doc show them as the .docx does", async () => {
    const numbered = readDocx(fixture("numbered.docx"));
    expect(numbered.text).toBe("1. Methods\n\nIntro.\n\n1.1 Sampling\n\na) First item\n\nb) Second item\n\n• Sub bullet\n\n1.2 Analysis\n\n2. Results");
    for (const name of ["numbered.odt", "numbered.rtf", "numbered.doc"]) {
      const got = await ingest(name, fixture(name));
      expect({ text: got.text, chapters: got.chapters }).toEqual({ text: numbered.text, chapters: numbered.chapters });
    }
  });

  it("tracked changes and hidden text: the deletion and the hidden span left out, the insertion kept, in all four formats", async () => {
    for (const ext of ["doc", "docx", "rtf", "odt"])
      expect((await ingest(`revisions.${ext}`, fixture(`revisions.${ext}`))).text).toBe("Kept text, then inserted words and visible end.");
  });

  it("comments, a header and footer, bookmarks, a two-paragraph note, a spanning cell, a list in a cell: all four formats read alike", async () => {
    const texts = await Promise.all(["doc", "docx", "rtf", "odt"].map(async (ext) => (await ingest(`extras.${ext}`, fixture(`extras.${ext}`))).text));
    expect(texts[0]).toBe(
      "Before a comment and after it.\n\nA bookmarked word, see bookmarked.\n\nA note[1] with two paragraphs.\n\nSpanning cell\n\nLeft\n\n• In a cell list\n\nRight\n\n" +
        "Soft break, a tab here, a non breaking space, em — dash.\n\nLast line.\n\nNotes\n\n[1] First paragraph of the note.\n\nSecond paragraph of the note.",
    );
    expect(texts.slice(1)).toEqual([texts[0], texts[0], texts[0]]);
  });

  it("each flat OpenDocument source (.fodt) reads as the .odt LibreOffice saved from it", async () => {
    for (const [source, saved] of [["source.fodt", "ledger.odt"], ["numbered.fodt", "numbered.odt"], ["revisions.fodt", "revisions.odt"], ["extras.fodt", "extras.odt"]]) {
      const flat = await ingest(source, fixture(source));
      const odt = await ingest(saved, fixture(saved));
      expect({ source, text: flat.text, chapters: flat.chapters }).toEqual({ source, text: odt.text, chapters: odt.chapters });
    }
    expect(code(() => readFodt(Buffer.from(`<?xml version="1.0"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"/>`)))).toMatch(/^CORRUPT_FILE: .*spreadsheet/);
    expect(code(() => readFodt(Buffer.from("<html><body>not one</body></html>")))).toMatch(/^CORRUPT_FILE: .*office:document/);
  });

  it("a .doc named .docx, and a .docx, an .rtf, a web page or plain text named .doc, are read as what they are", () => {
    expect(readDocx(fixture("ledger.doc"))).toEqual(readDoc(fixture("ledger.doc")));
    expect(readDoc(fixture("ledger.docx"))).toEqual(docx);
    expect(readDoc(fixture("ledger.rtf"))).toEqual(readRtf(fixture("ledger.rtf")));
    // Word's "Save as Web Page" and plain text kept as .doc
    expect(readDoc(Buffer.from("<html><head><title>Memo</title></head><body><h1>Memo</h1><p>Saved as a page.</p></body></html>"))).toMatchObject({ format: "html", title: "Memo", text: "Memo\n\nSaved as a page." });
    expect(readDoc(Buffer.from("Just a note,\nsaved as .doc.\n"))).toEqual(readTxt(Buffer.from("Just a note,\nsaved as .doc.\n")));
    expect(code(() => readDoc(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3, 0, 0, 9])))).toMatch(/^CORRUPT_FILE: .*not a Word 97-2003/);
  });

  it("imported into the library", async () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const d = await importFile(lib, "ledger.doc", fixture("ledger.doc"), true);
    expect(lib.documents.get(d.id)).toMatchObject({ format: "doc", title: "The Lantern Keeper’s Ledger", author: "Ada Quill" });
    lib.close();
  });
});

describe("doc: pieces", () => {
  // LibreOffice writes its text as one UTF-16 piece; Word writes 8-bit (Windows-1252) pieces
  // where it can, and many pieces after edits. A WordDocument stream and a table stream by hand:
  // the FIB (csw 14, cslw 22, 93 pairs; the text's length the fourth 32-bit field, the CLX pair
  // 33), an 8-bit piece at 1024 and a UTF-16 piece at 2048.
  it("8-bit and UTF-16 pieces, in the piece table's order, each character's FC; a slice across them", () => {
    const word = new Uint8Array(4096);
    const w = new DataView(word.buffer);
    w.setUint16(0, 0xa5ec, true);
    w.setUint16(2, 0xc1, true);
    w.setUint16(32, 14, true);
    w.setUint16(62, 22, true);
    const first = Buffer.from("\x93Quoted\x94 \x97 caf\xe9\r", "latin1"); // “Quoted” — café, a paragraph mark
    const second = Buffer.from("Ελλάδα 📚\r", "utf16le");
    w.setInt32(64 + 12, first.length + second.length / 2, true);
    w.setUint16(152, 93, true);
    word.set(first, 1024);
    word.set(second, 2048);
    // CLX: a property run to skip, then the piece table (CPs 0, a, a+b; two 8-byte pieces)
    const a = first.length;
    const b = second.length / 2;
    const clx = Buffer.alloc(3 + 2 + 5 + 12 + 16);
    clx.writeUInt8(1, 0);
    clx.writeInt16LE(2, 1);
    clx.writeUInt8(2, 5);
    clx.writeUInt32LE(12 + 16, 6);
    [0, a, a + b].forEach((cp, i) => clx.writeUInt32LE(cp, 10 + 4 * i));
    clx.writeUInt32LE(((1024 * 2) | 0x40000000) >>> 0, 22 + 2);
    clx.writeUInt32LE(2048, 30 + 2);
    const table = new Uint8Array(256);
    table.set(clx, 100);
    w.setUint32(154 + 33 * 8, 100, true);
    w.setUint32(154 + 33 * 8 + 4, clx.length, true);
    const fib = readFib(word);
    expect(fib.stories.text).toBe(a + b);
    const pieces = new PieceText(word, table, fib);
    const all = pieces.slice(0, a + b);
    expect(all.text).toBe("“Quoted” — café\rΕλλάδα 📚\r");
    expect(Array.from(all.fcs.subarray(0, 3))).toEqual([1024, 1025, 1026]);
    expect(Array.from(all.fcs.subarray(a, a + 3))).toEqual([2048, 2050, 2052]);
    const across = pieces.slice(a - 3, a + 2);
    expect(across.text).toBe("fé\rΕλ");
    expect(Array.from(across.fcs)).toEqual([1024 + a - 3, 1024 + a - 2, 1024 + a - 1, 2048, 2050]);
  });
});

describe("doc: a story's special characters", () => {
  const read = (text: string) => paragraphs({ text, fcs: new Int32Array(text.length) }, 0, () => true, (cp) => `[n@${cp}]`, () => ({ level: null, label: null })).map((p) => p.text);

  it("fields: the code left out, the result kept, nested; a TOC's result left out with its nested fields", () => {
    const f = (code: string, result: string) => `\u0013${code}\u0014${result}\u0015`;
    expect(read(`Page ${f(" PAGE ", "7")}, see ${f(` HYPERLINK "x" `, `the ${f(" REF a ", "note")}`)}.\r`)).toEqual(["Page 7, see the note."]);
    const toc = f(" TOC \\o \"1-3\" ", `One${f(" PAGEREF _a ", "1")}\rTwo${f(" PAGEREF _b ", "4")}\r`);
    expect(read(`Contents\r${toc}\rChapter One\r`)).toEqual(["Contents", "Chapter One"]);
    // a field left open at the story's end, a stray separator and end
    expect(read(`A\u0014B\u0015C\r${"\u0013".repeat(3)}code`)).toEqual(["ABC"]);
  });

  it("breaks, cells, hyphens, tabs, note marks; pictures and other controls hold no text", () => {
    expect(read("Line\u000bbreak\u0007cell\u0007\u0007non\u001ebreaking op\u001ftional\ttab\u0001\u0008 note\u0002.\u000cNext page\r")).toEqual([
      "Line\nbreak",
      "cell",
      "non-breaking optional tab note[n@50].",
      "Next page",
    ]);
  });
});

describe("doc: refused and damaged", () => {
  const original = fixture("ledger.doc");
  const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
  /** Where the WordDocument stream starts: the sector that begins with the FIB's magic. */
  const fibAt = () => {
    for (let at = 512; at + 2 < original.length; at += 512) if (original[at] === 0xec && original[at + 1] === 0xa5) return at;
    throw new Error("no FIB");
  };
  const changed = (edit: (b: Uint8Array) => void) => {
    const b = Uint8Array.from(original);
    edit(b);
    return b;
  };

  it("encrypted (the FIB's flag) is ENCRYPTED; Word 6/95 (an older nFib) UNSUPPORTED_FORMAT", () => {
    expect(code(() => readDoc(changed((b) => (b[fibAt() + 11] |= 0x01))))).toMatch(/^ENCRYPTED/);
    expect(code(() => readDoc(changed((b) => b.set([0x65, 0x00], fibAt() + 2))))).toMatch(/^UNSUPPORTED_FORMAT: .*Word 6 or Word 95/);
  });

  it("another program's compound file, a cut file, a chain that loops, a piece outside the file are CORRUPT_FILE", () => {
    const name = Buffer.from("WordDocument", "utf16le");
    const at = Buffer.from(original).indexOf(name);
    expect(code(() => readDoc(changed((b) => b.set(Buffer.from("WordDocumenX", "utf16le"), at))))).toMatch(/^CORRUPT_FILE: .*another program/);
    expect(code(() => readDoc(original.subarray(0, 4096)))).toMatch(/^CORRUPT_FILE/);
    expect(code(() => readDoc(original.subarray(0, 100)))).toMatch(/^CORRUPT_FILE/);
    // the directory's first sector made its own successor in the FAT
    const dirSector = u32(original, 48);
    const fatSector = u32(original, 76);
    expect(code(() => readDoc(changed((b) => new DataView(b.buffer).setUint32((fatSector + 1) * 512 + 4 * dirSector, dirSector, true))))).toMatch(/^CORRUPT_FILE: .*loops/);
    // the FAT's sector past the end of the file
    expect(code(() => readDoc(changed((b) => new DataView(b.buffer).setUint32(76, 0x00ffffff, true))))).toMatch(/^CORRUPT_FILE/);
    // the piece table's length made larger than the table stream
    const fib = fibAt();
    expect(code(() => readDoc(changed((b) => new DataView(b.buffer).setUint32(fib + 0x1a6, 0x7fffffff, true))))).toMatch(/^CORRUPT_FILE: .*piece table/);
  });

  it("the text's length past its pieces reads what the pieces hold; a style sheet or paragraph bins out of range leave headings out, not the text", () => {
    const fib = fibAt();
    // ccpText (the FIB's fourth 32-bit field) made huge
    const long = readDoc(changed((b) => new DataView(b.buffer).setInt32(fib + 0x40 + 12, 0x3fffffff, true)));
    expect(long.text).toContain("Chapter 4. What the Compass Kept");
    // the style sheet's and the paragraph bins' offsets (pairs 1 and 13) past the table
    const plain = readDoc(changed((b) => {
      new DataView(b.buffer).setUint32(fib + 0x9a + 8, 0x7ffffff0, true);
      new DataView(b.buffer).setUint32(fib + 0x9a + 13 * 8, 0x7ffffff0, true);
    }));
    expect(plain.text.replace(/\n\n/g, " ")).toBe(docx.text.replace(/\n\n/g, " "));
    expect(plain.chapters.map((c) => c.title)).toEqual(["Notes", "Endnotes"]);
  });
});
