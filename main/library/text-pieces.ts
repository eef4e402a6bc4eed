// A book's text is stored in pieces of at most PIECE_UNITS UTF-16 code units
// (document_text, migration 007), each starting at its unit offset in the book.
// tome counts text in UTF-16 units everywhere (JavaScript's length, chapter
// starts, the reader's and the engine's offsets), where SQLite's length() and
// substr() count code points and read a value from its start: a slice from the
// middle of a 60M-character text took 0.3 s, and an emoji before it shifted it.
// A slice now reads the one or two pieces it falls in, cut in JavaScript.
// A piece never ends between a surrogate pair's halves (stored as UTF-8, a lone
// half would come back as U+FFFD), so its stored text is exactly its units.

export const PIECE_UNITS = 65536;

export interface TextPiece {
  start: number;
  text: string;
}

export function textPieces(text: string, size = PIECE_UNITS): TextPiece[] {
  const out: TextPiece[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + size);
    const last = text.charCodeAt(end - 1);
    // keep a pair together: end before it, or after it when it is all the piece holds (size 1)
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += end - 1 > start ? -1 : 1;
    out.push({ start, text: text.slice(start, end) });
    start = end;
  }
  return out;
}
