// How much a PDF's Flate streams inflate to, measured before pdfjs reads it:
// pdfjs keeps a stream's whole decoded bytes in memory, so a 64 MiB file whose
// page content inflates ~1000:1 (a "PDF bomb") would take the app down inside
// the text extraction. Each `stream ... endstream` whose dictionary names
// FlateDecode is inflated (node's zlib, stopped at the cap it may still use:
// that much memory at most, for a moment) and counted; a stream that does not
// inflate is left to pdfjs (which says whether the file is damaged). Other
// filters (LZW, run-length) are not measured: they pack far less (LZW ~100:1 at
// best), and the import size limit bounds them. Alice's PDF: 80 streams, ~50 ms.
import * as zlib from "node:zlib";
import { AppError } from "../../ipc/errors";

/** One stream's inflated size at most (a page's content, a font, an image: far less in a book). */
export const MAX_STREAM_BYTES = 128 * 2 ** 20;
/** All streams together at most. */
export const MAX_PDF_INFLATED_BYTES = 1024 * 2 ** 20;

const DICT_LOOKBACK = 2048; // how far before `stream` its dictionary is looked for

const tooLarge = (what: string) =>
  new AppError("TOO_LARGE", `This PDF ${what}; tome reads PDFs whose streams unpack to less.`);

/** Throws TOO_LARGE when a Flate stream inflates past maxStream bytes, or all of them past maxTotal. */
export function checkPdfInflatedSize(bytes: Uint8Array, maxStream = MAX_STREAM_BYTES, maxTotal = MAX_PDF_INFLATED_BYTES): void {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  let total = 0;
  for (let at = text.indexOf("stream", 0); at >= 0; at = text.indexOf("stream", at + 6)) {
    if (text.startsWith("end", at - 3)) continue; // "endstream"
    const dictStart = text.lastIndexOf("<<", at);
    if (dictStart < 0 || at - dictStart > DICT_LOOKBACK || !text.slice(dictStart, at).includes("/FlateDecode")) continue;
    let from = at + 6;
    if (text[from] === "\r") from++;
    if (text[from] === "\n") from++;
    const end = text.indexOf("endstream", from);
    if (end < 0) break;
    const n = inflatedSize(bytes.subarray(from, end), Math.min(maxStream, maxTotal - total) + 1);
    if (n > maxStream) throw tooLarge(`has a stream that unpacks to more than ${maxStream / 2 ** 20} MiB`);
    total += n;
    if (total > maxTotal) throw tooLarge(`unpacks to more than ${maxTotal / 2 ** 20} MiB`);
    at = end;
  }
}

/** The inflated size of a zlib stream, or `stop` when it reaches that; 0 when it does not inflate (left to pdfjs). */
function inflatedSize(data: Uint8Array, stop: number): number {
  try {
    // Z_SYNC_FLUSH at the end: a stream cut short (or its checksum) gives what it decoded, not an error
    return zlib.inflateSync(data, { maxOutputLength: stop, finishFlush: zlib.constants.Z_SYNC_FLUSH }).length;
  } catch (e) {
    return (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ? stop : 0;
  }
}
