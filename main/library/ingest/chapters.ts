// Chapter headings in plain text: lines such as "CHAPTER I. Down the Rabbit-Hole",
// "Chapter 12", "BOOK ONE: 1805", "PART II" at the start of a line (and, for
// prose text, after a blank line; PDF text layers have no blank lines).
// A table of contents lists the same headings a few characters apart: headings
// followed by less than MIN_BODY characters are dropped, and so is the last entry
// of such a run when the same title comes again later (the real chapter).
import type { Chapter } from "../../ipc/contract";

const HEADING =
  /^[ \t]*((?:CHAPTER|Chapter|BOOK|Book|PART|Part|VOLUME|Volume|STAVE|Stave)[ \t]+(?:[IVXLCDM]+|\d+|[A-Z][A-Za-z]+)\b[^\n]{0,100})$/gm;
const MIN_BODY = 400;

export function findChapters(text: string, opts: { requireBlankLine?: boolean } = {}): Chapter[] {
  const requireBlank = opts.requireBlankLine ?? true;
  const found: Chapter[] = [];
  for (const m of text.matchAll(HEADING)) {
    const start = m.index! + m[0].indexOf(m[1]);
    if (requireBlank && m.index! > 0 && !/\n[ \t]*\n$/.test(text.slice(Math.max(0, m.index! - 40), m.index!))) continue;
    found.push({ title: tidy(m[1], text, start + m[1].length, !requireBlank), start });
  }
  const short = found.map((c, i) => (found[i + 1]?.start ?? text.length) - c.start < MIN_BODY);
  const key = (t: string) => t.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  return found.filter((c, i) => {
    if (short[i]) return false;
    const tailOfRun = i >= 2 && short[i - 1] && short[i - 2];
    return !(tailOfRun && found.slice(i + 1).some((d) => key(d.title) === key(c.title)));
  });
}

/**
 * The heading with the line after it joined when that line is part of the title: after a bare
 * "CHAPTER I." the title line "Down the Rabbit-Hole"; in a PDF text layer (pdfWraps), the rest
 * of a long heading wrapped onto a short line ("CHAPTER III. A Caucus-Race and" / "a Long
 * Tale"). At most one line joins.
 */
function tidy(heading: string, text: string, after: number, pdfWraps: boolean): string {
  const h = heading.trim().replace(/\s+/g, " ");
  const next = /^\n[ \t]*([^\n]{1,80})\n/.exec(text.slice(after, after + 120))?.[1]?.trim();
  if (!next || /^(?:CHAPTER|Chapter)\b/.test(next)) return h;
  if (/^\S+\s+\S+\.?$/.test(h) && /[A-Za-z]/.test(next)) return `${h} ${next}`;
  return pdfWraps && !/^(?:BOOK|Book|PART|Part)\b/.test(next) && wrapsOnto(h, next) ? `${h} ${next}` : h;
}

// A heading's last word that cannot end a title ("A Caucus-Race and", "The Mock Turtle's").
const UNFINISHED = /(?:\b(?:a|an|the|and|or|of|in|on|to|from|with|for|at|by)|['\u2019]s)$/i;

/**
 * Whether `next` continues a wrapped heading: the heading is plainly unfinished and the line
 * short (up to 4 words), or the line is a word or two without a full stop ("Quadrille",
 * "Tarts?"); a chapter's first line of prose is longer, or ends a sentence.
 */
function wrapsOnto(heading: string, next: string): boolean {
  const words = next.split(/\s+/).length;
  if (next.length > 40) return false;
  return (UNFINISHED.test(heading) && words <= 4) || (words <= 2 && next.length <= 20 && !/\.$/.test(next));
}

/** Markdown ATX headings (# .. ###) as chapters. */
export function markdownChapters(text: string): Chapter[] {
  const out: Chapter[] = [];
  let inFence = false;
  let offset = 0;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const m = !inFence && /^(#{1,3})\s+(.+?)\s*#*\s*$/.exec(line);
    if (m) out.push({ title: m[2], start: offset });
    offset += line.length + 1;
  }
  return out;
}
