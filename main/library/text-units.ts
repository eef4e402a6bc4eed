// A book's text is counted in UTF-16 code units everywhere in tome (JavaScript's
// length, chapter starts, the reader's and the engine's character offsets), but
// SQLite's length() and substr() count code points: a character outside the Basic
// Multilingual Plane (an emoji, 𝔄, a CJK extension-B ideograph) is two units and
// one code point. The library keeps each book's length in units
// (documents.text_units) and the unit offsets of its astral characters
// (document_texts.astral_offsets), so a slice asked for in units is cut in code
// points at the same place, without reading the text to find out.
//   astral offsets: ascending unit offsets of each surrogate pair's high half,
//                   stored as a BLOB of little-endian uint32 (NULL: none)

const HIGH = /[\ud800-\udbff]/;

/** Unit offsets of the text's surrogate pairs, or null when it has none (most books). */
export function astralOffsets(text: string): Uint32Array | null {
  if (!HIGH.test(text)) return null;
  const found: number[] = [];
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) continue;
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) found.push(i++);
  }
  return found.length ? Uint32Array.from(found) : null;
}

export function astralBlob(offsets: Uint32Array | null): Buffer | null {
  if (!offsets) return null;
  const b = Buffer.alloc(offsets.length * 4);
  offsets.forEach((o, i) => b.writeUInt32LE(o, i * 4));
  return b;
}

export function astralFromBlob(blob: Uint8Array | null): Uint32Array | null {
  if (!blob || blob.length < 4) return null;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.length);
  const out = new Uint32Array(blob.length >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

/**
 * The code-point offset of unit offset `unit`: minus one for each pair that starts before it.
 * An offset between a pair's halves counts that pair as before it, so a slice starting there
 * takes the whole character and one ending there leaves it out (SQLite cannot cut a character).
 */
export function codePointOffset(astral: Uint32Array | null, unit: number): number {
  if (!astral) return unit;
  let lo = 0;
  let hi = astral.length; // pairs in [0, lo) start before unit
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (astral[mid] < unit) lo = mid + 1;
    else hi = mid;
  }
  return unit - lo;
}

/** SQL functions migration 007 calls to fill the new columns of books stored before it. */
export const textUnitFunctions = {
  tome_utf16_units: (text: unknown) => (typeof text === "string" ? text.length : 0),
  tome_astral_offsets: (text: unknown) => (typeof text === "string" ? astralBlob(astralOffsets(text)) : null),
};
