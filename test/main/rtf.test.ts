// RTF: written here as word processors write it, read by the rtf reader. Oracle:
// Alice's plain-text edition set as an RTF document (styles for the title page and
// chapters, verse with \line, quotes as \'hh and \uN escapes) reads as the txt
// reader reads it; what is not the text (tables of fonts and styles, info,
// pictures, headers, field codes, hidden and deleted text) stays out.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readRtf } from "../../main/library/ingest/rtf";
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
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const HEAD = `{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\froman Times New Roman;}{\\f1\\fswiss Arial;}}{\\colortbl;\\red0\\green0\\blue0;}` +
  `{\\stylesheet{\\s0\\snext0 Normal;}{\\s1\\sbasedon0\\outlinelevel0\\b\\fs32 heading 1;}{\\s2\\sbasedon0 heading 2;}{\\s3\\sbasedon2 Part Title;}{\\s15\\qc\\fs48 Title;}{\\*\\cs10 Default Paragraph Font;}}`;
const rtf = (body: string, info = "") => `${HEAD}${info}\n${body}}`;

/** Text as RTF: \\, { and } escaped; other characters as cp1252 \\'hh or \\uN with a "?" fallback, by turns. */
function escapeRtf(s: string, turn: () => boolean): string {
  const cp1252 = new TextDecoder("windows-1252");
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\" || ch === "{" || ch === "}") out += `\\${ch}`;
    else if (c < 0x80) out += ch;
    else {
      let byte = -1;
      for (let b = 0x80; b <= 0xff && byte < 0; b++) if (cp1252.decode(Uint8Array.of(b)) === ch) byte = b;
      // (a character past U+FFFF as its two UTF-16 halves, each a \\uN, as Word writes it)
      const units = Array.from({ length: ch.length }, (_, k) => ch.charCodeAt(k));
      out += byte >= 0 && turn() ? `\\'${byte.toString(16)}` : units.map((u) => `\\u${u > 0x7fff ? u - 65536 : u}?`).join("");
    }
  }
  return out;
}

function aliceRtf(raw: string): string {
  let x = 5;
  const turn = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) & 1) === 1;
  const paragraphs = raw.split(/\n[ \t]*\n+/).filter((q) => q.trim());
  const start = paragraphs.findIndex((q) => /^\*\*\* START OF/.test(q));
  const body = paragraphs.map((q, i) => {
    const e = (t: string) => escapeRtf(t, turn);
    if (i > start && i <= start + 3) return `\\pard\\plain\\s15\\qc ${e(q.replace(/\s+/g, " "))}\\par`;
    if (/^CHAPTER [IVXL]+\. /.test(q)) {
      const [, num, name] = /^(CHAPTER [IVXL]+\.) ([\s\S]*)$/.exec(q)!;
      return `\\pard\\plain\\s1\\b ${e(num)}\\line ${e(name)}\\par`;
    }
    if (/^[ \t]/m.test(q)) return `\\pard\\plain\\li720 ${q.split("\n").map((l) => e(l.trim())).join("\\line ")}\\par`;
    return `\\pard\\plain ${e(q.replace(/\n/g, " "))}{\\i }\\par`;
  });
  // lines wrapped as RTF writers wrap them (a raw newline is not text)
  return rtf(body.join("\n").replace(/(.{200}) /g, "$1\n "), `{\\info{\\title Alice\\'92s Adventures in Wonderland}{\\author Lewis Carroll}}`);
}

describe.skipIf(!data)("rtf: against the real book", () => {
  it("Alice's txt set as an RTF document: the txt reader's words and chapters, boilerplate dropped", async () => {
    const { raw, txt } = aliceText(data!);
    const got = await ingest("alice.rtf", latin1(aliceRtf(raw)));
    expect(got.format).toBe("rtf");
    expectReadsAsAliceTxt(got, txt);
  });
});

describe("rtf: what is the text", () => {
  it("leaves out pictures, headers, field codes, ignorable and hidden groups, deleted text and \\bin data; footnotes listed", () => {
    const body = [
      `{\\header\\pard Running head\\par}{\\footer\\pard Page footer\\par}`,
      `\\pard\\s1 Chapter One\\par`,
      `\\pard Seen {\\v hidden }shown {\\deleted gone }kept {\\*\\bkmkstart mark}{\\*\\generator Word;}{\\header\\pard\\s1 Mid-paragraph header\\par}text.\\par`,
      `\\pard Page {\\field{\\*\\fldinst PAGE }{\\fldrslt 7}} of a\\tab b\\emdash c \\ldblquote q\\rdblquote  A\\~B x\\_ray \\{braces\\} back\\\\slash.\\par`,
      `\\pard {\\pict\\pngblip 89504e470d0a1a0a}Picture above.\\par`,
      `\\pard A claim{\\super\\chftn}{\\footnote\\pard\\plain {\\super\\chftn} The source.{\\i  In a group.\\par}}, and more.\\par`,
      `\\pard Hidden bytes {\\v caf\\'e9\\v0 }shown.\\par`,
      `\\pard Data {\\*\\blob \\bin5 {}\\}{} }after.\\par`,
      `\\pard\\intbl Cell A\\cell Cell B\\cell\\row`,
      `\\pard\\outlinelevel1 Own outline\\par`,
      `\\pard\\s3 Part heading\\par\\pard Body.\\par`,
      `\\pard Unicode: \\u8220?\\u21313?\\u26412?\\u8221? {\\uc0\\u8212}{\\uc2\\u8230??}end \\u-10179?\\u-8704?.`,
    ].join("\n");
    const got = readRtf(latin1(rtf(body)));
    expect(got.text).toBe(
      [
        "Chapter One", "Seen shown kept text.", "Page 7 of a b—c “q” A B x-ray {braces} back\\slash.", "Picture above.", "A claim[1], and more.", "Hidden bytes shown.",
        "Data after.", "Cell A", "Cell B", "Own outline", "Part heading", "Body.", "Unicode: “十本” —…end 😀.", "Notes", "[1] The source. In a group.",
      ].join("\n\n"),
    );
    expect(got.chapters.map((c) => c.title)).toEqual(["Chapter One", "Own outline", "Part heading", "Notes"]);
  });

  it("list labels as the writer set them: \\listtext (its \\pard not the paragraph's), a Symbol font's bullet, one label a paragraph", () => {
    const doc =
      `{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\froman Times;}{\\f3\\fbidi \\froman\\fcharset2\\fprq2 Symbol;}{\\f10\\fnil\\fcharset2 Wingdings;}}` +
      `{\\stylesheet{\\s0 Normal;}{\\s1\\sbasedon0 heading 1;}}\n` +
      `\\pard\\plain\\s1 {\\listtext\\pard\\plain 1.\\tab}Methods\\par` +
      `\\pard\\plain {\\listtext\\pard\\plain\\f3\\fs20 \\'b7\\tab}A bullet\\par` +
      `\\pard\\plain {\\listtext\\pard\\plain\\f10 \\'a7\\tab}A square\\par` +
      `\\pard\\plain {\\pntext\\f0 a)\\tab}{\\listtext a)\\tab}{\\*\\pn\\pnlvlbody\\pnlcltr{\\pntxta )}}Once\\par` +
      `\\pard\\plain\\f3 Symbol's \\'b7 is a bullet anywhere\\par}`;
    const got = readRtf(latin1(doc));
    expect(got.text).toBe("1. Methods\n\n• A bullet\n\n▪ A square\n\na) Once\n\nSymbol's • is a bullet anywhere");
    expect(got.chapters).toEqual([{ title: "1. Methods", start: 0 }]);
  });

  it("text in the document's code page: Shift_JIS \\'hh pairs decoded together", () => {
    const sjis = [...encodeLegacy("吾輩は猫である。", "shift_jis")].map((b) => `\\'${b.toString(16).padStart(2, "0")}`).join("");
    const got = readRtf(latin1(`{\\rtf1\\ansi\\ansicpg932{\\fonttbl{\\f0\\fcharset128 MS Mincho;}}\\pard ${sjis}\\par}`));
    expect(got.text).toBe("吾輩は猫である。");
  });

  it("bytes in the code page of their font: Cyrillic and Japanese fonts in a Western document", () => {
    const hex = (t: string, enc: string) => [...encodeLegacy(t, enc)].map((b) => `\\'${b.toString(16).padStart(2, "0")}`).join("");
    const fonts = `{\\fonttbl{\\f0\\froman\\fcharset0 Times New Roman;}{\\f1\\fswiss\\fcharset204 Arial Cyr;}{\\f2\\fnil\\fcharset128 MS Mincho;}{\\f3\\fnil\\cpg1253 Greek;}}`;
    const body = `\\pard\\plain \\f1 ${hex("Привет", "windows-1251")}\\f0  caf\\'e9 {\\f2 ${hex("吾輩", "shift_jis")}} \\f3 ${hex("λόγος", "windows-1253")}\\plain  na\\'efve\\par`;
    expect(readRtf(latin1(`{\\rtf1\\ansi\\ansicpg1252\\deff0${fonts}${body}}`)).text).toBe("Привет café 吾輩 λόγος naïve");
  });

  it("title and author from the info group", () => {
    const got = readRtf(latin1(rtf(`\\pard Words.\\par`, `{\\info{\\title Caf\\'e9 Notes}{\\author Ann \\u201?Writer}{\\operator x}}`)));
    expect(got.title).toBe("Café Notes");
    expect(got.author).toBe("Ann ÉWriter");
  });
});

describe("rtf: refused", () => {
  it("not RTF, no text, deep nesting in one pass", () => {
    expect(() => readRtf(latin1("Just text."))).toThrow(expect.objectContaining({ code: "CORRUPT_FILE" }));
    expect(() => readRtf(latin1(rtf(`{\\fonttbl{\\f0 Arial;}}\\pard\\par`)))).toThrow(expect.objectContaining({ code: "EMPTY_FILE" }));
    const n = 200_000;
    expect(readRtf(latin1(`{\\rtf1 ${"{".repeat(n)}Deep.${"}".repeat(n)}\\par ${"}".repeat(n)}`)).text).toBe("Deep.");
  });
});

describe("rtf: in the library", () => {
  it("is stored as an rtf book", async () => {
    const lib = new Library(path.join(dir(), "t.db"), builtinDefaults("/m"));
    const d = await importFile(lib, "memo.rtf", latin1(rtf(`\\pard\\s1 Results\\par\\pard They were good.\\par`, `{\\info{\\title Memo}}`)), true);
    expect(lib.documents.get(d.id)).toMatchObject({ format: "rtf", title: "Memo", chapters: [{ title: "Results", start: 0 }] });
    lib.close();
  });
});
