// Bytes -> text for plain-text books: UTF-8 with or without BOM, UTF-16 with a
// BOM or without one (recognised by its zero bytes: Windows' "Unicode" text
// files of ASCII-range text; or by its characters in Chinese, Japanese and
// Korean text), the legacy CJK and Cyrillic encodings (legacy-encodings.ts), and
// Latin-1 (really Windows-1252, its superset used by old Gutenberg and Windows
// files) when the bytes are none of these. Bytes
// that are UTF-8 but for a few bad ones (a download cut mid-character, one
// stray byte pasted from elsewhere) stay UTF-8, the bad bytes becoming U+FFFD:
// read as Windows-1252, every accented letter and curly quote of the book would
// turn to mojibake ("â€œ"). Line endings -> "\n".

import { cjkUtf16, legacyEncoding, type LegacyEncoding } from "./legacy-encodings";

export interface Decoded {
  text: string;
  encoding: "utf-8" | "utf-16le" | "utf-16be" | "windows-1252" | LegacyEncoding;
}

export function decodeText(bytes: Uint8Array): Decoded {
  return new Sniff(bytes).decode();
}

/** True when the bytes look like binary data rather than text (NULs, many control bytes). */
export function looksBinary(bytes: Uint8Array): boolean {
  return new Sniff(bytes).binary();
}

/** A text file: its bytes decoded, or null when they look like binary data. One look at the
 *  bytes serves both questions (the UTF-16 tests read the same sample for each). */
export function readTextFile(bytes: Uint8Array): Decoded | null {
  const sniff = new Sniff(bytes);
  return sniff.binary() ? null : sniff.decode();
}

/** The tests on one file's bytes, each run at most once. */
class Sniff {
  private utf16: "utf-16le" | "utf-16be" | null | undefined;
  private cjk: "utf-16le" | "utf-16be" | null | undefined;
  constructor(private readonly bytes: Uint8Array) {}

  private utf16WithoutBom() {
    if (this.utf16 === undefined) this.utf16 = utf16WithoutBom(this.bytes);
    return this.utf16;
  }
  private cjkUtf16() {
    if (this.cjk === undefined) this.cjk = cjkUtf16(this.bytes);
    return this.cjk;
  }
  private bom(): 0 | 2 | 3 {
    const b = this.bytes;
    if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 3;
    return (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff) ? 2 : 0;
  }

  decode(): Decoded {
    const bytes = this.bytes;
    const bom = this.bom();
    const encoding: Decoded["encoding"] =
      bom === 3 ? "utf-8"
      : bom === 2 ? (bytes[0] === 0xff ? "utf-16le" : "utf-16be")
      : this.utf16WithoutBom() ?? (mostlyUtf8(bytes) ? "utf-8" : (this.cjkUtf16() ?? legacyEncoding(bytes) ?? "windows-1252"));
    const body = bytes.subarray(bom);
    let text: string;
    if (encoding === "windows-1252") text = decode1252(body);
    // stream: an incomplete last character (a file cut short) is left out rather than shown as U+FFFD
    else if (encoding === "utf-8") text = new TextDecoder("utf-8").decode(body, { stream: true });
    else text = new TextDecoder(encoding).decode(body);
    return { text: normalizeNewlines(text), encoding };
  }

  binary(): boolean {
    const bytes = this.bytes;
    const n = Math.min(bytes.length, SAMPLE);
    if (n === 0) return false;
    // UTF-16 (with a BOM or recognised without one) has NULs but is text.
    if (this.bom() === 2 || this.utf16WithoutBom()) return false;
    let ctrl = 0;
    let nul = false;
    for (let i = 0; i < n && !nul; i++) {
      const b = bytes[i];
      nul = b === 0;
      if (b < 9 || (b > 13 && b < 32)) ctrl++;
    }
    // CJK text in UTF-16 has NULs (its ASCII) and control bytes (the low bytes of its characters)
    return (nul || ctrl / n > 0.05) && this.cjkUtf16() === null;
  }
}

// Windows-1252 differs from Latin-1 only in 0x80-0x9F (curly quotes, dashes, ...).
// Done by hand: Node builds without full ICU decode "windows-1252" as plain Latin-1.
const CP1252_80_9F =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

/** Latin-1 decoding (Node's, byte b -> U+00b) with 0x80-0x9F mapped as Windows-1252 does. */
export function decode1252(bytes: Uint8Array): string {
  // Not a string built byte by byte: that took ~17 s for 60 MB, blocking the app's main process.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString("latin1")
    .replace(/[\x80-\x9f]/g, (c) => CP1252_80_9F[c.charCodeAt(0) - 0x80]);
}

/**
 * UTF-8 with at most one bad byte for four well-formed multi-byte characters: text that was
 * UTF-8, damaged here and there. Windows-1252 text almost never forms a well-formed UTF-8
 * sequence (that takes a letter such as "Ã" followed by a symbol such as "©"), so its bad bytes
 * far outnumber its good sequences. A sequence cut off by the end of the file (a cut download)
 * counts as bad only when nothing else in the file is UTF-8.
 */
function mostlyUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    /* counted below */
  }
  let good = 0;
  let bad = 0;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const n = sequenceLength(bytes, i);
    if (n > 0) {
      good++;
      i += n;
    } else if (n < 0) {
      // cut off at the end: a sign only next to good sequences (a Windows-1252 "café" ends in 0xE9 too)
      if (good === 0) bad++;
      break;
    } else {
      bad++;
      i++;
    }
  }
  return good >= 4 * bad;
}

/** Length of the well-formed UTF-8 sequence at i (Unicode table 3-7), 0 if ill-formed, -1 if cut off by the end. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) n = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    n = 3;
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return 0;
  for (let k = 1; k < n; k++) {
    if (i + k >= bytes.length) return -1;
    const c = bytes[i + k];
    if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return 0;
  }
  return n;
}

const SAMPLE = 8192;

/**
 * UTF-16 without a byte order mark, told by where its zero bytes fall in the first 8 KiB:
 * text in the ASCII and Latin-1 range has a zero as every character's high byte (odd offsets
 * in little-endian, even in big-endian) and almost never in its low byte; and what it decodes
 * to must read as text (few control characters), or it is binary data after all.
 */
export function utf16WithoutBom(bytes: Uint8Array): "utf-16le" | "utf-16be" | null {
  const n = Math.min(bytes.length, SAMPLE) & ~1;
  if (n < 4) return null;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) zeroEven++;
    if (bytes[i + 1] === 0) zeroOdd++;
  }
  const pairs = n / 2;
  const enc = zeroOdd >= 0.1 * pairs && zeroEven <= 0.01 * pairs ? "utf-16le" : zeroEven >= 0.1 * pairs && zeroOdd <= 0.01 * pairs ? "utf-16be" : null;
  if (!enc) return null;
  let sample: string;
  try {
    sample = new TextDecoder(enc, { fatal: true }).decode(bytes.subarray(0, n));
  } catch {
    if (n === bytes.length) return null;
    sample = new TextDecoder(enc).decode(bytes.subarray(0, n)); // the sample may end inside a surrogate pair
  }
  let ctrl = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c < 9 || (c > 13 && c < 32) || c === 0xfffd) ctrl++;
  }
  return ctrl <= 0.05 * sample.length ? enc : null;
}

/** CRLF and lone CR -> LF; a stray BOM and NULs removed. */
export function normalizeNewlines(s: string): string {
  return s.replace(/\r\n?/g, "\n").replace(/^\ufeff/, "").replace(/\0/g, "");
}
