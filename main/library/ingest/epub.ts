// EPUB books: the package (./epub-package: metadata, spine order) and each
// chapter's XHTML turned to text by ./html-text, read from the zip with fflate.
// A chapter is named by its file's first heading, else by the table of contents'
// entry for the file (the nav document's, else the NCX's), else by the file.
// The zip is checked first: DRM must be refused, and what it unpacks to is
// measured (./zip-size: a zip bomb would exhaust the app's memory). Nothing is
// written to disk.
import * as path from "node:path";
import { unzipSync, strFromU8 } from "fflate";
import { entryName, readPackage, rootfilePath, tocLabels } from "./epub-package";
import { htmlToText } from "./html-text";
import { decodeMarkup } from "./markup-encoding";
import { stripGutenbergChapters } from "./gutenberg";
import { corrupt, empty, encrypted } from "./errors";
import { checkUnpackedSize, hasEncryptedEntry } from "./zip-size";
import type { Chapter } from "../../ipc/contract";
import type { IngestOptions, Ingested } from "./types";

/** Font obfuscation (IDPF, Adobe) is allowed; any other encrypted entry is DRM. */
const FONT_OBFUSCATION = /http:\/\/www\.idpf\.org\/2008\/embedding|http:\/\/ns\.adobe\.com\/pdf\/enc#RC/;

/** Checks the zip (see the file comment); returns the names of its entries. */
export function checkEpubZip(bytes: Uint8Array): Set<string> {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw corrupt("EPUB", "not a zip archive");
  let files: Record<string, Uint8Array>;
  const names = new Set<string>();
  try {
    files = unzipSync(bytes, {
      filter: (f) => names.add(f.name) && (f.name === "META-INF/encryption.xml" || f.name === "META-INF/rights.xml" || f.name === "mimetype"),
    });
  } catch (e) {
    throw corrupt("EPUB", (e as Error).message);
  }
  if (files["META-INF/rights.xml"]) throw encrypted("EPUB");
  const enc = files["META-INF/encryption.xml"];
  if (enc) {
    const xml = strFromU8(enc);
    const methods = [...xml.matchAll(/EncryptionMethod[^>]*Algorithm="([^"]+)"/g)].map((m) => m[1]);
    if (methods.some((a) => !FONT_OBFUSCATION.test(a))) throw encrypted("EPUB");
  }
  // A password-protected zip entry (general purpose flag bit 0): the parser's jszip rejects it
  // in a promise nothing handles, so the import would never end (and `tome serve`, Node's
  // default on an unhandled rejection, would exit).
  if (hasEncryptedEntry(bytes)) throw encrypted("EPUB");
  const mime = files["mimetype"];
  if (mime && !strFromU8(mime).trim().startsWith("application/epub+zip")) throw corrupt("EPUB", "wrong mimetype entry");
  return names;
}

/** An EPUB's XML and XHTML files that declare no encoding are UTF-8 (XML's default). */
const utf8 = (b: Uint8Array) => new TextDecoder("utf-8").decode(b);

export async function readEpub(bytes: Uint8Array, opts: IngestOptions = {}): Promise<Ingested> {
  const entries = checkEpubZip(bytes);
  checkUnpackedSize(bytes);
  // entries by name, and by lower-case name for books whose manifest differs in case
  const lower = new Map([...entries].map((n) => [n.toLowerCase(), n]));
  const find = (name: string) => (entries.has(name) ? name : lower.get(name.toLowerCase()));
  const texts = (names: string[]): Map<string, string> => {
    const want = new Set(names);
    let files: Record<string, Uint8Array>;
    try {
      files = unzipSync(bytes, { filter: (f) => want.has(f.name) });
    } catch (e) {
      throw corrupt("EPUB", (e as Error).message);
    }
    return new Map(Object.entries(files).map(([n, b]) => [n, decodeMarkup(b, utf8)]));
  };
  const container = texts(["META-INF/container.xml"]).get("META-INF/container.xml");
  const opfPath = container === undefined ? null : rootfilePath(container);
  const opfEntry = opfPath === null ? undefined : find(entryName("", opfPath));
  if (opfEntry === undefined) throw corrupt("EPUB", "no package document (META-INF/container.xml names none that is in the file)");
  const pkg = readPackage(opfEntry, texts([opfEntry]).get(opfEntry)!);
  const linear = pkg.spine.filter((s) => s.linear);
  if (!linear.length) throw corrupt("EPUB", "the package lists no chapters (an empty spine)");
  const tocEntry = pkg.toc === null ? undefined : find(pkg.toc.entry);
  const html = texts([...linear.flatMap((s) => find(s.entry) ?? []), ...(tocEntry ? [tocEntry] : [])]);
  // the table of contents names a chapter whose file has no heading (LibreOffice's EPUBs have none)
  const labels = pkg.toc && tocEntry ? tocLabels(pkg.toc, html.get(tocEntry) ?? "") : new Map<string, string>();

  const parts: string[] = [];
  let chapters: Chapter[] = [];
  let offset = 0;
  for (const item of linear) {
    const name = find(item.entry);
    const { text, heading } = name === undefined ? { text: "", heading: null } : htmlToText(html.get(name) ?? "");
    // A chapter the zip lacks is marked where it was missing, so the reader and the model
    // see the gap instead of a book silently short.
    const missing = name === undefined;
    if (!text && !missing) continue;
    if (parts.length) offset += 2; // the "\n\n" joining parts
    if (!missing) chapters.push({ title: heading ?? labels.get(item.entry) ?? path.posix.basename(item.entry).replace(/\.x?html?$/i, ""), start: offset });
    const part = missing ? `[A chapter is missing from this EPUB file: ${item.entry.slice(0, 200)}]` : text;
    parts.push(part);
    offset += part.length;
  }
  const joined = parts.join("\n\n");
  const g = opts.skipBoilerplate === false ? null : stripGutenbergChapters(joined, chapters);
  const text = g?.text ?? joined;
  if (g) chapters = g.chapters;
  if (!chapters.length || !text.trim()) throw empty("EPUB");
  return {
    format: "epub",
    title: pkg.title,
    author: pkg.creators.join(", ") || null,
    text,
    chapters: dedupeStarts(chapters.filter((c) => c.start < text.length)),
    boilerplateSkipped: g?.skipped ?? false,
  };
}

function dedupeStarts(cs: Chapter[]): Chapter[] {
  return cs.filter((c, i) => i === 0 || c.start !== cs[i - 1].start);
}
