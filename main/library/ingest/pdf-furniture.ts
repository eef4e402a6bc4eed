// What a PDF repeats on its pages around the text: the page's number, a running
// header or footer. Dropped before the lines are laid out as paragraphs
// (./pdf-layout), where they would sit in the middle of a sentence at every page turn.
import { sizeKey, type PdfLine } from "./pdf-lines";

// A page's number alone on a line: "12", "- 12 -", "Page 12", "12 of 300"; in front matter
// "xiv" (lower case: a section headed "IV" is not a page number).
const NUMBER_LINE = /^[\s\-–—.]*(?:[Pp]age\s+)?(?:(\d{1,4})|[ivxlc]{1,7})(?:\s+of\s+\d{1,4})?[\s\-–—.]*$/;
// A heading a book may put at the top of many pages (never taken for a running header by count).
const HEADING = /^(?:chapter|part|book|section|canto|letter|act|scene|volume)\b/i;

/** A header's or footer's text without the page number at either end, and its size. */
const furnitureKey = (l: PdfLine) =>
  l.text.toLowerCase().replace(/\s+/g, " ").replace(/^[\d\s\-–—.|]+|[\d\s\-–—.|]+$/g, "") + "|" + sizeKey(l.size);

/**
 * Each page's lines without a first or last line that is furniture: the page's number (one whose
 * number follows the pages', as most such lines' do), or a header or footer that the page next
 * to it repeats at the same place, or that 30% of the pages do.
 */
export function withoutFurniture(pages: PdfLine[][]): PdfLine[][] {
  const ends = pages.map((p) => (p.length > 1 ? [p[0], p[p.length - 1]] : []));
  // page numbers: the commonest offset between a number line's number and its page's index
  const offsets = new Map<number, number>();
  ends.forEach((e, p) => {
    for (const l of e) {
      const n = NUMBER_LINE.exec(l.text)?.[1];
      if (n !== undefined) offsets.set(Number(n) - p, (offsets.get(Number(n) - p) ?? 0) + 1);
    }
  });
  let offset: number | null = null;
  for (const [o, n] of offsets) if (n >= 2 && (offset === null || n > offsets.get(offset)!)) offset = o;
  const isPageNumber = (l: PdfLine, p: number) => {
    const m = NUMBER_LINE.exec(l.text);
    return m !== null && (m[1] === undefined || Number(m[1]) - p === offset);
  };
  const counts = [new Map<string, number>(), new Map<string, number>()];
  const keys = ends.map((e) => e.map(furnitureKey));
  for (const k of keys) k.forEach((key, at) => counts[at].set(key, (counts[at].get(key) ?? 0) + 1));
  const often = Math.max(3, Math.ceil(0.3 * pages.length));
  const furniture = (p: number, at: 0 | 1) => {
    const l = ends[p][at], key = keys[p][at];
    if (isPageNumber(l, p)) return true;
    if (key.startsWith("|")) return false; // nothing but a number left
    if (keys[p - 1]?.[at] === key || keys[p + 1]?.[at] === key) return true;
    return !HEADING.test(l.text) && counts[at].get(key)! >= often;
  };
  return pages.map((lines, p) => {
    if (lines.length <= 1) return lines;
    const from = furniture(p, 0) ? 1 : 0;
    const to = lines.length - (furniture(p, 1) ? 1 : 0);
    return lines.slice(from, Math.max(from, to));
  });
}
