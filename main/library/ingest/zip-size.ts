// How much an EPUB or a Word document (a zip) unpacks to, measured by inflating it
// in a stream and stopping past a cap: the readers unpack entries into memory, so a
// 64 MiB "zip bomb" (deflate packs a run of zeros ~1000:1) would take the app
// down with it. The sizes the zip declares are checked first, but they can lie:
// the inflation itself is what is counted. Peak memory: one pushed slice's output.
import { Unzip, UnzipInflate } from "fflate";
import { AppError } from "../../ipc/errors";
import { corrupt } from "./errors";

/** What an EPUB may unpack to: text, its styles and images (a large illustrated book is ~100 MiB). */
export const MAX_UNPACKED_BYTES = 512 * 2 ** 20;

// Compressed bytes pushed at a time: inflated, at most ~1000x this (16 MiB) before the count stops it.
const SLICE = 16 * 1024;

const tooLarge = (cap: number, what: string) =>
  new AppError("TOO_LARGE", `This ${what} unpacks to more than ${cap / 2 ** 20} MiB; tome reads ${what}s up to that size.`);

/** Throws TOO_LARGE when the zip's entries inflate to more than cap bytes in all, CORRUPT_FILE when one cannot be inflated. */
export function checkUnpackedSize(bytes: Uint8Array, cap = MAX_UNPACKED_BYTES, what = "EPUB"): void {
  let total = 0;
  let over = false;
  let damaged: string | null = null;
  const unzip = new Unzip((file) => {
    if (file.originalSize !== undefined && file.originalSize > cap) over = true;
    if (over || damaged) return;
    file.ondata = (err, chunk) => {
      if (err) damaged ??= `${file.name}: ${err.message}`;
      total += chunk?.length ?? 0;
      if (total > cap) over = true;
      if (over || damaged) file.terminate();
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let at = 0; at < bytes.length && !over && !damaged; at += SLICE) unzip.push(bytes.subarray(at, at + SLICE), at + SLICE >= bytes.length);
  } catch (e) {
    damaged ??= (e as Error).message;
  }
  if (over) throw tooLarge(cap, what);
  if (damaged) throw corrupt(what, damaged);
}
