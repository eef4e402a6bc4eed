// Bytes -> text for plain-text books: UTF-8 with or without BOM, UTF-16 with a
// BOM, and Latin-1 (really Windows-1252, its superset used by old Gutenberg and
// Windows files) when the bytes are not valid UTF-8. Line endings -> "\n".

export interface Decoded {
  text: string;
  encoding: "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";
}

export function decodeText(bytes: Uint8Array): Decoded {
  let encoding: Decoded["encoding"];
  let body = bytes;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    encoding = "utf-8";
    body = bytes.subarray(3);
  } else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    encoding = "utf-16le";
    body = bytes.subarray(2);
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    encoding = "utf-16be";
    body = bytes.subarray(2);
  } else {
    encoding = isUtf8(bytes) ? "utf-8" : "windows-1252";
  }
  const text = encoding === "windows-1252" ? decode1252(body) : new TextDecoder(encoding).decode(body);
  return { text: normalizeNewlines(text), encoding };
}

// Windows-1252 differs from Latin-1 only in 0x80-0x9F (curly quotes, dashes, ...).
// Done by hand: Node builds without full ICU decode "windows-1252" as plain Latin-1.
const CP1252_80_9F =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

export function decode1252(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    const chunk = bytes.subarray(i, i + 8192);
    let s = "";
    for (const b of chunk) s += b >= 0x80 && b < 0xa0 ? CP1252_80_9F[b - 0x80] : String.fromCharCode(b);
    out += s;
  }
  return out;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** CRLF and lone CR -> LF; a stray BOM and NULs removed. */
export function normalizeNewlines(s: string): string {
  return s.replace(/\r\n?/g, "\n").replace(/^\ufeff/, "").replace(/\0/g, "");
}

/** True when the bytes look like binary data rather than text (NULs, many control bytes). */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  if (n === 0) return false;
  // UTF-16 with a BOM has NULs but is text.
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return false;
  let ctrl = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32)) ctrl++;
  }
  return ctrl / n > 0.05;
}
