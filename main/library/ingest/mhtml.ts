// Web pages saved as one file (.mhtml, .mht: a browser's "Webpage, Single File"):
// a MIME message (RFC 2557) whose first text/html part is the page, its images
// and styles in the parts after it. That part is taken out (quoted-printable or
// base64 undone, decoded in the charset its header names, else as an HTML file
// is) and read as an HTML book (./html). The other parts are not read.
import { decodeText } from "./decode";
import { htmlBook } from "./html";
import { decodedAs, decodeMarkup } from "./markup-encoding";
import { corrupt, empty } from "./errors";
import type { IngestOptions, Ingested } from "./types";

interface Part {
  headers: Map<string, string>;
  body: string; // latin1: one character a byte
}

export function readMhtml(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  const message = parsePart(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1"));
  if (!message.headers.has("content-type")) throw corrupt("MHTML", "it is not a MIME message (no Content-Type header)");
  const page = htmlPart(message);
  if (!page) throw empty("MHTML file");
  const raw = transferDecoded(page);
  const charset = parameter(page.headers.get("content-type") ?? "", "charset");
  return htmlBook(decodedIn(raw, charset), opts);
}

/** Multiparts nested in one another at most (a browser writes one; a deeper file is refused, not recursed into). */
const MAX_NESTING = 8;

/** The first text/html part: the message itself, or the first in a multipart's (nested ones too). */
function htmlPart(part: Part, depth = 0): Part | null {
  const type = part.headers.get("content-type") ?? "text/plain";
  if (/^text\/html\b/i.test(type)) return part;
  if (!/^multipart\//i.test(type)) return null;
  if (depth >= MAX_NESTING) throw corrupt("MHTML", `multiparts nested more than ${MAX_NESTING} deep`);
  const boundary = parameter(type, "boundary");
  if (!boundary) throw corrupt("MHTML", "a multipart section names no boundary");
  for (const body of multipartBodies(part.body, boundary)) {
    const found = htmlPart(parsePart(body), depth + 1);
    if (found) return found;
  }
  return null;
}

/** A part's header fields (names lower-cased, folded lines unfolded) and its body. */
function parsePart(s: string): Part {
  const end = /\r?\n\r?\n/.exec(s);
  const head = end ? s.slice(0, end.index) : s;
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: end ? s.slice(end.index + end[0].length) : "" };
}

/** The bodies between a multipart's boundary lines ("--boundary"), up to its closing one ("--boundary--"). */
function multipartBodies(body: string, boundary: string): string[] {
  const delimiter = "--" + boundary;
  const bodies: string[] = [];
  let at = body.startsWith(delimiter) ? 0 : body.indexOf("\n" + delimiter);
  while (at >= 0) {
    const lineEnd = body.indexOf("\n", at + 1);
    const line = body.slice(at, lineEnd < 0 ? body.length : lineEnd).trim();
    if (line.startsWith(delimiter + "--") || lineEnd < 0) break;
    const next = body.indexOf("\n" + delimiter, lineEnd);
    bodies.push(body.slice(lineEnd + 1, next < 0 ? body.length : next).replace(/\r$/, ""));
    at = next;
  }
  return bodies;
}

/** A header's parameter (`boundary="..."`, `charset=utf-8`), or null. */
function parameter(header: string, name: string): string | null {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^\\s;]+))`, "i").exec(header);
  return m ? (m[1] ?? m[2]) : null;
}

/** The part's bytes with its transfer encoding undone (quoted-printable, base64; others as they are). */
function transferDecoded(part: Part): Uint8Array {
  const encoding = (part.headers.get("content-transfer-encoding") ?? "").toLowerCase();
  if (encoding === "base64") return Buffer.from(part.body.replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
  const latin1 =
    encoding === "quoted-printable"
      ? part.body.replace(/=\r?\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      : part.body;
  return Buffer.from(latin1, "latin1");
}

/** The page's bytes as text: in the part's charset when it names one the runtime knows, else as an HTML file is decoded. */
function decodedIn(bytes: Uint8Array, charset: string | null): string {
  return decodedAs(bytes, charset) ?? decodeMarkup(bytes, (b) => decodeText(b).text);
}
