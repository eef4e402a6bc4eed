// Footnotes in a PDF: a raised mark in the text ("a claim¹") and, at the foot of
// the same page, lines set smaller than the body that start with that mark ("1 The
// note's text"). Read as printed, the mark ran into its word ("claim1") and the
// note stood between the page's last paragraph and the next page's first, cutting
// a paragraph that turns the page. Here a mark whose note is on its page reads
// "[1]", as the other readers write note marks, and the notes leave the pages: they
// are listed after the text under "Notes", as the Word readers list theirs. A
// raised figure without such a note (an exponent: "mc²") stays as it was.
import { bodySizeOf, MARK_LABEL, sizeKey, type PdfLine } from "./pdf-lines";

export interface PdfNote {
  label: string;
  text: string;
}

/** A note's lines are set at most this share of the body's size. */
const NOTE_SIZE = 0.95;

/** The pages without their footnotes, the marks that call them as "[n]", and the notes in page order (a column's before the next's). */
export function footnotesOut(pages: PdfLine[][]): { pages: PdfLine[][]; notes: PdfNote[] } {
  const body = bodySizeOf(pages.flat());
  const notes: PdfNote[] = [];
  const out = pages.map((lines) => {
    const blocks = body > 0 ? pageNotes(lines, body) : [];
    if (blocks.length === 0) return lines.map(plain);
    const called = new Set<string>();
    for (const b of blocks) for (const n of b.notes) (notes.push(n), called.add(n.label));
    const inNotes = (i: number) => blocks.some((b) => i >= b.from && i < b.to);
    return lines.flatMap((l, i) => (inNotes(i) ? [] : [withMarks(l, called)]));
  });
  return { pages: out, notes };
}

/**
 * A page's footnotes: each block of small lines at the foot of the page or of a column
 * (lines[from, to): the lines before the page's end, a page number under them aside, or before
 * a line set higher up, the next column's first) whose first line starts with the label of a
 * raised mark in the page's body text; each line that starts with another such label starts
 * the next note.
 */
function pageNotes(lines: PdfLine[], body: number): { from: number; to: number; notes: PdfNote[] }[] {
  const labels = new Set<string>();
  for (const l of lines) if (sizeKey(l.size) >= body) for (const m of l.marks ?? []) if (m.at > 0) labels.add(m.label);
  if (labels.size === 0) return [];
  const small = (l: PdfLine) => l.size <= NOTE_SIZE * body;
  const startOf = (l: PdfLine) => {
    const s = noteStart(l);
    return s && labels.has(s.label) ? s : null;
  };
  let end = lines.length;
  while (end > 1 && /^[\divxlcdm]+$/i.test(lines[end - 1].text.trim())) end--;
  const feet = [end];
  for (let i = 1; i < end; i++) if (lines[i].y > lines[i - 1].y + lines[i - 1].size) feet.push(i);
  const blocks: { from: number; to: number; notes: PdfNote[] }[] = [];
  for (const to of feet.sort((a, b) => a - b)) {
    let from = to;
    while (from > 0 && small(lines[from - 1])) from--;
    while (from < to && !startOf(lines[from])) from++; // the block starts at its first line that starts a note
    if (from >= to) continue;
    const notes: PdfNote[] = [];
    for (let i = from; i < to; i++) {
      const s = startOf(lines[i]);
      if (s) notes.push({ label: s.label, text: s.text });
      else notes[notes.length - 1].text = joinNoteLine(notes[notes.length - 1].text, lines[i].text);
    }
    blocks.push({ from, to, notes });
  }
  return blocks;
}

/** A line that starts a note: its label (raised, or set before the text: "1", "1.", "2)", "*") and the rest. */
function noteStart(l: PdfLine): PdfNote | null {
  const lead = l.marks?.find((m) => m.at === 0);
  if (lead) return { label: lead.label, text: l.text.slice(lead.label.length).replace(/^[.)]?\s*/, "") };
  const m = /^(\S{1,5}?)[.)]?\s+(\S.*)$/.exec(l.text);
  return m && MARK_LABEL.test(m[1]) ? { label: m[1], text: m[2] } : null;
}

/** A note's next line joined on: a hyphen at the end of a word before a lower-case letter joins without a space. */
function joinNoteLine(a: string, b: string): string {
  if (a.endsWith("\u00AD")) return a.slice(0, -1) + b;
  return /\p{L}-$/u.test(a) && /^\p{Ll}/u.test(b) ? a + b : `${a} ${b}`;
}

/** A line with its raised marks of the page's notes as "[n]" (the others as printed). */
function withMarks(l: PdfLine, called: Set<string>): PdfLine {
  const marks = (l.marks ?? []).filter((m) => m.at > 0 && called.has(m.label));
  if (marks.length === 0) return plain(l);
  let text = "";
  let pos = 0;
  for (const m of marks) {
    text += l.text.slice(pos, m.at) + `[${m.label}]`;
    pos = m.at + m.label.length;
  }
  return { ...plain(l), text: text + l.text.slice(pos) };
}

/** The line without its marks (they are read). */
function plain(l: PdfLine): PdfLine {
  if (!l.marks) return l;
  const { marks: _marks, ...rest } = l;
  return rest;
}

/** The notes as the text's last section: its heading and "[n] text" paragraphs (none: ""). */
export function notesText(notes: PdfNote[]): string {
  return notes.length ? "Notes\n\n" + notes.map((n) => `[${n.label}] ${n.text}`).join("\n\n") : "";
}
