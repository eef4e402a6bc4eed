// Ingestion: a dropped file (name + bytes) -> plain text + structure, or a clear
// IngestError. The format comes from the extension and must match the bytes.
import * as path from "node:path";
import { AppError } from "../../ipc/errors";
import { LIMITS } from "../../ipc/validate";
import { readTxt } from "./txt";
import { readMd } from "./md";
import { readEpub } from "./epub";
import { readPdf } from "./pdf";
import { empty, unsupported } from "./errors";
import type { IngestOptions, Ingested } from "./types";

export type { Ingested, IngestOptions } from "./types";

const READERS: Record<string, (b: Uint8Array, o: IngestOptions) => Ingested | Promise<Ingested>> = {
  ".txt": readTxt,
  ".text": readTxt,
  ".md": readMd,
  ".markdown": readMd,
  ".epub": readEpub,
  ".pdf": readPdf,
};

export const SUPPORTED_EXTENSIONS = Object.keys(READERS);

export async function ingest(name: string, bytes: Uint8Array, opts: IngestOptions = {}): Promise<Ingested> {
  if (bytes.length > LIMITS.maxImportBytes) {
    throw new AppError("TOO_LARGE", `'${name}' is ${(bytes.length / 2 ** 20).toFixed(0)} MiB; the limit is ${LIMITS.maxImportBytes / 2 ** 20} MiB.`);
  }
  const reader = READERS[path.extname(name).toLowerCase()];
  if (!reader) throw unsupported(name);
  if (bytes.length === 0) throw empty("file");
  const doc = await reader(bytes, opts);
  const title = doc.title ?? path.basename(name, path.extname(name));
  return { ...doc, title: withoutByline(title, doc.author) };
}

/**
 * The title without a trailing byline that repeats the author, which the app shows beside it
 * ("Alice's Adventures in Wonderland, by Lewis Carroll" in Gutenberg's PDF metadata); a title
 * that is only a byline stays as it is.
 */
export function withoutByline(title: string, author: string | null): string {
  if (!author) return title;
  const i = title.toLowerCase().lastIndexOf(author.toLowerCase());
  if (i < 0 || i + author.length !== title.length) return title;
  const head = title.slice(0, i).replace(/[\s,;:\-\u2013\u2014]*\bby\s+$/i, "");
  return head.length < i && head.trim() ? head.trim() : title;
}
