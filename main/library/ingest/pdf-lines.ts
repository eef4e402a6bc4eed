// A PDF page's text runs, as pdf.js gives them, grouped into its printed lines.

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
