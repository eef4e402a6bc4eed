// Footnotes in a PDF (main/library/ingest/pdf-notes.ts, and the raised marks of
// pdf-lines.ts): runs and lines set here as a typesetter sets them. The oracle of
// a real file is LibreOffice's PDF of test/fixtures/word, read as its .docx is
// (test/main/doc.test.ts).
import { describe, expect, it } from "vitest";
import { pageLines, type PdfLine, type PdfRun } from "../../main/library/ingest/pdf-lines";
import { footnotesOut, notesText } from "../../main/library/ingest/pdf-notes";
import { layOut } from "../../main/library/ingest/pdf-layout";

const EM = 6;
const run = (str: string, x: number, y: number, height = 12): PdfRun => ({ str, x, y, width: str.length * (height / 2), height: str.trim() ? height : 0, hasEOL: false });
const line = (text: string, y: number, size = 12, marks?: PdfLine["marks"], x0 = 72): PdfLine => ({ text, x0, x1: x0 + text.length * EM, y, size, ...(marks ? { marks } : {}) });
/** n lines of the body's prose (most of a page's characters are), from y down. */
const prose = (n: number, y: number) => Array.from({ length: n }, (_, i) => line(`Prose of the page, line ${i + 1}, in the size most of the book is set in.`, y - 14 * i));
const texts = (ls: PdfLine[]) => ls.map((l) => l.text).filter((t) => !t.startsWith("Prose"));

describe("raised marks in a printed line", () => {
  it("a smaller run raised after a word is a mark at its place in the line's text; the line keeps its baseline", () => {
    const [l] = pageLines([run("And a claim", 72, 500), run("1", 138, 504.7, 7), run(" ", 141.5, 504.7, 7), run("follows.", 145, 500)]);
    expect(l).toEqual({ text: "And a claim1 follows.", x0: 72, x1: 193, y: 500, size: 12, marks: [{ at: 11, label: "1" }] });
  });

  it("a note's raised label starts its line; a raised word, a lowered figure or a run after a space is none", () => {
    const [note] = pageLines([run("2", 72, 63, 6), run("The note's text.", 76, 60, 9)]);
    expect(note).toMatchObject({ text: "2The note's text.", y: 60, size: 9, marks: [{ at: 0, label: "2" }] });
    const [other] = pageLines([run("Water is H", 72, 500), run("2", 132, 497, 7), run("O and", 136, 500), run("TM", 170, 505, 7), run(" see ", 178, 500), run("3", 200, 505, 7)]);
    expect(other.text).toBe("Water is H2O andTM see 3");
    expect(other.marks).toBeUndefined();
  });

  it("a line of 200,000 runs is read in one pass (within the test's 5 s)", () => {
    const runs = Array.from({ length: 200_000 }, (_, i) => run(i % 7 ? "x" : "1", 72 + i, i % 7 ? 500 : 504, i % 7 ? 12 : 7));
    const [l] = pageLines(runs);
    expect(l.text.length).toBe(200_000);
    expect(l.marks!.length).toBe(Math.ceil(200_000 / 7)); // every raised "1" (the first starts the line)
  });
});

describe("footnotes at a page's foot", () => {
  it("a mark whose note is on its page reads [n]; the notes leave the page, a page number under them stays", () => {
    const page = [
      line("A claim1 is made, and E = mc2 is known.", 700, 12, [{ at: 7, label: "1" }, { at: 29, label: "2" }]),
      line("Another one* follows here.", 686, 12, [{ at: 11, label: "*" }]),
      ...prose(3, 672),
      line("1 The first note, which runs over", 80, 9),
      line("two lines of the foot.", 70, 9),
      line("* A starred note.", 60, 9),
      line("12", 40, 9, undefined, 300),
    ];
    const { pages, notes } = footnotesOut([page]);
    expect(texts(pages[0])).toEqual(["A claim[1] is made, and E = mc2 is known.", "Another one[*] follows here.", "12"]);
    expect(pages[0].some((l) => l.marks)).toBe(false);
    expect(notes).toEqual([
      { label: "1", text: "The first note, which runs over two lines of the foot." },
      { label: "*", text: "A starred note." },
    ]);
    expect(notesText(notes)).toBe("Notes\n\n[1] The first note, which runs over two lines of the foot.\n\n[*] A starred note.");
  });

  it("a raised label before a note's text, a dotted one, and a hyphen at a note line's end", () => {
    const page = [
      line("Both2 marks3 here.", 700, 12, [{ at: 4, label: "2" }, { at: 11, label: "3" }]),
      ...prose(2, 686),
      line("2Set with a raised label, a daisy-", 70, 9, [{ at: 0, label: "2" }]),
      line("chain and a hyphen-", 61, 9),
      line("Ated word.", 56, 9),
      line("3. A dotted one.", 47, 9),
    ];
    const { pages, notes } = footnotesOut([page]);
    expect(texts(pages[0])).toEqual(["Both[2] marks[3] here."]);
    expect(notes).toEqual([
      { label: "2", text: "Set with a raised label, a daisy-chain and a hyphen- Ated word." },
      { label: "3", text: "A dotted one." },
    ]);
  });

  it("no note for a mark, small lines that start with no mark's label, or notes in the body's size: the page as it was", () => {
    const exponent = [line("The energy is mc2 here.", 700, 12, [{ at: 16, label: "2" }]), ...prose(2, 686), line("2 A caption in body type.", 60, 12)];
    const caption = [line("A claim1 here.", 700, 12, [{ at: 7, label: "1" }]), ...prose(2, 686), line("Figure 1: a caption.", 60, 9)];
    const { pages, notes } = footnotesOut([exponent, caption]);
    expect(pages.map(texts)).toEqual([
      ["The energy is mc2 here.", "2 A caption in body type."],
      ["A claim1 here.", "Figure 1: a caption."],
    ]);
    expect(notes).toEqual([]);
    expect(notesText(notes)).toBe("");
  });

  it("a page in two columns: each column's notes at its foot, the second column read after the first's notes", () => {
    const col = (x0: number) => (text: string, y: number, size = 12, marks?: PdfLine["marks"]) => line(text, y, size, marks, x0);
    const left = col(72), right = col(320);
    const page = [
      left("The left column's claim1 here.", 700, 12, [{ at: 23, label: "1" }]),
      ...prose(3, 686),
      left("1 The left column's note.", 80, 9),
      right("The right column's own2 mark.", 700, 12, [{ at: 22, label: "2" }]),
      right("More of the right column.", 686),
      right("2 The right column's note.", 80, 9),
      right("7", 40, 9),
    ];
    const { pages, notes } = footnotesOut([page]);
    expect(texts(pages[0])).toEqual(["The left column's claim[1] here.", "The right column's own[2] mark.", "More of the right column.", "7"]);
    expect(notes).toEqual([
      { label: "1", text: "The left column's note." },
      { label: "2", text: "The right column's note." },
    ]);
  });

  it("a note that ends its page unfinished goes on at the top of the next page's foot; a finished one does not take the lines there", () => {
    const first = [line("A claim1 on the first page.", 700, 12, [{ at: 7, label: "1" }]), ...prose(3, 686), line("1 A long note that runs on over the", 70, 9), line("turn of the page and", 61, 9)];
    const second = [...prose(4, 700), line("ends on the next one.", 70, 9), line("2", 40, 9, undefined, 300)];
    const third = [line("Another2 claim.", 700, 12, [{ at: 7, label: "2" }]), ...prose(3, 686), line("A caption set small.", 90, 9), line("2 A finished note.", 70, 9)];
    const fourth = [...prose(4, 700), line("a small line at the foot", 70, 9)];
    const { pages, notes } = footnotesOut([first, second, third, fourth]);
    expect(notes).toEqual([
      { label: "1", text: "A long note that runs on over the turn of the page and ends on the next one." },
      { label: "2", text: "A finished note." },
    ]);
    expect(pages.map(texts)).toEqual([["A claim[1] on the first page."], ["2"], ["Another[2] claim.", "A caption set small."], ["a small line at the foot"]]);
  });

  it("endnotes: marks without a footnote call the small lines after the last of them that start with their labels, in order", () => {
    const chapter = [line("One claim1 and another2 here.", 700, 12, [{ at: 9, label: "1" }, { at: 22, label: "2" }]), ...prose(3, 686)];
    const later = [line("Then a third1 in a new chapter.", 700, 12, [{ at: 12, label: "1" }]), ...prose(3, 686)];
    const notesPage = [line("Notes", 720, 14), line("1 The first.", 690, 10), line("2 The second,", 676, 10), line("on two lines.", 662, 10), line("1 The third.", 640, 10)];
    const { pages, notes } = footnotesOut([chapter, later, notesPage]);
    expect(notes).toEqual([]); // none at a page's foot
    expect(pages.map(texts)).toEqual([["One claim[1] and another[2] here."], ["Then a third[1] in a new chapter."], ["Notes", "[1] The first.", "[2] The second,", "on two lines.", "[1] The third."]]);
    // an exponent among the marks: the sequences differ, and every mark is read as printed
    const withExponent = [line("Energy is mc2 here.", 700, 12, [{ at: 12, label: "2" }]), ...prose(3, 686)];
    const read = footnotesOut([chapter, withExponent, later, notesPage]).pages.map(texts);
    expect(read.slice(0, 3)).toEqual([["One claim1 and another2 here."], ["Energy is mc2 here."], ["Then a third1 in a new chapter."]]);
    expect(read[3]).toContain("1 The first.");
  });

  it("a paragraph that turns the page runs on over the footnote that stood between its halves", () => {
    // full lines (to the right margin) in the body's size; the note at the first page's foot
    const full = (i: number, y: number) => line(`Line ${String(i).padStart(2, "0")} of prose that runs the whole measure of the page to its margin.`, y);
    const first = [...Array.from({ length: 9 }, (_, i) => full(i, 700 - 14 * i)), line("And this one ends with a note's mark1 and runs on over the turn to", 574, 12, [{ at: 36, label: "1" }])];
    first[9].x1 = first[0].x1;
    const second = [line("the next page, where it ends.", 700), ...Array.from({ length: 9 }, (_, i) => full(10 + i, 686 - 14 * i))];
    const withNote = [...first, line("1 The note.", 60, 9)];
    const { pages, notes } = footnotesOut([withNote, second]);
    const text = layOut(pages).text;
    expect(text).toContain("with a note's mark[1] and runs on over the turn to the next page, where it ends.");
    expect(text).not.toContain("The note.");
    expect(notes).toEqual([{ label: "1", text: "The note." }]);
    // as printed, without the notes taken out, the note cut the paragraph
    expect(layOut([withNote.map((l) => ({ ...l, marks: undefined })), second]).text).toContain("turn to\n\n1 The note.\n\nthe next page");
  });
});
