// Bytes -> text for markup: an HTML book, an EPUB's XHTML chapters and package.
// The encoding is the first of:
//   a byte-order mark (UTF-8, UTF-16LE/BE);
//   what the file declares in its first 1024 bytes, as a browser's prescan reads
//   it: <?xml ... encoding="..."?>, <meta charset="...">, or the charset of a
//   <meta http-equiv="Content-Type" content="text/html; charset=...">;
//   the caller's fallback for undeclared bytes (XML's is UTF-8; an HTML file's,
//   the plain-text sniff of ./decode).
// A declaration read from ASCII-compatible bytes cannot be UTF-16 (it is wrong,
// and read as UTF-8, as browsers do); a label the runtime does not know falls
// back too. Windows-1252 (the label of latin1, iso-8859-1 and ascii alike) is
// decoded by hand (./decode's decode1252): a runtime without full ICU reads it
// as Latin-1.
import { decode1252, normalizeNewlines } from "./decode";

/** How far a declaration is looked for (HTML's prescan reads 1024 bytes). */
const PRESCAN = 1024;

export function decodeMarkup(bytes: Uint8Array, undeclared: (bytes: Uint8Array) => string): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return normalizeNewlines(new TextDecoder("utf-8").decode(bytes.subarray(3)));
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)))
    return normalizeNewlines(new TextDecoder(bytes[0] === 0xff ? "utf-16le" : "utf-16be").decode(bytes.subarray(2)));
  return normalizeNewlines(decodedAs(bytes, declaredEncoding(bytes)) ?? undeclared(bytes));
}

/**
 * The bytes decoded in the encoding a label names (a declaration's, a MIME part's charset), or
 * null when there is none, it names UTF-16 (wrong for bytes a label was read from as ASCII), or
 * the runtime does not know it.
 */
export function decodedAs(bytes: Uint8Array, label: string | null): string | null {
  if (!label || /^(?:utf-?16|ucs-?2|unicode)/i.test(label)) return null;
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label);
  } catch {
    return null;
  }
  return decoder.encoding === "windows-1252" ? decode1252(bytes) : decoder.decode(bytes);
}

/** The encoding an XML declaration or a <meta> names in the first PRESCAN bytes, or null. */
export function declaredEncoding(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, PRESCAN)).toString("latin1");
  const xml = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']/.exec(head);
  if (xml) return xml[1];
  for (const meta of head.matchAll(/<meta\b[^>]*>/gi)) {
    const charset = /\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})/i.exec(meta[0]);
    if (charset) return charset[1];
  }
  return null;
}
