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
  return lib.documents.add({
    title: d.title ?? name,
    author: d.author,
    sourceName: name,
    format: d.format,
    sizeBytes: bytes.length,
    sha256,
    text: d.text,
    chapters: d.chapters,
    boilerplateSkipped: d.boilerplateSkipped,
  });
}
