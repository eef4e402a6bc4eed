// EPUB books: the package (./epub-package: metadata, spine order) and each
// chapter's XHTML turned to text by ./html-text, read from the zip with fflate.
// A chapter is a spine file, named by its first heading, else by the table of
// contents' entry for the file (the nav document's, else the NCX's), else by the
// file. A file the table of contents points into at two places or more (a whole
// book in one file, as pandoc writes it) is cut there, each part a chapter named
// by its entry.
// The zip is checked first: DRM must be refused, and what it unpacks to is
// measured (./zip-size: a zip bomb would exhaust the app's memory). Nothing is
// written to disk.
import * as path from "node:path";
import { unzipSync, strFromU8 } from "fflate";
import { entryName, readPackage, rootfilePath, tocEntries, type TocEntry } from "./epub-package";
import { htmlToText } from "./html-text";
import { JoinedText } from "./chapters";
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
  // the table of contents' entries by the file they point into
  const toc = new Map<string, TocEntry[]>();
  for (const e of pkg.toc && tocEntry ? tocEntries(pkg.toc, html.get(tocEntry) ?? "") : []) toc.set(e.entry, [...(toc.get(e.entry) ?? []), e]);

  const book = new JoinedText();
  let chapters: Chapter[] = [];
  for (const item of linear) {
    const name = find(item.entry);
    // A chapter the zip lacks is marked where it was missing, so the reader and the model
    // see the gap instead of a book silently short.
    if (name === undefined) {
      book.add(`[A chapter is missing from this EPUB file: ${item.entry.slice(0, 200)}]`);
      continue;
    }
    const entries = toc.get(item.entry) ?? [];
    // the table of contents names a chapter whose file has no heading (LibreOffice's EPUBs have none)
    const fileLabel = entries[0]?.label ?? path.posix.basename(item.entry).replace(/\.x?html?$/i, "");
    for (const [i, piece] of pieces(html.get(name) ?? "", entries).entries()) {
      const { text, heading } = htmlToText(piece.markup);
      if (!text) continue;
      chapters.push({ title: i === 0 ? (heading ?? fileLabel) : piece.label!, start: book.add(text) });
    }
  }
  const joined = book.text;
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

/**
 * A spine file's markup cut at the places its table of contents' entries point to (by an
 * element's id, or an old anchor's name), when they are two or more: the part before the first
 * (unnamed), then one part per place, named by its entry. Fewer places: the file whole.
 */
function pieces(markup: string, entries: TocEntry[]): { markup: string; label: string | null }[] {
  if (entries.filter((e) => e.fragment !== null).length < 2) return [{ markup, label: null }];
  // where each id (or name) first stands: its tag's "<", all found in one pass
  const ids = new Map<string, number>();
  for (const m of markup.matchAll(/<[^<>]*?\s(?:id|name)\s*=\s*["']([^"'<>]*)["']/g)) if (!ids.has(m[1])) ids.set(m[1], m.index!);
  const places: { at: number; label: string }[] = [];
  const taken = new Set<number>();
  for (const e of entries) {
    const at = e.fragment === null ? undefined : ids.get(e.fragment);
    if (at === undefined || taken.has(at)) continue;
    taken.add(at);
    places.push({ at, label: e.label });
  }
  if (places.length < 2) return [{ markup, label: null }];
  places.sort((a, b) => a.at - b.at);
  return [
    { markup: markup.slice(0, places[0].at), label: null },
    ...places.map((p, i) => ({ markup: markup.slice(p.at, places[i + 1]?.at ?? markup.length), label: p.label })),
  ];
}
