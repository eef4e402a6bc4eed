// How much a PDF's streams unpack to, measured before pdfjs reads it: pdfjs keeps
// a stream's whole decoded bytes in memory, so a 64 MiB file whose page content
// unpacks ~1000:1 (Flate) or ~2700:1 (LZW) (a "PDF bomb") would take the app down
// inside the text extraction. Each `stream ... endstream` is run through the
// filters its dictionary names (./pdf-filters: Flate, LZW, run-length and the
// ASCII ones, each stopped at the cap it may still use: that much memory at most,
// for a moment) and counted; image filters end the measuring of their stream
// (their decoders are bounded by the image's size) and a stream that does not
// decode is left to pdfjs (which says whether the file is damaged). Alice's PDF:
// 80 streams, ~50 ms.
import { decodeFilter, streamFilters } from "./pdf-filters";
import { AppError } from "../../ipc/errors";

/** One stream's inflated size at most (a page's content, a font, an image: far less in a book). */
export const MAX_STREAM_BYTES = 128 * 2 ** 20;
/** All streams together at most. */
export const MAX_PDF_INFLATED_BYTES = 1024 * 2 ** 20;

const DICT_LOOKBACK = 2048; // how far before `stream` its dictionary is looked for

const tooLarge = (what: string) =>
  new AppError("TOO_LARGE", `This PDF ${what}; tome reads PDFs whose streams unpack to less.`);

/** Throws TOO_LARGE when a stream unpacks past maxStream bytes, or all of them past maxTotal. */
export function checkPdfInflatedSize(bytes: Uint8Array, maxStream = MAX_STREAM_BYTES, maxTotal = MAX_PDF_INFLATED_BYTES): void {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  let total = 0;
  for (let at = text.indexOf("stream", 0); at >= 0; at = text.indexOf("stream", at + 6)) {
    if (text.startsWith("end", at - 3)) continue; // "endstream"
    // from the object's header ("12 0 obj"), so that a nested dictionary (DecodeParms) after
    // the /Filter entry does not hide it; else from the last "<<"
    const header = text.lastIndexOf("obj", at);
    const dictStart = header >= 0 && at - header <= DICT_LOOKBACK ? header : text.lastIndexOf("<<", at);
    if (dictStart < 0 || at - dictStart > DICT_LOOKBACK) continue;
    const dict = text.slice(dictStart, at);
    const filters = streamFilters(dict);
    if (filters.length === 0) continue; // stored as is: the file's own size bounds it
    let from = at + 6;
    if (text[from] === "\r") from++;
    if (text[from] === "\n") from++;
    const end = text.indexOf("endstream", from);
    if (end < 0) break;
    const stop = Math.min(maxStream, maxTotal - total) + 1;
    const earlyChange = /\/EarlyChange\s+0\b/.test(dict) ? 0 : 1;
    let data = bytes.subarray(from, end);
    let over = false;
    for (const f of filters) {
      const d = decodeFilter(f, data, stop, earlyChange);
      if (!d) break;
      data = d.bytes;
      if ((over = d.over)) break;
    }
    if (over && stop > maxStream) throw tooLarge(`has a stream that unpacks to more than ${maxStream / 2 ** 20} MiB`);
    total += over ? stop : data.length;
    if (total > maxTotal) throw tooLarge(`unpacks to more than ${maxTotal / 2 ** 20} MiB`);
    at = end;
  }
}
