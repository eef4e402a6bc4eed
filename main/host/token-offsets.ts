// Token -> character offset map for a document, so that positions the engine
// reports (token indices) become passages in the text (UTF-16 offsets).
// Detokenizing piece by piece and summing UTF-8 byte lengths gives each token's
// byte start in the detokenized text; SentencePiece adds one leading space that
// the original lacks, which is shifted away. Byte starts are then converted to
// UTF-16 offsets in one merged walk over the text (both sequences increase).

/** pieces[i] = UTF-8 bytes of token i (model.tokenToPiece). Returns starts[i] (UTF-16). */
export function tokenCharOffsets(text: string, pieces: ArrayLike<Uint8Array>): Int32Array {
  const lengths = Int32Array.from({ length: pieces.length }, (_, i) => pieces[i].length);
  return offsetsFromLengths(text, lengths, pieces.length > 0 && pieces[0][0] === 0x20);
}

/**
 * The same for a whole document's tokens, asking `piece` once per distinct token id: a
 * piece per token (War and Peace: 1.9M Buffers) held ~800 MB of the engine's memory.
 */
export function documentTokenStarts(text: string, tokens: Int32Array, piece: (id: number) => Uint8Array): Int32Array {
  const known = new Map<number, number>();
  const lengths = new Int32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    let n = known.get(tokens[i]);
    if (n === undefined) known.set(tokens[i], (n = piece(tokens[i]).length));
    lengths[i] = n;
  }
  return offsetsFromLengths(text, lengths, tokens.length > 0 && piece(tokens[0])[0] === 0x20);
}

/** lengths[i] = UTF-8 byte length of token i's piece; leadingSpace: the first piece starts with " ". */
function offsetsFromLengths(text: string, lengths: Int32Array, leadingSpace: boolean): Int32Array {
  const n = lengths.length;
  const byteStarts = new Float64Array(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    byteStarts[i] = pos;
    pos += lengths[i];
  }
  // SentencePiece's space prefix: the detokenized text starts with " ", the text does not.
  const shift = leadingSpace && !text.startsWith(" ") ? 1 : 0;

  const out = new Int32Array(n);
  let bytePos = 0; // byte offset of text[utf16Pos]
  let utf16Pos = 0;
  for (let i = 0; i < n; i++) {
    const target = Math.max(0, byteStarts[i] - shift);
    // advance whole code points while the next one starts at or before target
    while (utf16Pos < text.length) {
      const cp = text.codePointAt(utf16Pos)!;
      const len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytePos + len > target) break;
      bytePos += len;
      utf16Pos += cp >= 0x10000 ? 2 : 1;
    }
    out[i] = utf16Pos;
  }
  return out;
}

/** The token index whose span holds character offset `ch` (binary search). */
export function tokenAtChar(starts: Int32Array, ch: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= ch) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
