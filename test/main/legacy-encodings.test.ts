// Plain-text books in legacy CJK and Cyrillic encodings and in BOM-less UTF-16
// CJK text are read as what they say (legacy-encodings.ts), while Western
// Windows-1252 text, UTF-8 and binary data are read as before.
import { describe, expect, it } from "vitest";
import { decodeText, looksBinary, readTextFile } from "../../main/library/ingest/decode";
import { readTxt } from "../../main/library/ingest/txt";
import { encodeLegacy, encodeUtf16 } from "./helpers/legacy-encode";

// Each a few sentences, repeated to a book's opening of a few KiB.
const SIMPLIFIED =
  "在一个很大的国家里，有一个小孩子。他每天早上起来就到河边去看水。他的母亲说：“你为什么要去那里？”" +
  "他说：“我想知道水从哪里来，又到哪里去。”后来他长大了，成了一个有名的学者，把他一生所学的都写在书里。\n";
const TRADITIONAL =
  "在一個很大的國家裡，有一個小孩子。他每天早上起來就到河邊去看水。他的母親說：「你為什麼要去那裡？」" +
  "他說：「我想知道水從哪裡來，又到哪裡去。」後來他長大了，成了一個有名的學者，把他一生所學的都寫在書裡。\n";
const JAPANESE =
  "むかしむかし、ある村におじいさんとおばあさんが住んでいました。おじいさんは山へしば刈りに、" +
  "おばあさんは川へ洗濯に行きました。すると川上から大きな桃が流れてきました。\n";
const KOREAN =
  "옛날 옛적에 한 마을에 할아버지와 할머니가 살고 있었습니다. 할아버지는 산에 나무를 하러 가고, " +
  "할머니는 강에 빨래를 하러 갔습니다. 그런데 강 위에서 커다란 복숭아가 떠내려 왔습니다.\n";
const RUSSIAN =
  "Однажды вечером старый рыбак сидел на берегу и смотрел на море. Он думал о том, что завтра снова " +
  "выйдет в море, и надеялся, что погода будет хорошей.\n";
const FRENCH =
  "L'été dernier, à Québec, nous avons mangé des crêpes près de la fenêtre; le garçon était très poli, " +
  "et sa sœur a déjà lu «Les Misérables» deux fois.\n";

const book = (s: string) => ("Chapter 1\n\n" + s.repeat(40)).replace(/\n/g, "\r\n");
const read = (s: string) => ("Chapter 1\n\n" + s.repeat(40));

describe("legacy encodings", () => {
  for (const [name, text, encoding] of [
    ["simplified Chinese in GBK", SIMPLIFIED, "gb18030"],
    ["traditional Chinese in Big5", TRADITIONAL, "big5"],
    ["Japanese in Shift_JIS", JAPANESE, "shift_jis"],
    ["Japanese in EUC-JP", JAPANESE, "euc-jp"],
    ["Korean in EUC-KR", KOREAN, "euc-kr"],
    ["Russian in Windows-1251", RUSSIAN, "windows-1251"],
    ["Russian in KOI8-R", RUSSIAN, "koi8-r"],
  ] as const) {
    it(`reads ${name}`, () => {
      const bytes = encodeLegacy(book(text), encoding);
      expect(looksBinary(bytes)).toBe(false);
      expect(decodeText(bytes)).toEqual({ text: read(text), encoding });
    });
  }

  it("finds a GBK book's chapters", () => {
    const text = `第一章 河边\n${SIMPLIFIED.repeat(8)}第二章 远行\n${SIMPLIFIED.repeat(8)}`;
    const book = readTxt(encodeLegacy(text.replace(/\n/g, "\r\n"), "gb18030"));
    expect(book.chapters.map((c) => c.title)).toEqual(["第一章 河边", "第二章 远行"]);
  });

  it("reads a long book from its opening: the sample ends between characters", () => {
    const bytes = encodeLegacy(SIMPLIFIED.repeat(800), "gb18030"); // ~190 KiB
    expect(bytes.length).toBeGreaterThan(128 * 1024);
    expect(decodeText(bytes)).toEqual({ text: SIMPLIFIED.repeat(800), encoding: "gb18030" });
  });

  for (const [name, text] of [["Chinese", SIMPLIFIED], ["Japanese", JAPANESE], ["Korean", KOREAN], ["Russian", RUSSIAN]] as const) {
    for (const bigEndian of [false, true]) {
      it(`reads ${name} in UTF-16${bigEndian ? "BE" : "LE"} without a byte order mark, not as binary data`, () => {
        const bytes = encodeUtf16(book(text), bigEndian);
        expect(looksBinary(bytes)).toBe(false);
        expect(decodeText(bytes)).toEqual({ text: read(text), encoding: bigEndian ? "utf-16be" : "utf-16le" });
        expect(readTextFile(bytes)).toEqual(decodeText(bytes));  // the two questions in one look
        expect(readTxt(bytes).text).toContain(text.slice(0, 20));
      });
    }
  }

  it("still reads Western text in Windows-1252, and UTF-8 CJK text as UTF-8", () => {
    // Latin-1 bytes, and œ where Windows-1252 has it (Node's decoder may not: see decode1252)
    const cp1252 = Uint8Array.from(book(FRENCH), (ch) => (ch === "œ" ? 0x9c : ch.charCodeAt(0)));
    expect(decodeText(cp1252)).toEqual({ text: read(FRENCH), encoding: "windows-1252" });
    expect(decodeText(new TextEncoder().encode(book(SIMPLIFIED)))).toEqual({ text: read(SIMPLIFIED), encoding: "utf-8" });
    expect(decodeText(new TextEncoder().encode(book(RUSSIAN)))).toEqual({ text: read(RUSSIAN), encoding: "utf-8" });
  });

  it("still calls random bytes binary data", () => {
    let x = 12345;
    const bytes = Uint8Array.from({ length: 20000 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
    expect(looksBinary(bytes)).toBe(true);
    expect(readTextFile(bytes)).toBeNull();
  });
});
