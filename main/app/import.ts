// library.import: bytes of a dropped file -> a stored document; the same book
// dropped twice (same bytes) gives back the existing one. In the app an import
// thread reads and stores it (../library/import-threads.ts); without one (tests,
// the CLI), or where threads cannot load, it is done here.
import { storeBook } from "../library/store-book";
import { ImportThreadsUnavailable, type ImportThreads } from "../library/import-threads";
import { ImportControl } from "../library/import-control";
import type { Library } from "../library";
import type { DocumentInfo } from "../ipc/contract";

export async function importFile(
  lib: Library,
  name: string,
  bytes: Uint8Array,
  skipBoilerplate: boolean,
  threads?: ImportThreads,
  control = new ImportControl(name),
): Promise<DocumentInfo> {
  const here = () =>
    storeBook(lib.db, lib.documents, name, bytes, skipBoilerplate, () => {
      if (!control.startWriting()) throw control.cancelled();
    });
  const id = threads
    ? await threads.importBook(lib.db.name, name, bytes, skipBoilerplate, control).catch((e: unknown) => {
        if (e instanceof ImportThreadsUnavailable) return here(); // (threads.unavailable says why)
        throw e;
      })
    : await here();
  const doc = lib.documents.get(id);
  if (!doc) throw new Error(`the imported book (document ${id}) is not in the library`);
  return doc;
}
