// A dropped file's bytes -> a stored document, one per distinct content (sha256).
// Runs on an import thread in the app (./import-threads.ts), with its own
// connection to the library file, or on the caller's thread (tests, the CLI).
import { createHash } from "node:crypto";
import { setImmediate as turn } from "node:timers/promises";
import { ingest } from "./ingest";
import type { Documents } from "./documents";
import type { DB } from "./db";

const HASH_SLICE = 4 * 2 ** 20;

/** The bytes' sha256, 4 MiB between event-loop turns (64 MiB hashed at once held a thread 40+ ms). */
export async function sha256Sliced(bytes: Uint8Array): Promise<string> {
  const h = createHash("sha256");
  for (let at = 0; at < bytes.length; at += HASH_SLICE) {
    if (at > 0) await turn();
    h.update(bytes.subarray(at, at + HASH_SLICE));
  }
  return h.digest("hex");
}

/**
 * Stores the book the bytes hold, or finds the copy stored before; its document id.
 * `beforeWrite` is called once the book is read, just before it is written: the last moment an
 * import may be stopped (it throws), after which it may not (an import thread says so).
 */
export async function storeBook(
  db: DB,
  docs: Documents,
  name: string,
  bytes: Uint8Array,
  skipBoilerplate: boolean,
  beforeWrite: () => void | Promise<void> = () => {},
): Promise<number> {
  const sha256 = await sha256Sliced(bytes);
  const existing = docs.findBySha(sha256);
  if (existing) return existing.id;
  const size = bytes.length;
  const d = await ingest(name, bytes, { skipBoilerplate });
  await beforeWrite();
  // Looked up again with the insert, in one write transaction: while this copy was being read
  // (seconds for a PDF) the same bytes may have been stored by another import (dropped twice,
  // a second window, `tome serve` on the same data folder), and the library keeps one copy.
  // IMMEDIATE takes the write lock first, so another connection cannot insert in between.
  const store = db.transaction(() => {
    const stored = docs.findBySha(sha256);
    if (stored) return stored.id;
    return docs.add({
      title: d.title ?? name,
      author: d.author,
      sourceName: name,
      format: d.format,
      sizeBytes: size,
      sha256,
      text: d.text,
      chapters: d.chapters,
      boilerplateSkipped: d.boilerplateSkipped,
    }).id;
  });
  return store.immediate();
}
