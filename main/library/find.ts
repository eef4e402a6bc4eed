// Find in a book: every place its text holds a phrase, as a reader would look
// for it. Both sides are folded before they are compared:
//   case                 "alice" finds "Alice" (and "İ", "ß" fold as a whole)
//   accents              "Natasha" finds "Natásha" (marks dropped after NFD)
//   quotes and dashes    "don't" finds "don’t"; "--" and "—" are one dash alike
//   white space          a phrase found across a line break or a double space
// A match is given back as offsets into the book's own text (UTF-16 code units,
// as every offset in the library). The folded text does not keep each of its
// characters' offset (4 bytes a character: 256 MB at the 64 MiB import limit):
// it keeps a mark every MARK_EVERY folded characters (where folding a source
// character began, and the fold's state there), and a match's offsets are found
// by folding again from the mark before it.
//
// Folding a book takes one pass over its text (~80 ms for War and Peace's 3.2M
// characters); foldTextInSlices does it a slice at a time between turns of the
// event loop, so that a long book does not stall the process that serves the
// window. The caller keeps the folded text of the book it searches.

export interface FoldedText {
  source: string;
  folded: string;
  /**
   * Marks, three ints each, in order: a folded length n, the source offset whose character's
   * fold starts there, and the fold's state before it (SPACE_BIT, DASH_BIT). One at least every
   * MARK_EVERY folded characters, the first at (0, 0, 0).
   */
  marks: Int32Array;
}

/** Folded characters between marks: a match's offsets cost a fold of about this many. */
const MARK_EVERY = 64;
/** Source characters folded between turns of the event loop (~5 ms). */
const SLICE_CHARS = 1 << 16;

export interface Found {
  start: number;
  end: number;
}

// (ASCII's backquote folds to ' in foldText's ASCII path)
const QUOTES: Record<string, string> = {
  "\u2018": "'", "\u2019": "'", "\u201A": "'", "\u201B": "'", "\u2032": "'", "\u00B4": "'",
  "\u201C": '"', "\u201D": '"', "\u201E": '"', "\u201F": '"', "\u2033": '"', "\u00AB": '"', "\u00BB": '"',
  "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
};
const MARK = /\p{M}/u;
const SPACE = /\s/;

// Case folds that lower case does not make.
const FOLDS: Record<string, string> = { "\u00DF": "ss", "\u1E9E": "ss", "\u0130": "i", "\u0131": "i", "\u03C2": "\u03C3" };

/** One non-ASCII character (code point) folded: " " for white space, "" when it folds away (a mark, a soft hyphen). */
function foldChar(c: string): string {
  const q = QUOTES[c] ?? FOLDS[c];
  if (q !== undefined) return q;
  if (SPACE.test(c)) return " ";
  if (c === "\u00AD") return "";
  let out = "";
  for (const p of c.normalize("NFD")) if (!MARK.test(p)) out += p;
  return out.toLowerCase();
}

// foldChar's answers: a book uses a few hundred distinct non-ASCII characters (bounded, so that
// a hostile text of many cannot grow it without end)
const folds = new Map<string, string>();
const MAX_FOLDS = 20_000;
function foldCached(c: string): string {
  let f = folds.get(c);
  if (f === undefined) {
    f = foldChar(c);
    if (folds.size < MAX_FOLDS) folds.set(c, f);
  }
  return f;
}

/** The fold's state between characters: a run of spaces, or of dashes, folds to one. */
const SPACE_BIT = 1;
const DASH_BIT = 2;

/**
 * Where a fold writes: its folded code units out[n - base] (grown as folds lengthen the text:
 * "ß" -> "ss"), the fold's state, the marks (none: not recorded), and `watch`, a folded index
 * whose source offset is wanted (`found`: that offset, -1 until folded).
 */
interface FoldSink {
  out: Uint16Array;
  base: number;
  n: number;
  state: number;
  marks: number[] | null;
  nextMark: number;
  watch: number;
  found: number;
}

const sink = (capacity: number, base: number, state: number, marks: number[] | null, watch = -1): FoldSink => ({
  out: new Uint16Array(capacity + 16),
  base,
  n: base,
  state,
  marks,
  nextMark: marks ? base : Infinity,
  watch,
  found: -1,
});

/**
 * Folds text from source offset i up to `to` (a surrogate pair across `to` whole), or until
 * the sink holds stopAt folded units; returns where it stopped (a code point boundary). One
 * loop, its state in locals, ASCII (most of a book) inline: about twice a bare copy loop's
 * time (~20 ns a character on the development VM, where a loop lowercasing into a buffer
 * takes ~10), where a callback a character took twice this.
 */
function foldRun(text: string, i: number, to: number, k: FoldSink, stopAt = Infinity): number {
  let out = k.out;
  let n = k.n;
  let state = k.state;
  let nextMark = k.nextMark;
  const { base, marks, watch } = k;
  while (i < to && n < stopAt) {
    if (n >= nextMark) {
      marks!.push(n, i, state);
      nextMark = n + MARK_EVERY;
    }
    if (n - base + 8 > out.length) {
      const grown = new Uint16Array(2 * out.length);
      grown.set(out);
      out = grown;
    }
    const u = text.charCodeAt(i);
    if (u < 0x80) {
      if (u === 32 || (u >= 9 && u <= 13)) {
        if (!(state & SPACE_BIT)) {
          if (n === watch) k.found = i;
          out[n++ - base] = 32;
        }
        state = SPACE_BIT;
      } else {
        if (u !== 45 || !(state & DASH_BIT)) {
          if (n === watch) k.found = i;
          out[n++ - base] = u >= 65 && u <= 90 ? u + 32 : u === 96 ? 39 : u;
        }
        state = u === 45 ? DASH_BIT : 0;
      }
      i++;
      continue;
    }
    const c = text.codePointAt(i)! > 0xffff ? text.slice(i, i + 2) : text[i];
    const f = foldCached(c);
    if (f === " ") {
      if (!(state & SPACE_BIT)) {
        if (n === watch) k.found = i;
        out[n++ - base] = 32;
      }
      state = SPACE_BIT;
    } else if (f) {
      if (f !== "-" || !(state & DASH_BIT)) {
        if (n - base + f.length > out.length) {
          const grown = new Uint16Array(2 * out.length + f.length);
          grown.set(out);
          out = grown;
        }
        for (let j = 0; j < f.length; j++) {
          if (n === watch) k.found = i;
          out[n++ - base] = f.charCodeAt(j);
        }
      }
      state = f === "-" ? DASH_BIT : 0;
    }
    i += c.length;
  }
  k.out = out;
  k.n = n;
  k.state = state;
  k.nextMark = nextMark;
  return i;
}

/** The sink's units as a string (Buffer's UTF-16 decoding keeps every unit, a lone surrogate too). */
function folded(source: string, k: FoldSink): FoldedText {
  const text = Buffer.from(k.out.buffer, k.out.byteOffset, 2 * k.n).toString("utf16le");
  return { source, folded: text, marks: Int32Array.from(k.marks!) };
}

/** The text folded (see the file's comment), at once. */
export function foldText(text: string): FoldedText {
  const k = sink(text.length, 0, 0, []);
  foldRun(text, 0, text.length, k);
  return folded(text, k);
}

/** The text folded a slice at a time, `pause()` awaited between slices (a turn of the event loop). */
export async function foldTextInSlices(text: string, pause: () => Promise<void>): Promise<FoldedText> {
  const k = sink(text.length, 0, 0, []);
  for (let i = 0; i < text.length; ) {
    i = foldRun(text, i, Math.min(text.length, i + SLICE_CHARS), k);
    if (i < text.length) await pause();
  }
  return folded(text, k);
}

/** The source offset of folded[k]'s character (the text's length for k = folded.length), folded again from the mark before k. */
export function sourceOffset(text: FoldedText, k: number): number {
  if (k >= text.folded.length) return text.source.length;
  // the last mark at or before k
  const marks = text.marks;
  let lo = 0;
  let hi = marks.length / 3 - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (marks[3 * mid] <= k) lo = mid;
    else hi = mid - 1;
  }
  const from = sink(2 * MARK_EVERY, marks[3 * lo], marks[3 * lo + 2], null, k);
  foldRun(text.source, marks[3 * lo + 1], text.source.length, from, k + 1);
  return from.found;
}

/** A phrase folded as the text is, its ends trimmed. */
export function foldQuery(query: string): string {
  return foldText(query.trim()).folded;
}

/**
 * Where the folded text holds the folded query: the first `limit` places (as offsets into the
 * book's text, in its order) and how many there are in all, counted up to `countUpTo`.
 */
export function findAll(text: FoldedText, query: string, limit: number, countUpTo = 10_000): { matches: Found[]; total: number } {
  const q = foldQuery(query);
  const matches: Found[] = [];
  let total = 0;
  if (!q) return { matches, total };
  for (let i = text.folded.indexOf(q); i >= 0 && total < countUpTo; i = text.folded.indexOf(q, i + q.length)) {
    total++;
    if (matches.length < limit) {
      // the match ends after its last folded character's source: where the next one's starts
      // (after any marks folded away), or past that code point when the next shares it ("ß")
      const last = sourceOffset(text, i + q.length - 1);
      let end = sourceOffset(text, i + q.length);
      if (end <= last) end = last + (text.source.codePointAt(last)! > 0xffff ? 2 : 1);
      matches.push({ start: sourceOffset(text, i), end });
    }
  }
  return { matches, total };
}
