// A PDF text layer back into paragraphs. pdf.js gives positioned runs of text,
// line by line as the page was typeset: a paragraph broken into its printed
// lines, a page break in the middle of a sentence, and whatever a page repeats
// (its number, a running title). Read as lines, the book shows ragged broken
// lines in the reader, a blank line wherever a page turned, and passages cut at
// page ends. Here the lines are grouped by their geometry:
//   joined with a space   a line that runs to the right margin (the next line's
//                         first word would not have fitted on it), into a next
//                         line of the same size that starts at the margin:
//                         the same paragraph, across a page turn too;
//   a blank line between  a vertical gap wider than the lines' pitch, a first
//                         line indented from the margin, or a change of size
//                         (a heading): a new paragraph;
//   a line break          anything else: a line that ends short on purpose
//                         (verse, a list, a centred title); at a page turn,
//                         where no gap can tell, a blank line.
// A word hyphenated at a line's end is joined without its hyphen when the book
// spells it whole elsewhere, else with it ("daisy-chain"); Chinese and Japanese
// lines join without a space; a page set right to left is read mirrored; a page set
// in two columns is read as one, its second column's first line as a page's first
// (./pdf-columns). A page's first or last line that is its number, or a running
// header or footer, is dropped (./pdf-furniture).

import { withoutFurniture } from "./pdf-furniture";
import { bodySizeOf, low, marginOf, mode, sizeKey, type PdfLine } from "./pdf-lines";
import { columnsAsOne } from "./pdf-columns";

/** Where a printed line's text starts in the book's text, and how high on its page it was set. */
export interface LineStart {
  offset: number;
  top: number; // its baseline + its size (PDF units, y up)
}

/**
 * The book's text, where each page's first line starts in it (a page without text: where the
 * next one starts), and where each of a page's lines does, top to bottom (an outline's entry
 * points at a place on a page).
 */
export interface LaidOut {
  text: string;
  pageStarts: number[];
  lineStarts: LineStart[][];
}

/** The margins and pitch a page's body text is set to. */
interface Measure {
  left: number; // where the body's lines start
  right: number; // where its full lines end
  size: number; // the body's (its commonest size)
  indent: number | null; // how far a paragraph's first line is set in from left (null: not set in)
  pitch: Map<number, number>; // baseline to baseline, by size
}

/**
 * Margins and pitch from the lines of the body's size. A page is measured on its own when it
 * has enough of them and they are set as wide as the book's (mirrored margins move them), else
 * it takes the book's: a title or contents page has too few lines, or lines of another width.
 */
function measure(lines: PdfLine[]): (Measure & { lines: number }) | null {
  if (lines.length === 0) return null;
  // the body's size: the one most of the text is set in (verse or notes may have more lines)
  const bodySize = bodySizeOf(lines);
  const body = lines.filter((l) => sizeKey(l.size) === bodySize);
  const gaps = new Map<number, number[]>();
  for (let i = 1; i < lines.length; i++) {
    const a = lines[i - 1], b = lines[i], k = sizeKey(a.size);
    const gap = a.y - b.y;
    if (k !== sizeKey(b.size) || gap <= 0 || gap > 3 * a.size) continue;
    if (!gaps.has(k)) gaps.set(k, []);
    gaps.get(k)!.push(gap);
  }
  // a size's pitch: its narrow gaps (where dialogue is set, most gaps are between paragraphs)
  const pitch = new Map<number, number>();
  for (const [k, g] of gaps) if (g.length >= 2) pitch.set(k, low(g, 0.1));
  const margin = marginOf(body);
  const ends = body.map((l) => l.x1).sort((a, b) => a - b);
  // the indent: the commonest step in from the margin, up to 4 ems, that several lines take
  const steps = body.map((l) => Math.round(l.x0 - margin)).filter((d) => d > 0.3 * bodySize && d <= 4 * bodySize);
  const step = steps.length ? mode(steps) : null;
  const indent = step !== null && steps.filter((d) => Math.abs(d - step) <= 1).length >= Math.max(2, 0.03 * body.length) ? step : null;
  return { left: margin, right: ends[Math.ceil(0.9 * (ends.length - 1))], size: bodySize, indent, pitch, lines: body.length };
}

const OWN_MEASURE_LINES = 8;

function pageMeasures(pages: PdfLine[][]): Measure[] {
  const book = measure(pages.flat()) ?? { left: 0, right: 0, size: 0, indent: null, pitch: new Map(), lines: 0 };
  return pages.map((p) => {
    const own = measure(p);
    const pitch = new Map([...book.pitch, ...(own?.pitch ?? [])]);
    const width = book.right - book.left;
    // the book's indent: a page of few paragraphs may show none, or a verse's as its commonest
    if (own && own.lines >= OWN_MEASURE_LINES && Math.abs(own.right - own.left - width) <= 0.1 * width) return { ...own, indent: book.indent, pitch };
    return { ...book, pitch };
  });
}

const HYPHENATED = /([\p{L}]+)[-\u00AD]$/u;
// Chinese and Japanese put no space between words, nor where a line is joined.
const CJK = "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\u3000-\\u303F\\uFF00-\\uFFEF";
const CJK_START = new RegExp(`^[${CJK}]`, "u");
const CJK_END = new RegExp(`[${CJK}]$`, "u");

type Join = " " | "\n" | "\n\n";

/** How line b follows line a (the same page and column unless `turned`). */
function joinOf(a: PdfLine, b: PdfLine, ma: Measure, mb: Measure, turned: boolean): Join {
  const size = Math.max(a.size, b.size);
  if (Math.abs(a.size - b.size) > 0.1 * size) return "\n\n";
  if (!turned) {
    const gap = a.y - b.y;
    const pitch = ma.pitch.get(sizeKey(a.size)) ?? 1.2 * a.size;
    if (gap <= 0.3 * a.size || gap > 1.4 * pitch) return "\n\n"; // a new column, or space between paragraphs
  }
  const tol = 0.3 * size;
  const bIndent = b.x0 - mb.left;
  // a paragraph's first line, set in by the book's indent (in the body's size: verse or a
  // quotation set smaller is not); without one, a line set in a little after a line at the
  // margin (not a centred or displayed line, further in; nor verse, whose lines are all set in)
  const indented =
    mb.indent !== null && sizeKey(b.size) === mb.size
      ? Math.abs(bIndent - mb.indent) <= tol
      : Math.abs(a.x0 - ma.left) <= tol && bIndent > tol && bIndent < 4 * size;
  if (indented) return "\n\n";
  // a's end: did the next line's first word (in Chinese or Japanese, its first character) have room on it?
  const word = (CJK_START.test(b.text) ? b.text[0] : /^\S+/.exec(b.text)?.[0]) ?? "";
  const em = (a.x1 - a.x0) / Math.max(1, a.text.length);
  const room = ma.right - a.x1;
  const full = room < (word.length + 1) * em;
  if (full && Math.abs(bIndent) <= tol) return " ";
  // a page that ends short ends its paragraph (a verse's line, rarely); on the next, no gap says so
  return turned ? "\n\n" : "\n";
}

/**
 * What goes between line a and line b of one paragraph: a space, or nothing where a's hyphen
 * ends inside a word (a's new text then drops it; see the file's comment).
 */
function wordJoin(a: string, b: string, words: Set<string>): { a: string; sep: string } {
  if (a.endsWith("\u00AD")) return { a: a.slice(0, -1), sep: "" }; // a soft hyphen: a break inside a word
  if (CJK_END.test(a) || CJK_START.test(b)) return { a, sep: "" };
  const m = HYPHENATED.exec(a);
  const next = /^\p{Ll}[\p{L}]*/u.exec(b)?.[0];
  if (!m || !next) return { a, sep: " " };
  return { a: words.has((m[1] + next).toLowerCase()) ? a.slice(0, -1) : a, sep: "" };
}

/**
 * A page set right to left (mostly Hebrew or Arabic letters), mirrored: its lines start at the
 * right margin and end short at the left, which the rules above read as left to right.
 */
function mirroredIfRightToLeft(lines: PdfLine[]): PdfLine[] {
  let rtl = 0, all = 0;
  for (const l of lines) {
    rtl += l.text.match(/[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}]/gu)?.length ?? 0;
    all += l.text.match(/\p{L}/gu)?.length ?? 0;
  }
  return rtl > all / 2 ? lines.map((l) => ({ ...l, x0: -l.x1, x1: -l.x0 })) : lines;
}

/** The words the book spells whole (lowercased), for hyphens at line ends. */
function wordsOf(pages: PdfLine[][]): Set<string> {
  const words = new Set<string>();
  for (const p of pages)
    for (const l of p)
      for (const w of l.text.match(/\p{L}+(?:-\p{L}+)*/gu) ?? []) {
        // a word at a line's end that the line hyphenates is not spelled whole here
        if (l.text.endsWith(w + "-")) continue;
        words.add(w.toLowerCase());
      }
  return words;
}

/** The pages' lines as one text of paragraphs (see the file's comment). */
export function layOut(pagesIn: PdfLine[][]): LaidOut {
  const columns = columnsAsOne(withoutFurniture(pagesIn).map(mirroredIfRightToLeft));
  const pages = columns.map((c) => c.lines);
  const words = wordsOf(pages);
  const measures = pageMeasures(pages);
  // the text as pieces (a line's text, a separator): joined once, at the end
  const pieces: string[] = [];
  let length = 0;
  const push = (s: string) => {
    pieces.push(s);
    length += s.length;
  };
  const pageStarts: number[] = [];
  const lineStarts: LineStart[][] = [];
  let prev: { line: PdfLine; m: Measure } | null = null;
  pages.forEach((lines, p) => {
    const m = measures[p];
    pageStarts.push(-1);
    lineStarts.push([]);
    lines.forEach((line, i) => {
      if (prev) {
        const join = joinOf(prev.line, line, prev.m, m, i === 0 || columns[p].turns.has(i));
        if (join === " ") {
          const last = pieces[pieces.length - 1];
          const w = wordJoin(last, line.text, words);
          pieces[pieces.length - 1] = w.a;
          length += w.a.length - last.length;
          push(w.sep);
        } else push(join);
      }
      if (i === 0) pageStarts[p] = length;
      lineStarts[p].push({ offset: length, top: line.y + line.size });
      push(line.text);
      prev = { line, m };
    });
  });
  // a page without text starts where the next one does
  for (let p = pageStarts.length - 1, next = length; p >= 0; p--) pageStarts[p] = pageStarts[p] < 0 ? next : (next = pageStarts[p]);
  return { text: pieces.join(""), pageStarts, lineStarts };
}
