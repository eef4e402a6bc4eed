// PDF books through pdfjs-dist's text layer (legacy build: runs in plain Node
// without a DOM), its printed lines joined back into paragraphs across pages
// (./pdf-layout); chapters come from the
// outline when the PDF has one (its entries to depth 3, each mapped to the line it
// points at), else from
// headings in the text. Footnotes are listed after the text under "Notes", their
// marks read "[n]" (./pdf-notes). Scans without a text layer are refused as empty;
// a file whose streams unpack past a cap is refused first (./pdf-size).
import { stripGutenbergChapters } from "./gutenberg";
import { deepestListedLevel, findChapters } from "./chapters";
import { corrupt, empty, encrypted } from "./errors";
import { checkPdfInflatedSize } from "./pdf-size";
import { layOut, type LaidOut } from "./pdf-layout";
import { joinedName } from "./html";
import { pageLines, type PdfLine, type PdfRun } from "./pdf-lines";
import { footnotesOut, notesText } from "./pdf-notes";
import type { Chapter } from "../../ipc/contract";
import type { IngestOptions, Ingested } from "./types";

type PdfJs = typeof import("pdfjs-dist/legacy/build/pdf.mjs", { with: { "resolution-mode": "import" } });
let pdfjs: Promise<PdfJs> | undefined;

export async function readPdf(bytes: Uint8Array, opts: IngestOptions = {}): Promise<Ingested> {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString("latin1");
  if (!head.includes("%PDF-")) throw corrupt("PDF", "no PDF header");
  checkPdfInflatedSize(bytes); // before pdfjs holds a stream's decoded bytes (./pdf-size)
  pdfjs ??= import("pdfjs-dist/legacy/build/pdf.mjs");
  const lib = await pdfjs;
  let doc: Awaited<ReturnType<PdfJs["getDocument"]>["promise"]>;
  try {
    // pdfjs takes ownership of (detaches) the buffer it is given: pass a copy.
    doc = await lib.getDocument({
      data: new Uint8Array(bytes),
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      verbosity: 0,
    }).promise;
  } catch (e) {
    const err = e as { name?: string; message?: string };
    if (err.name === "PasswordException") throw encrypted("PDF");
    throw corrupt("PDF", err.message);
  }
  try {
    const pages: PdfLine[][] = [];
    for (let p = 1; p <= doc.numPages; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      const runs: PdfRun[] = [];
      for (const item of content.items)
        if ("str" in item) runs.push({ str: item.str, x: item.transform[4], y: item.transform[5], width: item.width, height: item.height, hasEOL: item.hasEOL });
      page.cleanup();
      pages.push(pageLines(runs));
    }
    const { pages: bodies, notes } = footnotesOut(pages);
    const laid = layOut(bodies);
    const info = ((await doc.getMetadata().catch(() => null))?.info ?? {}) as { Title?: string; Author?: string };
    const outlined = await outlineChapters(doc, laid);
    const g = opts.skipBoilerplate === false ? null : stripGutenbergChapters(laid.text, outlined);
    const bodyText = g?.text ?? laid.text;
    let chapters = g?.chapters ?? outlined;
    const skipped = g?.skipped ?? false;
    if (!bodyText.trim()) throw empty("PDF");
    if (chapters.length === 0) chapters = findChapters(bodyText, { requireBlankLine: false });
    // the notes after the text, a chapter of their own
    const listed = notesText(notes);
    const text = listed ? bodyText.replace(/\s*$/, "\n\n") + listed : bodyText;
    if (listed) chapters = [...chapters, { title: "Notes", start: text.length - listed.length }];
    return {
      format: "pdf",
      title: info.Title?.trim() || firstLine(text),
      author: pdfAuthor(info.Author, text),
      text,
      chapters,
      boilerplateSkipped: skipped,
    };
  } finally {
    await doc.destroy();
  }
}

/**
 * The book's author: the PDF's Author field unless the text never names it (it is often the
 * person or tool that made the file: Alice's Gutenberg PDF says "Chuck") while a byline near
 * the start ("By Lewis Carroll" on a line of its own) does.
 */
export function pdfAuthor(infoAuthor: string | undefined, text: string): string | null {
  const meta = infoAuthor?.trim() || null;
  const head = text.slice(0, 5000);
  if (meta && head.toLowerCase().includes(meta.toLowerCase())) return meta;
  const byline = /^[ \t]*by[ \t]+((?:[A-Z][\w.'\u2019-]*[ \t]*){1,5})$/im.exec(head)?.[1]?.trim();
  return byline || meta;
}

type PdfDoc = Awaited<ReturnType<PdfJs["getDocument"]>["promise"]>;

type OutlineItem = NonNullable<Awaited<ReturnType<PdfDoc["getOutline"]>>>[number];

/** Outline entries nested deeper than this are not chapters (as headings past <h3> are not). */
const MAX_OUTLINE_DEPTH = 3;

/**
 * The outline's entries as chapters, nested ones too (depths 1-3, the deepest left out when
 * there are more than the reader lists, as headings are): entries that point at one place (a
 * part and its first chapter) are one chapter named by both ("Part One · Chapter 1").
 */
async function outlineChapters(doc: PdfDoc, laid: LaidOut): Promise<Chapter[]> {
  const outline = await doc.getOutline().catch(() => null);
  if (!outline) return [];
  const flat: { item: OutlineItem; depth: number }[] = [];
  const walk = (items: OutlineItem[], depth: number) => {
    for (const item of items) {
      flat.push({ item, depth });
      if (depth < MAX_OUTLINE_DEPTH && item.items?.length) walk(item.items, depth + 1);
    }
  };
  walk(outline, 1);
  const deepest = deepestListedLevel(flat.map((f) => f.depth));
  const found: (Chapter & { order: number })[] = [];
  for (const [order, { item, depth }] of flat.entries()) {
    if (depth > deepest) continue;
    try {
      const dest = typeof item.dest === "string" ? await doc.getDestination(item.dest) : item.dest;
      if (!dest || typeof dest[0] !== "object") continue;
      const pageIndex = await doc.getPageIndex(dest[0] as never);
      found.push({ title: item.title.trim(), start: destinationOffset(laid, pageIndex, destinationTop(dest)), order });
    } catch {
      /* an outline entry pointing nowhere is skipped */
    }
  }
  found.sort((a, b) => a.start - b.start || a.order - b.order);
  const places: { start: number; names: string[] }[] = [];
  for (const c of found) {
    const last = places[places.length - 1];
    if (last?.start === c.start) last.names.push(c.title);
    else places.push({ start: c.start, names: [c.title] });
  }
  return places.map((p) => ({ title: joinedName(p.names), start: p.start }));
}

/** How high on its page a destination points ([page, /XYZ, left, top, zoom], /FitH or /FitBH top), or null. */
export function destinationTop(dest: unknown[]): number | null {
  const kind = (dest[1] as { name?: string } | undefined)?.name;
  const top = kind === "XYZ" ? dest[3] : kind === "FitH" || kind === "FitBH" ? dest[2] : null;
  return typeof top === "number" && Number.isFinite(top) ? top : null;
}

/**
 * Where in the text a destination on a page points: the first line there whose top is at or
 * under `top` (a chapter that starts halfway down a page starts there), else the page's start.
 */
export function destinationOffset(laid: LaidOut, pageIndex: number, top: number | null): number {
  const page = laid.pageStarts[pageIndex] ?? 0;
  if (top === null) return page;
  const line = laid.lineStarts[pageIndex]?.find((l) => l.top <= top + 2);
  return line?.offset ?? page;
}

/** A short first line makes a fair title for a PDF without one in its metadata (a title page). */
function firstLine(text: string): string | null {
  const line = text.trim().split("\n", 1)[0]?.trim() ?? "";
  return line.length > 0 && line.length <= 80 ? line : null;
}
