// A PDF's printed lines back into paragraphs (main/library/ingest/pdf-layout.ts).
// The oracle of the typeset cases: paragraphs set here into pages of lines, as a
// typesetter would (justified or ragged, indented or spaced, with running headers
// and page numbers), must come back as the same paragraphs; Alice's PDF must give
// the words and paragraphs of the same book's plain-text edition.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ingest } from "../../main/library/ingest";
import { layOut } from "../../main/library/ingest/pdf-layout";
import { withoutFurniture } from "../../main/library/ingest/pdf-furniture";
import { pageLines, type PdfLine } from "../../main/library/ingest/pdf-lines";
import { testDataDir } from "../../main/bench/test-data";
import { pdfFile, textPage } from "./helpers/pdf-file";

const data = testDataDir();

/** Seeded paragraphs of made-up words, 1 to 120 words each. */
function paragraphs(seed: number, n: number): string[] {
  let s = seed >>> 0;
  const rnd = (k: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % k;
  };
  const word = () => Array.from({ length: 1 + rnd(11) }, () => "etaoinshrdlucmfw"[rnd(16)]).join("");
  return Array.from({ length: n }, () => Array.from({ length: 1 + rnd(rnd(2) ? 120 : 12) }, word).join(" ") + ".");
}

interface Style {
  indent: number; // a first line set in by (0: not)
  gap: number; // extra space between paragraphs
  justified: boolean;
  linesPerPage: number; // a column's
  furniture: boolean; // a running header and the page's number
  columns?: 2; // set in two columns, the second after the first (as pdf.js reads LaTeX's)
  rows?: true; // drawn across the columns, row by row (top to bottom, left to right), not a column at a time
}

const SIZE = 12, EM = 6, LEFT = 72, WIDTH = 468, TOP = 720, PITCH = 14, GUTTER = 18;

/**
 * Paragraphs set into pages of lines (greedy: as many words as fit a line), and the text they
 * should read as: the paragraphs, blank lines between, except where nothing on the page tells a
 * paragraph's end: in a style without indents, one that ends a page on a line with no room for
 * the next word, before a paragraph that starts the next page, reads as running on (a reader of
 * the printed book could not tell either). The same holds where a column ends.
 */
function typeset(paras: string[], st: Style): { pages: PdfLine[][]; text: string } {
  const pages: PdfLine[][] = [[]];
  const columns = st.columns ?? 1;
  const width = (WIDTH - (columns - 1) * GUTTER) / columns;
  let text = "";
  let y = TOP;
  let column = 0;
  let inColumn = 0; // lines set in the column
  const margin = () => LEFT + column * (width + GUTTER);
  const put = (line: string, indent: number, full: boolean, extra: number) => {
    if (inColumn >= st.linesPerPage) {
      if (column + 1 < columns) column++;
      else {
        pages.push([]);
        column = 0;
      }
      inColumn = 0;
      y = TOP;
    } else if (inColumn) y -= PITCH + extra;
    const x0 = margin() + indent;
    const x1 = full && st.justified ? margin() + width : x0 + line.length * EM;
    pages[pages.length - 1].push({ text: line, x0, x1, y, size: SIZE });
    inColumn++;
  };
  paras.forEach((p, pi) => {
    const words = p.split(" ");
    if (pi > 0) {
      const last = pages[pages.length - 1].at(-1)!;
      const turns = inColumn >= st.linesPerPage;
      const noRoom = margin() + width - last.x1 < (words[0].length + 1) * EM;
      text += turns && noRoom && st.indent === 0 ? " " : "\n\n";
    }
    text += p;
    let line: string[] = [];
    let first = true;
    const flush = (full: boolean) => {
      put(line.join(" "), first ? st.indent : 0, full, first && pi > 0 ? st.gap : 0);
      first = false;
      line = [];
    };
    for (const w of words) {
      const room = width - (first ? st.indent : 0);
      if (line.length && (line.join(" ").length + 1 + w.length) * EM > room) flush(true);
      line.push(w);
    }
    flush(false);
  });
  if (st.rows) for (const lines of pages) lines.sort((a, b) => b.y - a.y || a.x0 - b.x0);
  if (!st.furniture) return { pages, text };
  const furnished = pages.map((lines, i) => [
    { text: "A Made-Up Book", x0: 250, x1: 330, y: 760, size: 9 },
    ...lines,
    { text: String(i + 1), x0: 303, x1: 309, y: 40, size: 9 },
  ]);
  return { pages: furnished, text };
}

describe("pdf layout: typeset paragraphs come back whole", () => {
  const styles: [string, Style][] = [
    ["justified, indented, no space between paragraphs", { indent: 18, gap: 0, justified: true, linesPerPage: 38, furniture: true }],
    ["justified, spaced, not indented", { indent: 0, gap: 8, justified: true, linesPerPage: 33, furniture: false }],
    ["ragged right, indented and spaced", { indent: 12, gap: 6, justified: false, linesPerPage: 41, furniture: true }],
    ["ragged right, indented, short pages", { indent: 24, gap: 0, justified: false, linesPerPage: 7, furniture: false }],
    ["two columns, justified, indented", { indent: 12, gap: 0, justified: true, linesPerPage: 44, furniture: true, columns: 2 }],
    ["two columns, justified, spaced, not indented", { indent: 0, gap: 6, justified: true, linesPerPage: 40, furniture: false, columns: 2 }],
    ["two columns, ragged right, indented, short columns", { indent: 12, gap: 0, justified: false, linesPerPage: 9, furniture: true, columns: 2 }],
    ["two columns drawn row by row, justified, indented", { indent: 12, gap: 0, justified: true, linesPerPage: 44, furniture: true, columns: 2, rows: true }],
    ["two columns drawn row by row, spaced, not indented", { indent: 0, gap: 6, justified: true, linesPerPage: 40, furniture: false, columns: 2, rows: true }],
  ];
  for (const [name, st] of styles)
    it(name, () => {
      for (const seed of [1, 2, 3]) {
        const { pages, text } = typeset(paragraphs(seed, 60), st);
        expect(pages.length).toBeGreaterThan(3);
        const out = layOut(pages);
        expect(out.text).toBe(text);
        // each page starts where its first line's text is (a header or number dropped)
        pages.forEach((lines, p) => {
          const first = lines[st.furniture ? 1 : 0].text;
          expect(out.text.slice(out.pageStarts[p], out.pageStarts[p] + first.length)).toBe(first);
        });
      }
    });
});

describe("pdf layout: lines", () => {
  const L = (text: string, x0: number, y: number, x1 = x0 + text.length * EM, size = SIZE): PdfLine => ({ text, x0, x1, y, size });
  const full = (text: string, y: number, x0 = LEFT) => L(text, x0, y, LEFT + WIDTH);

  it("a word hyphenated at a line's end loses its hyphen only where the book spells it whole", () => {
    const page = [
      full("it was a long con-", 700, LEFT + 18),
      full("versation about the daisy-", 686),
      L("chain.", LEFT, 672),
      L("A conversation, again.", LEFT + 18, 658),
    ];
    expect(layOut([page]).text).toBe("it was a long conversation about the daisy-chain.\n\nA conversation, again.");
    // a soft hyphen always breaks a word
    expect(layOut([[full("un\u00ADbro\u00AD", 700), L("ken words.", LEFT, 686)]]).text).toBe("un\u00ADbroken words.");
  });

  it("verse and a centred title keep their lines; a heading or a gap starts a paragraph", () => {
    const page = [
      L("THE TITLE", 270, 740, 330, 18),
      L("OF THE BOOK", 264, 718, 336, 18),
      full("Body text that runs all the way to the right margin of the page and", 680, LEFT + 18),
      full("on to the next line, which runs to the right margin too, and then", 666),
      L("ends here.", LEFT, 652),
      L("Twinkle, twinkle, little bat!", 104, 640, 280, 11),
      L("How I wonder what you're at!", 110, 628, 280, 11),
      L("Up above the world you fly,", 104, 603, 270, 11),
      L("Like a tea-tray in the sky.", 110, 591, 270, 11),
      L("After the verse, a paragraph.", LEFT + 18, 566),
    ];
    expect(layOut([page]).text).toBe(
      "THE TITLE\nOF THE BOOK\n\nBody text that runs all the way to the right margin of the page and on to the next line, which runs to the right margin too, and then ends here.\n\n" +
        "Twinkle, twinkle, little bat!\nHow I wonder what you're at!\n\nUp above the world you fly,\nLike a tea-tray in the sky.\n\n" +
        "After the verse, a paragraph.",
    );
  });

  it("Chinese and Japanese lines join without a space; a right-to-left page is read mirrored", () => {
    const cjk = [
      L("这是第一段的第一行很长的中文文字一直写到右边", LEFT + 24, 700, LEFT + WIDTH),
      L("这是它的第二行也很长一直写到右边的边上", LEFT, 686, LEFT + WIDTH),
      L("这是它的第三行。", LEFT, 672, LEFT + 96),
      L("第二段开始了。", LEFT + 24, 658, LEFT + 108),
    ];
    expect(layOut([cjk]).text).toBe("这是第一段的第一行很长的中文文字一直写到右边这是它的第二行也很长一直写到右边的边上这是它的第三行。\n\n第二段开始了。");
    const right = LEFT + WIDTH;
    const hebrew = [
      L("שלום עולם זו שורה ארוכה מאוד שמגיעה עד הקצה", LEFT, 700, right - 24),
      L("והמשך קצר.", right - 60, 686, right),
      L("פסקה חדשה שורה ארוכה מאוד שמגיעה עד הקצה השני", LEFT, 672, right - 24),
      L("והיא נגמרת.", right - 66, 658, right),
    ];
    expect(layOut([hebrew]).text).toBe("שלום עולם זו שורה ארוכה מאוד שמגיעה עד הקצה והמשך קצר.\n\nפסקה חדשה שורה ארוכה מאוד שמגיעה עד הקצה השני והיא נגמרת.");
  });

  it("drops page numbers and running headers, never a heading or a number that is text", () => {
    const body = (p: number) => [full(`Page ${p} text runs on and on to the right margin of the page`, 700), L("and ends.", LEFT, 686)];
    const page = (p: number, head: PdfLine, foot: PdfLine) => [head, ...body(p), foot];
    const pages = [
      page(0, L("Chapter 1", 270, 740, 330, 18), L("- 1 -", 300, 40, 312, 9)),
      page(1, L("THE RIVER 2", 270, 760, 330, 9), L("- 2 -", 300, 40, 312, 9)),
      page(2, L("THE RIVER 3", 270, 760, 330, 9), L("3", 300, 40, 312, 9)),
      // a chapter named by a number alone, at the top: not the page's number (4)
      page(3, L("12", 300, 740, 312, 18), L("iv", 300, 40, 312, 9)),
      page(4, L("Chapter 2", 270, 740, 330, 18), L("Chapter 2 ends here, in a footnote", 72, 40, 300, 9)),
    ];
    const kept = withoutFurniture(pages).map((p) => p.map((l) => l.text));
    expect(kept[0]).toEqual(["Chapter 1", ...body(0).map((l) => l.text)]);
    expect(kept[1]).toEqual(body(1).map((l) => l.text));
    expect(kept[2]).toEqual(body(2).map((l) => l.text));
    expect(kept[3]).toEqual(["12", ...body(3).map((l) => l.text)]);
    expect(kept[4]).toEqual(["Chapter 2", ...body(4).map((l) => l.text), "Chapter 2 ends here, in a footnote"]);
  });

  it("a paper's first page: title, authors and abstract across the page, then two columns read as one", () => {
    const C0 = LEFT, C1 = LEFT + 234, W = 222; // columns 222 wide (37 characters), a gutter of 12
    // a line of a column: set in by `indent`, running to the column's right edge when `full`
    const at = (column: number, row: number, text: string, full: boolean, indent = 0) => {
      const x0 = column + indent;
      return L(text, x0, 650 - PITCH * row, full ? column + W : x0 + text.length * EM);
    };
    const page = [
      L("On Reading Long Books", 200, 740, 412, 16),
      L("A. Reader and B. Writer", 230, 716, 382, 11),
      L("Abstract. We read long books and ask questions of them. The", C0, 690, C0 + 468, 10),
      L("questions are answered from the text itself.", C0, 678, 300, 10),
      at(C0, 0, "The first paragraph of the paper", true, 12),
      at(C0, 1, "starts here and runs on for several", true),
      at(C0, 2, "lines of the first column, down to its", true),
      at(C0, 3, "last line and over to the top of the", true),
      at(C1, 0, "second column, where it ends in a", true),
      at(C1, 1, "short line.", false),
      at(C1, 2, "A second paragraph follows it, set", true, 12),
      at(C1, 3, "in from the column's margin as the", true),
      at(C1, 4, "first was. It is short.", false),
    ];
    expect(layOut([page]).text).toBe(
      "On Reading Long Books\n\nA. Reader and B. Writer\n\nAbstract. We read long books and ask questions of them. The questions are answered from the text itself.\n\n" +
        "The first paragraph of the paper starts here and runs on for several lines of the first column, down to its last line and over to the top of the second column, where it ends in a short line.\n\n" +
        "A second paragraph follows it, set in from the column's margin as the first was. It is short.",
    );
  });

  it("a page of one column with short lines (dialogue, a list) is not read as two", () => {
    const page = [
      full("A paragraph of prose that runs all the way to the right margin of the", 700, LEFT + 18),
      L("page and ends.", LEFT, 686),
      ...["“Yes?”", "“No.”", "“Why not?”", "“Because.”"].map((t, i) => L(t, LEFT + 18, 672 - PITCH * i)),
      L("Centred, a line", 260, 600),
      L("and another", 266, 586),
      full("Prose again, running to the right margin of the page as prose does", 572, LEFT + 18),
      L("here.", LEFT, 558),
    ];
    expect(layOut([page]).text).toBe(
      "A paragraph of prose that runs all the way to the right margin of the page and ends.\n\n“Yes?”\n\n“No.”\n\n“Why not?”\n\n“Because.”\n\nCentred, a line\nand another\n\nProse again, running to the right margin of the page as prose does here.",
    );
  });

  it("runs on one baseline are one line, hasEOL or not", () => {
    const run = (str: string, x: number, y: number, hasEOL = false) => ({ str, x, y, width: str.length * EM, height: str.trim() ? SIZE : 0, hasEOL });
    const lines = pageLines([run("Hello", 72, 700), run(" ", 102, 700), run("world", 108, 700), run("Next", 72, 686), run("", 72, 672, true), run("line", 72, 672, true)]);
    expect(lines.map((l) => [l.text, l.x0, l.x1, l.y])).toEqual([
      ["Hello world", 72, 138, 700],
      ["Next", 72, 96, 686],
      ["line", 72, 96, 672],
    ]);
  });
});

describe("pdf layout: through pdf.js", () => {
  it("a paragraph that runs over a page turn is one paragraph; the page numbers go", async () => {
    // Helvetica 12: the text's widths are the font's, so the lines are set to end where pdf.js measures them
    const lines = (texts: string[], x0s: number[], y0: number) => texts.map((text, i) => ({ text, x: x0s[i], y: y0 - 14 * i }));
    const one = "The first paragraph begins on the first page and runs";
    const two = "on over the turn of the page, and ends on the second.";
    const pdf = pdfFile([
      textPage([...lines(["A heading of the book", one], [72, 90], 700), { text: "1", x: 300, y: 40, size: 9 }]),
      textPage([...lines([two, "A second paragraph, short."], [72, 90], 700), { text: "2", x: 300, y: 40, size: 9 }]),
    ]);
    const doc = await ingest("turn.pdf", pdf);
    expect(doc.text).toBe(`A heading of the book\n\n${one} ${two}\n\nA second paragraph, short.`);
  });
});

describe("pdf layout: an outline's chapters", () => {
  it("start at the line the outline points at, halfway down a page too; a /Fit entry at its page", async () => {
    const body = (y: number, n: number) => Array.from({ length: n }, (_, i) => ({ text: `A line of the story, number ${i + 1}.`, x: 72, y: y - 14 * i }));
    const pdf = pdfFile(
      [
        textPage([{ text: "Chapter One", x: 250, y: 720, size: 18 }, ...body(680, 5)]),
        textPage([...body(720, 10), { text: "Chapter Two", x: 250, y: 560, size: 18 }, ...body(520, 5)]),
        textPage([{ text: "Notes", x: 250, y: 720, size: 18 }, ...body(680, 2)]),
      ],
      "",
      [
        { title: "One", page: 0, top: 792 },
        { title: "Two", page: 1, top: 585 },
        { title: "Notes", page: 2, top: null },
      ],
    );
    const d = await ingest("outlined.pdf", pdf);
    expect(d.chapters.map((c) => [c.title, d.text.slice(c.start, c.start + 11)])).toEqual([
      ["One", "Chapter One"],
      ["Two", "Chapter Two"],
      ["Notes", "Notes\n\nA li"],
    ]);
  });
});

describe("pdf layout: a nested outline", () => {
  it("entries nested to depth 3 are chapters (deeper ones not); a part and its first chapter at one place are one, named by both", async () => {
    const body = (y: number, n: number) => Array.from({ length: n }, (_, i) => ({ text: `A line of the story, number ${i + 1}.`, x: 72, y: y - 14 * i }));
    const pdf = pdfFile(
      [
        textPage([{ text: "Part One", x: 250, y: 720, size: 18 }, { text: "Chapter 1", x: 250, y: 680, size: 14 }, ...body(650, 5)]),
        textPage([{ text: "Section 1.1", x: 72, y: 720, size: 12 }, ...body(700, 3), { text: "Chapter 2", x: 250, y: 560, size: 14 }, ...body(520, 3)]),
      ],
      "",
      [
        {
          title: "Part One",
          page: 0,
          top: 740,
          children: [
            { title: "Chapter 1", page: 0, top: 740, children: [{ title: "Section 1.1", page: 1, top: 735, children: [{ title: "Too deep", page: 1, top: 700 }] }] },
            { title: "Chapter 2", page: 1, top: 575 },
          ],
        },
      ],
    );
    const d = await ingest("nested.pdf", pdf);
    expect(d.chapters.map((c) => [c.title, d.text.slice(c.start, c.start + 9)])).toEqual([
      ["Part One · Chapter 1", "Part One\n"],
      ["Section 1.1", "Section 1"],
      ["Chapter 2", "Chapter 2"],
    ]);
  });
});

describe.skipIf(!data)("pdf layout: Alice's PDF against its plain-text edition", () => {
  const book = (f: string) => new Uint8Array(fs.readFileSync(path.join(data!, "books", f)));
  const body = (t: string) => t.slice(t.indexOf("Alice was beginning to get very tired"));
  const words = (t: string) => t.replace(/[\u2018\u2019]/g, "'").replace(/[\u201C\u201D]/g, '"').toLowerCase().match(/[a-z]+(?:-[a-z]+)*/g) ?? [];

  it("the same words, and the same paragraphs, page turns joined", async () => {
    const pdf = body((await ingest("alice.pdf", book("alice-in-wonderland_pg11.pdf"))).text);
    const txt = body((await ingest("alice.txt", book("alice-in-wonderland_pg11.txt"))).text);
    const a = words(pdf), b = words(txt);
    // the two editions differ in two words; every other word is there, in order (no words
    // lost or run together at a line's or a page's end)
    expect(a.length).toBe(b.length);
    const differ = a.flatMap((w, i) => (w === b[i] ? [] : [[w, b[i]]]));
    expect(differ).toEqual([
      ["conversation", "conversations"],
      ["know", "knew"],
    ]);
    // every paragraph of the text edition starts one in the PDF's text; the PDF has one more,
    // the Mouse's tale broken at a page turn
    const starts = (t: string) => t.split(/\n\s*\n/).filter((p) => p.trim()).map((p) => words(p).slice(0, 8).join(" "));
    const inPdf = new Set(starts(pdf));
    expect(starts(txt).filter((s) => !inPdf.has(s))).toEqual([]);
    expect(starts(pdf).length - starts(txt).length).toBeLessThanOrEqual(2);
    expect(pdf).toContain("whether the pleasure of making a daisy-chain would be worth the trouble of getting up");
    expect(pdf).toContain("some tea and bread-and-butter, and then turned to the Dormouse");
  });
});
