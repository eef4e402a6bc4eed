// Footnotes in a PDF: a raised mark in the text ("a claim¹") and, at the foot of
// the same page, lines set smaller than the body that start with that mark ("1 The
// note's text"). Read as printed, the mark ran into its word ("claim1") and the
// note stood between the page's last paragraph and the next page's first, cutting
// a paragraph that turns the page. Here a mark whose note is on its page reads
// "[1]", as the other readers write note marks, and the notes leave the pages: they
// are listed after the text under "Notes", as the Word readers list theirs (a note
// that ends its page mid-sentence goes on with the small lines at the top of the
// next page's foot, before a note of that page's own). Endnotes:
// the raised marks left, in order, read "[n]" when the small lines after the last of
// them that start with a label give exactly their labels in the same order (a book's
// Notes section; LibreOffice's "i"): the notes stay where they are, their labels as
// "[n] ". A raised figure without such a note (an exponent: "mc²") stays as it was,
// and so, then, does every endnote mark.
import { bodySizeOf, MARK_LABEL, sizeKey, type PdfLine } from "./pdf-lines";
import { SENTENCE_END } from "../sentence-end";

export interface PdfNote {
  label: string;
  text: string;
}

/** A note's lines are set at most this share of the body's size. */
const NOTE_SIZE = 0.95;
/** A note that ends so is finished. */
const FINISHED = new RegExp(`${SENTENCE_END}$`);

/**
 * The pages without their footnotes, the marks that call a note as "[n]", endnotes' labels as
 * "[n] ", and the footnotes in page order (a column's before the next's).
 */
export function footnotesOut(pages: PdfLine[][]): { pages: PdfLine[][]; notes: PdfNote[] } {
  const body = bodySizeOf(pages.flat());
  const notes: PdfNote[] = [];
  const called = new Map<PdfLine, Set<number>>(); // a line's marks (by place) that call a note
  const call = (l: PdfLine, at: number) => called.set(l, (called.get(l) ?? new Set()).add(at));
  // the last page's last note, when it ended the page unfinished (no sentence's end): its
  // next page's foot may go on with it before a note of its own
  let open: PdfNote | null = null;
  const kept = pages.map((lines) => {
    const { blocks, carried, last } = body > 0 ? pageNotes(lines, body) : { blocks: [], carried: null, last: null };
    const going = carried && open && !FINISHED.test(open.text) ? open : null;
    if (going) for (let i = carried!.from; i < carried!.to; i++) going.text = joinNoteLine(going.text, lines[i].text);
    open = last ?? going;
    if (blocks.length === 0 && !going) return lines;
    const labels = new Set<string>();
    for (const b of blocks) for (const n of b.notes) (notes.push(n), labels.add(n.label));
    const out = [...blocks, ...(going ? [carried!] : [])];
    const inNotes = (i: number) => out.some((b) => i >= b.from && i < b.to);
    const left = lines.filter((_l, i) => !inNotes(i));
    for (const l of left) for (const m of bodyMarks(l, body)) if (labels.has(m.label)) call(l, m.at);
    return left;
  });
  const relabelled = body > 0 ? endnotes(kept, body, called, call) : new Map<PdfLine, PdfNote>();
  return { pages: kept.map((lines) => lines.map((l) => rendered(l, called.get(l), relabelled.get(l)))), notes };
}

/** A line's raised marks after a word, in a body-size line (a small line's are its own labels). */
const bodyMarks = (l: PdfLine, body: number) => (sizeKey(l.size) >= body ? (l.marks ?? []).filter((m) => m.at > 0) : []);

/**
 * Endnotes: the marks no footnote called, in reading order, each calls the note line at its
 * place in the sequence of small lines after the last of them that start with a label, when
 * those give exactly the marks' labels in order. Returns those lines and their notes.
 */
function endnotes(pages: PdfLine[][], body: number, called: Map<PdfLine, Set<number>>, call: (l: PdfLine, at: number) => void): Map<PdfLine, PdfNote> {
  const marks: { line: PdfLine; at: number; label: string }[] = [];
  let after = { page: -1, line: -1 }; // the last mark's place
  pages.forEach((lines, p) =>
    lines.forEach((l, i) => {
      for (const m of bodyMarks(l, body))
        if (!called.get(l)?.has(m.at)) {
          marks.push({ line: l, ...m });
          after = { page: p, line: i };
        }
    }),
  );
  const starts: { line: PdfLine; note: PdfNote }[] = [];
  if (marks.length === 0) return new Map();
  pages.forEach((lines, p) =>
    lines.forEach((l, i) => {
      if (p < after.page || (p === after.page && i <= after.line) || l.size > NOTE_SIZE * body) return;
      const note = noteStart(l);
      if (note) starts.push({ line: l, note });
    }),
  );
  if (starts.length !== marks.length || marks.some((m, k) => m.label !== starts[k].note.label)) return new Map();
  for (const m of marks) call(m.line, m.at);
  return new Map(starts.map((s) => [s.line, s.note]));
}

interface NoteBlock {
  from: number;
  to: number;
  notes: PdfNote[];
}

/**
 * A page's footnotes: each block of small lines at the foot of the page or of a column
 * (lines[from, to): the lines before the page's end, a page number under them aside, or before
 * a line set higher up, the next column's first) whose first line starts with the label of a
 * raised mark in the page's body text; each line that starts with another such label starts
 * the next note. `carried`: the small lines at the top of the page's foot before its first
 * note (all of it when it has none), which may go on with the last page's note; `last`: the
 * page's last note when it ends the page.
 */
function pageNotes(lines: PdfLine[], body: number): { blocks: NoteBlock[]; carried: { from: number; to: number } | null; last: PdfNote | null } {
  const labels = new Set<string>();
  for (const l of lines) if (sizeKey(l.size) >= body) for (const m of l.marks ?? []) if (m.at > 0) labels.add(m.label);
  const small = (l: PdfLine) => l.size <= NOTE_SIZE * body;
  const startOf = (l: PdfLine) => {
    const s = noteStart(l);
    return s && labels.has(s.label) ? s : null;
  };
  let end = lines.length;
  while (end > 1 && /^[\divxlcdm]+$/i.test(lines[end - 1].text.trim())) end--;
  const feet = [end];
  for (let i = 1; i < end; i++) if (lines[i].y > lines[i - 1].y + lines[i - 1].size) feet.push(i);
  const blocks: NoteBlock[] = [];
  let carried: { from: number; to: number } | null = null;
  for (const to of feet.sort((a, b) => a - b)) {
    let from = to;
    while (from > 0 && small(lines[from - 1])) from--;
    const top = from;
    while (from < to && !startOf(lines[from])) from++; // the block starts at its first line that starts a note
    if (to === end && top < from) carried = { from: top, to: from };
    if (from >= to) continue;
    const notes: PdfNote[] = [];
    for (let i = from; i < to; i++) {
      const s = startOf(lines[i]);
      if (s) notes.push({ label: s.label, text: s.text });
      else notes[notes.length - 1].text = joinNoteLine(notes[notes.length - 1].text, lines[i].text);
    }
    blocks.push({ from, to, notes });
  }
  const final = blocks[blocks.length - 1];
  return { blocks, carried, last: final && final.to === end ? final.notes[final.notes.length - 1] : null };
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

/** A line as read: its marks that call a note as "[n]" (the others as printed), an endnote's label as "[n] ". */
function rendered(l: PdfLine, calls: Set<number> | undefined, note: PdfNote | undefined): PdfLine {
  if (note) return { ...plain(l), text: `[${note.label}] ${note.text}` };
  const marks = (l.marks ?? []).filter((m) => calls?.has(m.at));
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
