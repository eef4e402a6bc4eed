// OpenDocument texts (.odt, as LibreOffice and OpenOffice save them; Word and
// Google Docs export them too; and .fodt, LibreOffice's flat one-file XML). The zip is checked as a Word document's is; an
// encrypted one (its manifest lists encryption data) is ENCRYPTED. content.xml's
// text is read by ./odt-text, divided into chapters as a Word document's is (its
// outline levels 1-3 and the Title style; ./document-book's markup, ./html.ts's
// sections), its notes listed after it, its automatic numbers shown
// (./odt-numbering: "1.2", "a)", bullets). Title and author: meta.xml, else the
// Title paragraph or the first level-1 heading.
import { unzipSync, strFromU8 } from "fflate";
import { checkZip } from "./zip-size";
import { notesSection, paragraphsBook, xmlField } from "./document-book";
import { hiddenTextStyles, odtParagraphs, odtStyles, type OdtNote } from "./odt-text";
import { readOdtNumbering } from "./odt-numbering";
import { corrupt, encrypted } from "./errors";
import { decodeMarkup } from "./markup-encoding";
import { looksBinary } from "./decode";
import type { IngestOptions, Ingested } from "./types";

const WHAT = "OpenDocument text";
const MIMETYPE = "application/vnd.oasis.opendocument.text";

export function readOdt(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  checkZip(bytes, WHAT);
  const want = new Set(["mimetype", "META-INF/manifest.xml", "content.xml", "styles.xml", "meta.xml"]);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => want.has(f.name) });
  } catch (e) {
    throw corrupt(WHAT, (e as Error).message);
  }
  const text = (name: string) => (files[name] ? strFromU8(files[name]) : undefined);
  const mime = text("mimetype")?.trim();
  if (mime !== undefined && mime !== MIMETYPE) throw corrupt(WHAT, `it is ${mime.slice(0, 80)}, not a text document`);
  if (/<manifest:encryption-data\b/.test(text("META-INF/manifest.xml") ?? "")) throw encrypted(WHAT);
  const content = text("content.xml");
  if (content === undefined) throw corrupt(WHAT, "no content.xml");
  return odtBook(content, text("styles.xml"), text("meta.xml"), opts);
}

/**
 * A flat OpenDocument text (.fodt: LibreOffice's one-file XML): its content, styles and meta in
 * one <office:document>, read as an .odt's parts are.
 */
export function readFodt(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  if (looksBinary(bytes)) throw corrupt(`flat ${WHAT}`, "it holds binary data, not XML");
  const xml = decodeMarkup(bytes, (b) => new TextDecoder().decode(b));
  const root = /<([\w.-]+):document\b[^>]*>/.exec(xml.slice(0, 4096));
  if (!root) throw corrupt(`flat ${WHAT}`, "no <office:document> element");
  const mime = /\bmimetype\s*=\s*"([^"]*)"/.exec(root[0])?.[1];
  if (mime !== undefined && mime !== MIMETYPE) throw corrupt(`flat ${WHAT}`, `it is ${mime.slice(0, 80)}, not a text document`);
  return odtBook(xml, xml, xml, opts);
}

/** The book of an OpenDocument text's content, styles and meta (parts of a zip, or one flat document). */
function odtBook(content: string, styles: string | undefined, meta: string | undefined, opts: IngestOptions): Ingested {
  const { paragraphs, notes } = odtParagraphs(content, odtStyles(styles, content), readOdtNumbering(styles, content), hiddenTextStyles(styles, content));
  const listed = (kind: OdtNote["kind"], heading: string) =>
    notesSection(heading, notes.filter((n) => n.kind === kind).map((n) => ({ mark: n.citation.trim(), paragraphs: n.paragraphs })));
  const all = [...paragraphs, ...listed("footnote", "Notes"), ...listed("endnote", "Endnotes")];
  const author = xmlField(meta, "meta:initial-creator") ?? xmlField(meta, "dc:creator");
  return paragraphsBook("odt", WHAT, all, { title: xmlField(meta, "dc:title"), author }, opts);
}
