// An import thread's entry (./import-threads.ts starts one per book): says it
// loaded, reads the book it is then sent and stores it through a connection of its own to
// the library file, once the main thread lets it write (a Stop that came first
// ends the thread instead), posts back the document id or the error, and ends.
import { once } from "node:events";
import { parentPort } from "node:worker_threads";
import { toContractError } from "../ipc/errors";
import { openDatabase } from "./db";
import { Documents } from "./documents";
import { storeBook } from "./store-book";
import type { ImportJob, ImportMessage, ImportReply } from "./import-threads";

async function run(job: ImportJob): Promise<ImportReply> {
  let db: ReturnType<typeof openDatabase> | undefined;
  try {
    db = openDatabase(job.libraryFile);
    const bytes = new Uint8Array(job.bytes, job.byteOffset, job.byteLength);
    return { ok: true, documentId: await storeBook(db, new Documents(db), job.name, bytes, job.skipBoilerplate, mayWrite) };
  } catch (e) {
    return { ok: false, error: toContractError(e) };
  } finally {
    if (db?.open) db.close();
  }
}

/** Asks the main thread whether the book may be written: it answers unless the import was
 *  stopped (then this thread is being ended), and takes no stop after it answered. */
async function mayWrite(): Promise<void> {
  const port = parentPort!;
  const answer = once(port, "message");
  port.postMessage({ mayWrite: true } satisfies ImportMessage);
  await answer;
}

if (parentPort) {
  const port = parentPort;
  port.once("message", (job: ImportJob) => void run(job).then((reply) => port.postMessage(reply)));
  port.postMessage({ loaded: true } satisfies ImportMessage); // this module and its imports loaded
}
