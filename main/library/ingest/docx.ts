// Word documents (.docx: Office Open XML, as Word, LibreOffice and Google Docs
// save them). The zip is checked as an EPUB's is (a password-protected entry, what
// it unpacks to); the main part is found through the package's relationships, its
// text and headings read by ./docx-text (automatic numbers by ./docx-numbering:
// "2.1 Methods", "a) ..."), and divided into chapters as an HTML
// book is (./html.ts's sections: Heading 1-3 and the Title style). Footnotes and
// endnotes follow the text, under "Notes" and "Endnotes", numbered as their marks.
// Title and author: the document's properties (docProps/core.xml), else its Title
// paragraph or first Heading 1. Nothing is written to disk; macros never run.
//
// An encrypted .docx is not a zip but an OLE compound file holding an
// "EncryptedPackage": ENCRYPTED. Any other compound file is a Word 97-2003 .doc
// named .docx, read as one (./doc).
import * as path from "node:path";
import { unzipSync, strFromU8 } from "fflate";
import { checkZip } from "./zip-size";
import { NoteNumbers, paragraphs, readStyles } from "./docx-text";
import { notesSection, paragraphsBook, xmlField, type BodyParagraph } from "./document-book";
import { decodeEntities } from "./html-text";
import { readNumbering } from "./docx-numbering";
import { readDoc } from "./doc";
import { corrupt, encrypted } from "./errors";
import type { IngestOptions, Ingested } from "./types";

const WHAT = "Word document";
const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const OFFICE_DOCUMENT = /\/officeDocument$/;

export function readDocx(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  if (OLE_MAGIC.every((b, i) => bytes[i] === b)) {
    if (holdsUtf16(bytes, "EncryptedPackage")) throw encrypted(WHAT);
    return readDoc(bytes, opts);
  }
  checkZip(bytes, WHAT);
  const names = new Set<string>();
  try {
    unzipSync(bytes, { filter: (f) => (names.add(f.name), false) });
  } catch (e) {
    throw corrupt(WHAT, (e as Error).message);
  }
  const read = (want: string[]): Map<string, string> => {
    const wanted = new Set(want.filter((n) => names.has(n)));
    let files: Record<string, Uint8Array>;
    try {
      files = unzipSync(bytes, { filter: (f) => wanted.has(f.name) });
    } catch (e) {
      throw corrupt(WHAT, (e as Error).message);
    }
    return new Map(Object.entries(files).map(([n, b]) => [n, strFromU8(b)]));
  };

  const main = partTarget(read(["_rels/.rels"]).get("_rels/.rels"), "", OFFICE_DOCUMENT) ?? "word/document.xml";
  if (!names.has(main)) throw corrupt(WHAT, `no main document part (${main.slice(0, 100)})`);
  const dir = path.posix.dirname(main);
  const relsName = `${dir}/_rels/${path.posix.basename(main)}.rels`;
  const rels = read([relsName]).get(relsName);
  const part = (type: RegExp, fallback: string) => partTarget(rels, dir, type) ?? fallback;
  const stylesName = part(/\/styles$/, `${dir}/styles.xml`);
  const footnotesName = part(/\/footnotes$/, `${dir}/footnotes.xml`);
  const endnotesName = part(/\/endnotes$/, `${dir}/endnotes.xml`);
  const numberingName = part(/\/numbering$/, `${dir}/numbering.xml`);
  const xml = read([main, stylesName, footnotesName, endnotesName, numberingName, "docProps/core.xml"]);

  const styles = readStyles(xml.get(stylesName));
  const notes = new NoteNumbers();
  const body = paragraphs(xml.get(main) ?? "", styles, notes, readNumbering(xml.get(numberingName))).paragraphs;
  const noteText = (name: string, kind: "footnote" | "endnote", heading: string): BodyParagraph[] => {
    const source = xml.get(name);
    const marked = notes.order.filter((o) => o.kind === kind);
    if (!source || !marked.length) return [];
    const byNote = paragraphs(source, styles, null).byNote;
    return notesSection(heading, marked.map(({ id, n }) => ({ mark: String(n), paragraphs: byNote.get(id) ?? [] })));
  };
  const all = [...body, ...noteText(footnotesName, "footnote", "Notes"), ...noteText(endnotesName, "endnote", "Endnotes")];
  const props = xml.get("docProps/core.xml");
  return paragraphsBook("docx", WHAT, all, { title: xmlField(props, "dc:title"), author: xmlField(props, "dc:creator") }, opts);
}

/** The target of the first relationship of this type, as a zip entry name (relative to `dir`). */
function partTarget(rels: string | undefined, dir: string, type: RegExp): string | null {
  if (!rels) return null;
  for (const m of rels.matchAll(/<(?:\w+:)?Relationship\b([^>]*)>/g)) {
    const t = /\bType\s*=\s*"([^"]*)"/.exec(m[1])?.[1];
    const target = /\bTarget\s*=\s*"([^"]*)"/.exec(m[1])?.[1];
    if (!t || !target || !type.test(t) || /\bTargetMode\s*=\s*"External"/.test(m[1])) continue;
    const resolved = target.startsWith("/") ? target.slice(1) : path.posix.normalize(path.posix.join(dir, decodeEntities(target)));
    return resolved.startsWith("../") ? null : resolved;
  }
  return null;
}

/** Whether an OLE compound file names this stream (directory entries are UTF-16 LE). */
function holdsUtf16(bytes: Uint8Array, name: string): boolean {
  const needle = Buffer.from(name, "utf16le");
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle) >= 0;
}
