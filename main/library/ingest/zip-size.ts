// Zips checked before a reader unpacks them (checkZip). How much one unpacks to is
// measured by inflating it in a stream and stopping past a cap: the readers unpack
// entries into memory, so a 64 MiB "zip bomb" (deflate packs a run of zeros
// ~1000:1) would take the app down with it. The sizes the zip declares are checked first, but they can lie:
// the inflation itself is what is counted. Peak memory: one pushed slice's output.
import { Unzip, UnzipInflate } from "fflate";
import { AppError } from "../../ipc/errors";
import { corrupt, encrypted } from "./errors";

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

/**
 * The checks every reader of a zipped format (a Word document, an OpenDocument text, a zipped
 * FictionBook) makes before it unpacks anything: that it is a zip, that no entry is
 * password-protected, and what it unpacks to (above). EPUBs make these and their own.
 */
export function checkZip(bytes: Uint8Array, what: string): void {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw corrupt(what, "not a zip archive");
  if (hasEncryptedEntry(bytes)) throw encrypted(what);
  checkUnpackedSize(bytes, MAX_UNPACKED_BYTES, what);
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
