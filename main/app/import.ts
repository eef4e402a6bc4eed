// library.import: bytes of a dropped file -> a stored document. The same book
// dropped twice (same bytes) gives back the existing document.
import { createHash } from "node:crypto";
import { ingest } from "../library/ingest";
import type { Library } from "../library";
import type { DocumentInfo } from "../ipc/contract";

export async function importFile(lib: Library, name: string, bytes: Uint8Array, skipBoilerplate: boolean): Promise<DocumentInfo> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const existing = lib.documents.findBySha(sha256);
  if (existing) return existing;
  const d = await ingest(name, bytes, { skipBoilerplate });
  // Looked up again with the insert, in one write transaction: while this copy was being read
  // (seconds for a PDF) the same bytes may have been stored by another import (dropped twice,
  // a second window, `tome serve` on the same data folder), and the library keeps one copy.
  // IMMEDIATE takes the write lock first, so another process cannot insert in between.
  const store = lib.db.transaction(() => lib.documents.findBySha(sha256) ?? lib.documents.add({
    title: d.title ?? name,
    author: d.author,
    sourceName: name,
    format: d.format,
    sizeBytes: bytes.length,
    sha256,
    text: d.text,
    chapters: d.chapters,
    boilerplateSkipped: d.boilerplateSkipped,
  }));
  return store.immediate();
}
