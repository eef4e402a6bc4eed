// Chapter headings in plain text: lines such as "CHAPTER I. Down the Rabbit-Hole",
// "Chapter 12", "BOOK ONE: 1805", "PART II", "FIRST EPILOGUE: 1813 - 20" at the start
// of a line (and, for prose text, after a blank line and before one: a line that runs
// on into a paragraph is prose, as Moby-Dick's "BOOK I. (Folio), CHAPTER I. (Sperm
// Whale).—This whale, among the"; PDF text layers have no blank lines).
// A part heading that only divides (BOOK ONE: 1805, then at once CHAPTER I) names the
// chapters after it, up to the next part: War and Peace has fifteen "CHAPTER I"s, each
// shown as "BOOK ONE: 1805 · CHAPTER I" and so on.
// A table of contents lists the same headings a few characters apart: runs of headings
// followed by less than MIN_BODY characters are dropped, and so is the last entry
// of such a run when the same title comes again later (the real chapter).
// Russian headings ("Глава 1", "ЧАСТЬ ПЕРВАЯ") follow the same rules; Chinese and
// Japanese ("第一章 …", "第十二回", parts "第一卷"/"第一部") and Korean ("제1장", parts
// "제1부") ones are a short line of their own, which their books seldom set between
// blank lines: a line of prose in them is a whole paragraph.
import type { Chapter } from "../../ipc/contract";

const HEADING =
  /^[ \t]*((?:(?:CHAPTER|Chapter|BOOK|Book|PART|Part|VOLUME|Volume|STAVE|Stave)[ \t]+(?:[IVXLCDM]+|\d+|[A-Z][A-Za-z]+)\b|(?:(?:FIRST|SECOND|THIRD|FOURTH)[ \t]+)?(?:EPILOGUE|PROLOGUE)\b|(?:Epilogue|Prologue)(?![A-Za-z]))[^\n]{0,100})$/gm;
const CYRILLIC_HEADING =
  /^[ \t]*((?:(?:ГЛАВА|Глава|ЧАСТЬ|Часть|КНИГА|Книга|ТОМ|Том)[ \t]+(?:[IVXLCDM]+|\d+|[А-ЯЁа-яё]+)|ЭПИЛОГ|Эпилог|ПРОЛОГ|Пролог)(?![\p{L}\p{N}])[^\n]{0,100})$/gmu;
const CJK_HEADING = /^[ \t\u3000]*((?:第[\d０-９零〇一二三四五六七八九十百千万两]+[章回节節卷部集篇话話幕]|제[ \t]*\d+[ \t]*[장부권화])[^\n]{0,40})$/gmu;
const PART = /^(?:BOOK|Book|PART|Part|VOLUME|Volume|(?:(?:FIRST|SECOND|THIRD|FOURTH) )?(?:EPILOGUE|PROLOGUE)|Epilogue|Prologue)\b/;
const OTHER_PART = /^(?:ЧАСТЬ|Часть|КНИГА|Книга|ТОМ|Том|ЭПИЛОГ|Эпилог|ПРОЛОГ|Пролог|第[^章回节節话話幕]+[卷部集篇]|제[ \t]*\d+[ \t]*[부권])/u;
const MIN_BODY = 400;

interface HeadingLine {
  index: number; // where its line starts
  start: number; // where the heading starts (after the line's indent)
  heading: string;
  cjk: boolean;
}

/** Heading lines of every script, in text order. */
function headingLines(text: string): HeadingLine[] {
  const out: HeadingLine[] = [];
  for (const [re, cjk] of [[HEADING, false], [CYRILLIC_HEADING, false], [CJK_HEADING, true]] as const)
    for (const m of text.matchAll(re)) out.push({ index: m.index!, start: m.index! + m[0].indexOf(m[1]), heading: m[1], cjk });
  return out.sort((a, b) => a.index - b.index);
}

interface Heading extends Chapter {
  part: boolean;
}

export function findChapters(text: string, opts: { requireBlankLine?: boolean } = {}): Chapter[] {
  const requireBlank = opts.requireBlankLine ?? true;
  const found: Heading[] = [];
  for (const { index, start, heading, cjk } of headingLines(text)) {
    if (cjk) {
      found.push({ title: heading.trim().replace(/\s+/g, " "), start, part: OTHER_PART.test(heading) });
      continue;
    }
    if (requireBlank && index > 0 && !/\n[ \t]*\n$/.test(text.slice(Math.max(0, index - 40), index))) continue;
    const { title, end } = tidy(heading, text, start + heading.length, !requireBlank);
    if (requireBlank && !/^(?:\n[ \t]*(?:\n|$)|\n?$)/.test(text.slice(end, end + 200))) continue; // runs on: prose
    found.push({ title, start, part: PART.test(title) || OTHER_PART.test(title) });
  }
  const bodyOf = (i: number) => (found[i + 1]?.start ?? text.length) - found[i].start;
  const named = withParts(found, bodyOf);
  const short = named.map((_, i) => bodyOf(i) < MIN_BODY);
  const key = (t: string) => t.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  // a short heading among short ones is a table of contents' entry, a short part a divider;
  // one short chapter between long ones is a chapter (Moby-Dick's "Midnight Aloft")
  const listed = (i: number) => short[i] && (found[i].part || short[i - 1] === true || short[i + 1] === true);
  return named.filter((c, i) => {
    if (listed(i)) return false;
    const tailOfRun = i >= 2 && short[i - 1] && short[i - 2];
    return !(tailOfRun && named.slice(i + 1).some((d) => key(d.title) === key(c.title)));
  });
}

/** The chapters after a dividing part heading (one with no body of its own) named with it. */
function withParts(found: Heading[], bodyOf: (i: number) => number): Chapter[] {
  let divider: string | null = null;
  return found.map((h, i) => {
    if (h.part) {
      divider = bodyOf(i) < MIN_BODY ? h.title : null;
      return { title: h.title, start: h.start };
    }
    return { title: divider ? `${divider} · ${h.title}` : h.title, start: h.start };
  });
}

/**
 * The heading with the line after it joined when that line is part of the title: after a bare
 * "CHAPTER I." the title line "Down the Rabbit-Hole"; in a PDF text layer (pdfWraps), the rest
 * of a long heading wrapped onto a short line ("CHAPTER III. A Caucus-Race and" / "a Long
 * Tale"); in prose text, the last line of a heading wrapped before a blank line ("CHAPTER 73.
 * Stubb and Flask kill a Right Whale; and Then Have a Talk" / "over Him."). At most one line
 * joins; `end` is where the heading (with it) ends in the text.
 */
function tidy(heading: string, text: string, after: number, pdfWraps: boolean): { title: string; end: number } {
  const h = heading.trim().replace(/\s+/g, " ");
  const line = /^\n[ \t]*([^\n]{1,80})\n/.exec(text.slice(after, after + 120));
  const next = line?.[1]?.trim();
  const joined = { title: `${h} ${next}`, end: after + (line ? line[0].length - 1 : 0) };
  if (!next || /^(?:CHAPTER|Chapter)\b/.test(next)) return { title: h, end: after };
  if (/^\S+\s+\S+\.?$/.test(h) && /\p{L}/u.test(next)) return joined;
  // prose text: a long heading wrapped onto one more line, then a blank line
  if (!pdfWraps) return /^\n[ \t]*(?:\n|$)/.test(text.slice(joined.end, joined.end + 80)) ? joined : { title: h, end: after };
  return pdfWraps && !/^(?:BOOK|Book|PART|Part)\b/.test(next) && wrapsOnto(h, next) ? joined : { title: h, end: after };
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

/**
 * Chapters a book's headings divide it into at most (markdown's, an HTML book's): past it (a
 * dictionary's entries, a page of thousands of headings) the deepest level is left out, then
 * the next. The reader lists every chapter in one menu.
 */
export const MAX_CHAPTERS = 2000;

/** The deepest level (1-3) whose headings, with those above them, are at most MAX_CHAPTERS; 0 when even the first level's are more. */
export function deepestListedLevel(levels: number[]): number {
  let deepest = 3;
  while (deepest > 0 && levels.filter((l) => l <= deepest).length > MAX_CHAPTERS) deepest--;
  return deepest;
}

/** Markdown ATX headings (# .. ###) as chapters (at most MAX_CHAPTERS). */
export function markdownChapters(text: string): Chapter[] {
  const headings = markdownHeadings(text);
  const deepest = deepestListedLevel(headings.map((h) => h.level));
  return headings.filter((h) => h.level <= deepest).map(({ title, start }) => ({ title, start }));
}

/** Markdown ATX headings ("## Title ##"), outside code fences, with their level. */
export function markdownHeadings(text: string): (Chapter & { level: number })[] {
  const out: (Chapter & { level: number })[] = [];
  let inFence = false;
  let offset = 0;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const h = inFence ? null : atxHeading(line);
    if (h) out.push({ ...h, start: offset });
    offset += line.length + 1;
  }
  return out;
}

/**
 * "## Title ##" -> level 2, "Title". Taken apart by hand, not by /^(#{1,3})\s+(.+?)\s*#*\s*$/:
 * that pattern's lazy title and the blanks either side of the closing #s backtrack
 * cubically on a run of blanks inside a heading (4,000 spaces took 23 s, blocking the app).
 */
function atxHeading(line: string): { level: number; title: string } | null {
  const m = /^(#{1,6})\s+/.exec(line);
  if (!m) return null;
  let t = line.slice(m[0].length).trimEnd();
  let end = t.length;
  while (end > 0 && t[end - 1] === "#") end--; // the closing #s
  t = t.slice(0, end).trimEnd() || t;
  return t ? { level: m[1].length, title: t } : null;
}

/** A book's text built from parts joined by a blank line (an EPUB's files, a page's sections), each part's start kept for its chapter. */
export class JoinedText {
  private readonly parts: string[] = [];
  private length = 0;

  /** Adds a part; gives where it starts in the text. */
  add(part: string): number {
    const start = this.parts.length ? this.length + 2 : 0; // after the "\n\n" joining parts
    this.parts.push(part);
    this.length = start + part.length;
    return start;
  }

  get text(): string {
    return this.parts.join("\n\n");
  }
}
