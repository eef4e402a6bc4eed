// EPUB books through @lingo-reader/epub-parser (spine order, metadata), each
// chapter's XHTML turned to text by ./html-text. The zip is checked first with
// fflate: the parser's zip layer (jszip) can fail outside its promise chain on a
// damaged file, which would take the process down; and DRM must be refused
// before parsing. Images and CSS the parser extracts go to a temp folder that is
// removed afterwards. What it unpacks to is measured first (./zip-size: a zip bomb
// would exhaust the app's memory inside the parser). The parser is given the book
// as a file in that folder, not as bytes: it names its input in a warning for each
// missing entry, and bytes are named by printing every one of them (a spine item
// missing from a 40 MiB EPUB made a 150M-character warning, ~1 GB of memory).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unzipSync, strFromU8 } from "fflate";
import { htmlToText } from "./html-text";
import { stripGutenberg } from "./gutenberg";
import { corrupt, empty, encrypted } from "./errors";
import { checkUnpackedSize } from "./zip-size";
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

/** A spine item's entry in the zip ("epub:OEBPS/ch%201.xhtml" -> "OEBPS/ch 1.xhtml"). */
function zipEntryOf(href: string): string {
  const p = href.replace(/^epub:/, "").replace(/#.*$/, "");
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

export async function readEpub(bytes: Uint8Array, opts: IngestOptions = {}): Promise<Ingested> {
  const entries = checkEpubZip(bytes);
  checkUnpackedSize(bytes);
  const { initEpubFile } = await import("@lingo-reader/epub-parser");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tome-epub-"));
  try {
    let epub: Awaited<ReturnType<typeof initEpubFile>>;
    const file = path.join(tmp, "book.epub");
    fs.writeFileSync(file, bytes);
    try {
      epub = await initEpubFile(file, path.join(tmp, "resources"));
    } catch (e) {
      throw corrupt("EPUB", (e as Error).message);
    }
    try {
      const meta = epub.getMetadata();
      const parts: string[] = [];
      const chapters: Chapter[] = [];
      let offset = 0;
      for (const item of epub.getSpine()) {
        if (item.linear === "no") continue;
        let html: string;
        try {
          html = (await epub.loadChapter(item.id)).html;
        } catch (e) {
          throw corrupt("EPUB", `chapter ${item.href}: ${(e as Error).message}`);
        }
        const { text, heading } = htmlToText(html);
        // A chapter the zip lacks (the parser warns and gives nothing) is marked where it was
        // missing, so the reader and the model see the gap instead of a book silently short.
        const missing = !text && !entries.has(zipEntryOf(item.href));
        if (!text && !missing) continue;
        if (parts.length) offset += 2; // the "\n\n" joining parts
        if (!missing) chapters.push({ title: heading ?? path.basename(item.href).replace(/\.x?html?$/i, ""), start: offset });
        const part = missing ? `[A chapter is missing from this EPUB file: ${zipEntryOf(item.href).slice(0, 200)}]` : text;
        parts.push(part);
        offset += part.length;
      }
      let text = parts.join("\n\n");
      let skipped = false;
      if (opts.skipBoilerplate !== false) {
        // Gutenberg EPUBs carry the licence as text too; shift chapter offsets by the cut.
        const g = stripGutenberg(text);
        if (g.skipped) {
          const cut = text.indexOf(g.text.slice(0, 200));
          text = g.text;
          skipped = true;
          for (const c of chapters) c.start = Math.max(0, c.start - Math.max(0, cut));
        }
      }
      if (!chapters.length || !text.trim()) throw empty("EPUB");
      const author = meta.creator?.map((c) => c.contributor).join(", ") || null;
      return {
        format: "epub",
        title: meta.title?.trim() || null,
        author,
        text,
        chapters: dedupeStarts(chapters.filter((c) => c.start < text.length)),
        boilerplateSkipped: skipped,
      };
    } finally {
      epub.destroy();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Whether an entry of the zip's central directory is flagged encrypted (bit 0). The directory
 * is walked from the end-of-central-directory record (ZIP64's when the classic one is
 * saturated); a directory that cannot be walked is left to the checks after this one.
 */
export function hasEncryptedEntry(bytes: Uint8Array): boolean {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => (at >= 0 && at + 4 <= bytes.length ? v.getUint32(at, true) : -1);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (u32(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return false;
  let count = v.getUint16(eocd + 10, true);
  let at = v.getUint32(eocd + 16, true);
  if ((count === 0xffff || at === 0xffffffff) && u32(eocd - 20) === 0x07064b50) {
    const z64 = Number(v.getBigUint64(eocd - 20 + 8, true));
    if (u32(z64) === 0x06064b50 && z64 + 56 <= bytes.length) {
      count = Number(v.getBigUint64(z64 + 32, true));
      at = Number(v.getBigUint64(z64 + 48, true));
    }
  }
  for (let i = 0; i < count && at + 46 <= bytes.length && u32(at) === 0x02014b50; i++) {
    if (v.getUint16(at + 8, true) & 1) return true;
    at += 46 + v.getUint16(at + 28, true) + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  }
  return false;
}

function dedupeStarts(cs: Chapter[]): Chapter[] {
  return cs.filter((c, i) => i === 0 || c.start !== cs[i - 1].start);
}
