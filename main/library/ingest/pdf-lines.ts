// A PDF page's text runs, as pdf.js gives them, grouped into its printed lines; and
// the measures taken over lines (the commonest value, a low quantile, the margin).

/** A run of text as pdf.js gives it: baseline origin (x, y; y grows upwards), advance width, height (the font's size). */
export interface PdfRun {
  str: string;
  x: number;
  y: number;
  width: number;
  height: number;
  hasEOL: boolean;
}

/**
 * A run set smaller and raised (superscript) right after a line's text, reading as a note's
 * mark ("1", "iv", "*", "†"): where its label starts in the line's text. Whether it is one is
 * decided with the page's notes (./pdf-notes): an exponent looks the same.
 */
export interface RaisedMark {
  at: number;
  label: string;
}

/** One printed line: its text, left and right ends, baseline, size (its tallest run), raised marks. */
export interface PdfLine {
  text: string;
  x0: number;
  x1: number;
  y: number;
  size: number;
  marks?: RaisedMark[];
}

/** What a note's mark may be: a number, a small roman numeral or letter, a symbol or a few. */
export const MARK_LABEL = /^(?:\d{1,3}|[ivxlc]{1,5}|[a-z]|[*†‡§¶‖]{1,3})$/;

/** A run is raised by this share of the line's size or more, and set at most this share of it. */
const RAISE = 0.2;
const SMALL = 0.8;

/** A page's runs as lines, top to bottom in the order pdf.js gives them. */
export function pageLines(runs: PdfRun[]): PdfLine[] {
  const lines: PdfLine[] = [];
  // the open line's runs and where each starts in its text (white space collapsed as it grows)
  let inked: { run: PdfRun; at: number }[] = [];
  let text = "";
  let size = 0; // the open line's tallest run
  let endsInSpace = false;
  const close = () => {
    const t = text.replace(/ $/, "");
    if (inked.length && t) lines.push(lineOf(t, inked, size));
    inked = [];
    text = "";
    size = 0;
    endsInSpace = false;
  };
  for (const r of runs) {
    const isInked = r.str.trim() !== "";
    // a run on another baseline starts a line (pdf.js marks most ends with hasEOL, not all)
    if (inked.length && isInked && Math.abs(r.y - inked[0].run.y) > 0.5 * Math.max(size, r.height, 1)) close();
    let s = r.str.replace(/\s+/g, " ");
    // (a flag, not text.endsWith: that flattens the growing string at every run)
    if (text === "" || endsInSpace) s = s.replace(/^ /, "");
    if (isInked) {
      inked.push({ run: r, at: text.length + (s.length - s.trimStart().length) });
      size = Math.max(size, r.height);
    }
    if (inked.length && s) {
      text += s;
      endsInSpace = s.endsWith(" ");
    }
    if (r.hasEOL) close();
  }
  close();
  return lines;
}

/** A line from its inked runs: its size the tallest run's, its baseline the first full-size run's. */
function lineOf(text: string, inked: { run: PdfRun; at: number }[], size: number): PdfLine {
  const base = (inked.find((x) => x.run.height >= 0.9 * size) ?? inked[0]).run.y;
  const line: PdfLine = { text, x0: Infinity, x1: -Infinity, y: base, size };
  for (const { run } of inked) {
    line.x0 = Math.min(line.x0, run.x);
    line.x1 = Math.max(line.x1, run.x + run.width);
  }
  const marks: RaisedMark[] = [];
  for (const { run, at } of inked) {
    const label = run.str.trim();
    const raised = run.height > 0 && run.height <= SMALL * size && run.y - base >= RAISE * size;
    // set on the word before it (a footnote's own label may also start its line)
    if (raised && MARK_LABEL.test(label) && (at === 0 || text[at - 1] !== " ")) marks.push({ at, label });
  }
  if (marks.length) line.marks = marks;
  return line;
}

/** Sizes compared to half a point. */
export const sizeKey = (s: number) => Math.round(s * 2) / 2;

/** The size (its sizeKey) most of the lines' characters are set in, the body's; 0 for none. */
export function bodySizeOf(lines: Iterable<PdfLine>): number {
  const chars = new Map<number, number>();
  for (const l of lines) chars.set(sizeKey(l.size), (chars.get(sizeKey(l.size)) ?? 0) + l.text.length);
  return chars.size ? [...chars].reduce((a, b) => (b[1] > a[1] ? b : a))[0] : 0;
}

/** The commonest value. */
export function mode(values: number[]): number {
  const counts = new Map<number, number>();
  let best = values[0];
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > counts.get(best)!) best = v;
  }
  return best;
}

/** The value a share q of the values lie under. */
export function low(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))];
}

/** The margin: the leftmost place many lines start at (first lines set in may outnumber the others). */
export function marginOf(lines: PdfLine[]): number {
  const starts = new Map<number, number>();
  for (const l of lines) starts.set(Math.round(l.x0), (starts.get(Math.round(l.x0)) ?? 0) + 1);
  const near = (x: number) => (starts.get(x - 1) ?? 0) + starts.get(x)! + (starts.get(x + 1) ?? 0);
  const many = Math.max(2, 0.2 * lines.length);
  const left = [...starts.keys()].filter((x) => near(x) >= many).reduce((a, b) => Math.min(a, b), Infinity);
  return Number.isFinite(left) ? left : mode(lines.map((l) => Math.round(l.x0)));
}
