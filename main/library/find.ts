// Find in a book: every place its text holds a phrase, as a reader would look
// for it. Both sides are folded before they are compared:
//   case                 "alice" finds "Alice" (and "İ", "ß" fold as a whole)
//   accents              "Natasha" finds "Natásha" (marks dropped after NFD)
//   quotes and dashes    "don't" finds "don’t"; "--" and "—" are one dash alike
//   white space          a phrase found across a line break or a double space
// The folded text keeps, for each of its characters, the offset of the book's
// character it came from, so a match is given back as offsets into the book's
// own text (UTF-16 code units, as every offset in the library).
//
// Folding a book is one pass over its text (~0.3 s for War and Peace's 3.2M
// characters); the caller keeps the folded text of the book it searches.

export interface FoldedText {
  source: string;
  folded: string;
  /** at[i]: the offset in the book of folded[i]'s character; at[folded.length]: the book's length. */
  at: Int32Array;
}

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

/** The text folded (see the file's comment), each folded character mapped to its source. */
export function foldText(text: string): FoldedText {
  // folded code units and their sources, grown as folds lengthen the text ("ß" -> "ss")
  let out = new Uint16Array(text.length + 16);
  let at = new Int32Array(text.length + 17);
  let n = 0;
  const put = (unit: number, from: number) => {
    if (n === out.length) {
      const o = new Uint16Array(2 * out.length), a = new Int32Array(2 * out.length + 1);
      o.set(out);
      a.set(at);
      out = o;
      at = a;
    }
    out[n] = unit;
    at[n++] = from;
  };
  let space = false; // the last folded character was a space: a run of them folds to one
  let dash = false; // ... a dash: "--" (a typewriter's em dash) folds as "—" does
  for (let i = 0; i < text.length; ) {
    const u = text.charCodeAt(i);
    if (u < 0x80) {
      // ASCII, most of a book: inline
      if (u === 32 || (u >= 9 && u <= 13)) {
        if (!space) put(32, i);
        space = true;
        dash = false;
      } else {
        if (u !== 45 || !dash) put(u >= 65 && u <= 90 ? u + 32 : u === 96 ? 39 : u, i);
        space = false;
        dash = u === 45;
      }
      i++;
      continue;
    }
    const c = text.codePointAt(i)! > 0xffff ? text.slice(i, i + 2) : text[i];
    const f = foldCached(c);
    if (f === " ") {
      if (!space) put(32, i);
      space = true;
      dash = false;
    } else if (f) {
      if (f !== "-" || !dash) for (let k = 0; k < f.length; k++) put(f.charCodeAt(k), i);
      space = false;
      dash = f === "-";
    }
    i += c.length;
  }
  at[n] = text.length;
  let folded = "";
  for (let k = 0; k < n; k += 8192) folded += String.fromCharCode(...out.subarray(k, Math.min(n, k + 8192)));
  return { source: text, folded, at: at.slice(0, n + 1) };
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
      const last = text.at[i + q.length - 1];
      let end = text.at[i + q.length];
      if (end <= last) end = last + (text.source.codePointAt(last)! > 0xffff ? 2 : 1);
      matches.push({ start: text.at[i], end });
    }
  }
  return { matches, total };
}
