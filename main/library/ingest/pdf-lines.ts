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

/** One printed line: its text, left and right ends, baseline, size (its tallest run). */
export interface PdfLine {
  text: string;
  x0: number;
  x1: number;
  y: number;
  size: number;
}

/** A page's runs as lines, top to bottom in the order pdf.js gives them. */
export function pageLines(runs: PdfRun[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let cur: PdfLine | null = null;
  let text = "";
  const close = () => {
    if (cur && text.trim()) lines.push({ ...cur, text: text.trim().replace(/\s+/g, " ") });
    cur = null;
    text = "";
  };
  for (const r of runs) {
    const inked = r.str.trim() !== "";
    // a run on another baseline starts a line (pdf.js marks most ends with hasEOL, not all)
    if (cur && inked && Math.abs(r.y - cur.y) > 0.5 * Math.max(cur.size, r.height, 1)) close();
    if (inked) {
      if (!cur) cur = { text: "", x0: r.x, x1: r.x + r.width, y: r.y, size: r.height };
      cur.x0 = Math.min(cur.x0, r.x);
      cur.x1 = Math.max(cur.x1, r.x + r.width);
      cur.size = Math.max(cur.size, r.height);
    }
    if (cur) text += r.str;
    if (r.hasEOL) close();
  }
  close();
  return lines;
}

/** Sizes compared to half a point. */
export const sizeKey = (s: number) => Math.round(s * 2) / 2;

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
