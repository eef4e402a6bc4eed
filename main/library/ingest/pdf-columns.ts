// A page set in two columns (a journal article, a paper), read as one: the second
// column's lines moved left onto the first's margin, so that ./pdf-layout measures
// and joins them as one column's, and a line that starts the second column marked
// as a turn (like a page's first line: no gap can say there whether a paragraph
// goes on). Lines that span both columns (a paper's title, authors, a wide figure's
// caption) stay where they are. The reading order is pdf.js's, which is the order
// the file draws its text: LaTeX and Word draw a column, then the next. A file that
// draws across both, row by row, has its columns' lines taken apart: between two
// lines that are not a column's (spanning, or of another size: a running head, a
// page's number), the first column's lines, then the second's, each in its order.
//
// A page has two columns when many of its lines start near the middle of its
// width and (almost) all those that start left of there end before it: in a page of
// one column most lines run to the right margin. A page of too few lines to tell
// (an article's last, its second column a few lines long) takes the place the
// book's other pages start their second column, when its lines fit it.
import { low, marginOf, mode, sizeKey, type PdfLine } from "./pdf-lines";

/** Lines a column needs, at least, to be told. */
const MIN_COLUMN_LINES = 4;
/** The share of lines left of the second column that may run into it (a title, an abstract, a wide caption). */
const SPANNING_SHARE = 0.3;

export interface OneColumn {
  lines: PdfLine[];
  /** Indices of lines that start a column after the page's first. */
  turns: Set<number>;
}

/** Each page as one column (see the file's comment); a page of one column as it is. */
export function columnsAsOne(pages: PdfLine[][]): OneColumn[] {
  const found = pages.map(secondColumn);
  const starts = found.flatMap((s) => (s === null ? [] : [s]));
  const book = starts.length ? mode(starts) : null;
  return pages.map((lines, p) => {
    const start = found[p] ?? (book !== null && fits(lines, book) ? book : null);
    return start === null ? { lines, turns: new Set<number>() } : asOne(lines, start);
  });
}

/** A third of a line's size: the slack in where a column's lines start and end. */
const tolerance = (lines: PdfLine[]) => 0.3 * mode(lines.map((l) => sizeKey(l.size)));

/** The page's lines as one column, its second column starting at `start`. */
function asOne(drawn: PdfLine[], start: number): OneColumn {
  const tol = tolerance(drawn);
  const column = (l: PdfLine) => (l.x0 >= start - tol ? 1 : l.x1 <= start + tol ? 0 : -1);
  const lines = columnMajor(drawn, column);
  const shift = start - marginOf(lines.filter((l) => column(l) === 0));
  const turns = new Set<number>();
  let last = -1;
  const out = lines.map((l, i) => {
    const c = column(l);
    if (c >= 0 && last >= 0 && c !== last) turns.add(i);
    if (c >= 0) last = c;
    return c === 1 ? { ...l, x0: l.x0 - shift, x1: l.x1 - shift } : l;
  });
  return { lines: out, turns };
}

/**
 * The lines with each run of column lines (body-size lines in one column) read a column at a
 * time, when the page draws them across the columns (its column lines change column more than
 * once); else as drawn.
 */
function columnMajor(lines: PdfLine[], column: (l: PdfLine) => number): PdfLine[] {
  const size = mode(lines.map((l) => sizeKey(l.size)));
  const side = lines.map((l) => (sizeKey(l.size) === size ? column(l) : -1)); // -1: not a column's line
  const inColumns = side.filter((c) => c >= 0);
  const changes = inColumns.filter((c, i) => i > 0 && c !== inColumns[i - 1]).length;
  if (changes <= 1) return lines;
  const out: PdfLine[] = [];
  let run: [PdfLine[], PdfLine[]] = [[], []];
  const flush = () => {
    out.push(...run[0], ...run[1]);
    run = [[], []];
  };
  lines.forEach((l, i) => {
    if (side[i] < 0) {
      flush();
      out.push(l);
    } else run[side[i]].push(l);
  });
  flush();
  return out;
}

/**
 * Where the second column starts when the page has two (its lines of the body's size tell: a
 * title, an abstract or a caption set in another size may run across both); else null.
 */
function secondColumn(all: PdfLine[]): number | null {
  if (all.length < 2 * MIN_COLUMN_LINES) return null;
  const size = mode(all.map((l) => sizeKey(l.size)));
  const lines = all.filter((l) => sizeKey(l.size) === size);
  if (lines.length < 2 * MIN_COLUMN_LINES) return null;
  const tol = tolerance(lines);
  const left = low(lines.map((l) => l.x0), 0.1);
  const right = low(lines.map((l) => l.x1), 0.9);
  const width = right - left;
  if (width <= 0) return null;
  // places near the middle where several lines start, leftmost first
  const starts = new Map<number, number>();
  for (const l of lines) {
    if (l.x0 < left + 0.3 * width || l.x0 > left + 0.7 * width) continue;
    starts.set(Math.round(l.x0), (starts.get(Math.round(l.x0)) ?? 0) + 1);
  }
  const candidates = [...starts].filter(([, n]) => n >= 2).map(([x]) => x).sort((a, b) => a - b);
  for (const start of candidates) {
    const second = lines.filter((l) => l.x0 >= start - tol);
    const first = lines.filter((l) => l.x0 < start - tol);
    if (second.length < Math.max(MIN_COLUMN_LINES, 0.2 * lines.length) || first.length < MIN_COLUMN_LINES) continue;
    const across = first.filter((l) => l.x1 > start + tol).length;
    if (across <= SPANNING_SHARE * first.length) return start;
  }
  return null;
}

/** Whether a page of few lines fits the book's columns: some lines start the second, none run into it. */
function fits(lines: PdfLine[], start: number): boolean {
  if (lines.length === 0) return false;
  const tol = tolerance(lines);
  const first = lines.filter((l) => l.x0 < start - tol);
  return first.length > 0 && first.length < lines.length && first.every((l) => l.x1 <= start + tol);
}
