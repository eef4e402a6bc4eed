// OpenDocument texts (.odt, as LibreOffice and OpenOffice save them; Word and
// Google Docs export them too). The zip is checked as a Word document's is; an
// encrypted one (its manifest lists encryption data) is ENCRYPTED. content.xml's
// text is read by ./odt-text, divided into chapters as a Word document's is (its
// outline levels 1-3 and the Title style; ./docx-text's markup, ./html.ts's
// sections), its notes listed after it. Title and author: meta.xml, else the
// Title paragraph or the first level-1 heading.
import { unzipSync, strFromU8 } from "fflate";
import { hasEncryptedEntry } from "./epub";
import { checkUnpackedSize } from "./zip-size";
import { stripGutenbergChapters } from "./gutenberg";
import { sections } from "./html";
import { decodeXml, toMarkup, type BodyParagraph } from "./docx-text";
import { odtParagraphs, odtStyles, type OdtNote } from "./odt-text";
import { corrupt, empty, encrypted } from "./errors";
import type { IngestOptions, Ingested } from "./types";

const WHAT = "OpenDocument text";
const MIMETYPE = "application/vnd.oasis.opendocument.text";

export function readOdt(bytes: Uint8Array, opts: IngestOptions = {}): Ingested {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw corrupt(WHAT, "not a zip archive");
  if (hasEncryptedEntry(bytes)) throw encrypted(WHAT);
  checkUnpackedSize(bytes, undefined, WHAT);
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

  const { paragraphs, notes } = odtParagraphs(content, odtStyles(text("styles.xml"), content));
  const listed = (kind: OdtNote["kind"], heading: string): BodyParagraph[] => {
    const these = notes.filter((n) => n.kind === kind && n.paragraphs.length);
    if (!these.length) return [];
    const body = these.flatMap((n) => n.paragraphs.map((p, i) => ({ level: null, text: i === 0 ? `[${n.citation.trim()}] ${p.text}` : p.text })));
    return [{ level: 0, text: heading }, ...body];
  };
  const all = [...paragraphs, ...listed("footnote", "Notes"), ...listed("endnote", "Endnotes")];
  const meta = metaFields(text("meta.xml"));
  const titleParagraph = paragraphs.find((p) => p.level === "title")?.text ?? null;
  const { text: joined, chapters: found, firstH1 } = sections(toMarkup(all), meta.title ?? titleParagraph);
  const g = opts.skipBoilerplate === false ? null : stripGutenbergChapters(joined, found);
  const out = g?.text ?? joined;
  if (!out.trim()) throw empty(WHAT);
  return {
    format: "odt",
    title: g?.title ?? meta.title ?? titleParagraph ?? firstH1,
    author: g?.author ?? meta.author,
    text: out,
    chapters: g?.chapters ?? found,
    boilerplateSkipped: g?.skipped ?? false,
  };
}

function metaFields(xml: string | undefined): { title: string | null; author: string | null } {
  const field = (tag: string) => {
    const m = xml && new RegExp(`<${tag}\\b[^>]*>([^<]{1,2000})</${tag}>`).exec(xml);
    const v = m ? decodeXml(m[1]).replace(/\s+/g, " ").trim() : "";
    return v || null;
  };
  return { title: field("dc:title"), author: field("meta:initial-creator") ?? field("dc:creator") };
}
