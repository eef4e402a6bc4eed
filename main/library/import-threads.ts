// Books are imported off the main thread. Reading a big book takes seconds (a
// 64 MiB text 4.6 s, a PDF about 1 s per MB) and storing it more (1.5 s for 60M
// characters); in the app's main process that froze every window and held back a
// streaming answer's words. Each book is read and stored by its own worker thread
// (./import-thread-entry.ts, with its own connection to the library file), at most
// `maxRunning` at a time, under a heap limit: a file built to exhaust memory ends
// its thread with TOO_LARGE, not the app. Only the document id comes back; the
// text never crosses to the main thread (60M characters took 0.18 s to receive).
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { AppError } from "../ipc/errors";
import type { ContractError } from "../ipc/contract";
import { ImportControl } from "./import-control";

/** What a thread is sent once it loaded, and what it posts back. */
export interface ImportJob {
  libraryFile: string;
  name: string;
  bytes: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
  skipBoilerplate: boolean;
}
export type ImportReply = { ok: true; documentId: number } | { ok: false; error: ContractError };
/** What a thread posts: that it loaded (then it is sent its job), a request to write the book
 *  (answered unless it was stopped; no stop is taken after), then its reply. */
export type ImportMessage = { loaded: true } | { mayWrite: true } | ImportReply;

/**
 * A thread could not load its code (a packaged app missing the entry, a native module that
 * does not load in a worker): no import thread will, so imports are done on the caller's thread
 * (../../app/import.ts). The bytes were not sent, so the caller still has them.
 */
export class ImportThreadsUnavailable extends AppError {
  constructor(readonly reason: string) {
    super("INTERNAL", `The import thread could not start: ${reason}`);
  }
}

export interface ImportThreadOptions {
  /** The compiled entry (default: import-thread-entry.js beside this file, in build/main). */
  script?: string;
  /** Books imported at once; default one core left to the main thread, at most 2. */
  maxRunning?: number;
  /** A thread's old-generation heap limit, MiB; default a quarter of the memory, 1-4 GiB. */
  heapMb?: number;
}

const MIB = 2 ** 20;
/** Bytes smaller than this are copied to the thread; larger ones are moved (see importBook). */
const MOVE_FROM_BYTES = 64 * 1024;

export function defaultHeapMb(totalBytes = os.totalmem()): number {
  return Math.round(Math.min(4096, Math.max(1024, totalBytes / 4 / MIB)));
}

interface Waiting {
  job: ImportJob;
  control: ImportControl;
  resolve: (documentId: number) => void;
  reject: (e: Error) => void;
}

export class ImportThreads {
  private readonly script: string;
  private readonly maxRunning: number;
  private readonly heapMb: number;
  private readonly waiting: Waiting[] = [];
  private readonly running = new Set<{ fail(e: Error): void }>();
  private closed = false;
  private cannotLoad: string | null = null;

  constructor(o: ImportThreadOptions = {}) {
    this.script = o.script ?? path.join(__dirname, "import-thread-entry.js");
    this.maxRunning = Math.max(1, o.maxRunning ?? Math.min(2, os.availableParallelism() - 1));
    this.heapMb = o.heapMb ?? defaultHeapMb();
  }

  /**
   * Imports the book into the library file; its document id. Bytes of 64 KiB or more are moved
   * to the thread, not copied (64 MiB took 0.18 s to copy): their ArrayBuffer is detached, and
   * must hold nothing else the caller keeps (a Buffer this large is never from Node's pool).
   */
  importBook(libraryFile: string, name: string, bytes: Uint8Array, skipBoilerplate: boolean, control = new ImportControl(name)): Promise<number> {
    if (this.closed) return Promise.reject(new AppError("CANCELLED", "tome is closing."));
    if (this.unavailable) return Promise.reject(new ImportThreadsUnavailable(this.unavailable));
    const own = bytes.byteLength < MOVE_FROM_BYTES ? new Uint8Array(bytes) : bytes;
    const job: ImportJob = { libraryFile, name, bytes: own.buffer as ArrayBuffer, byteOffset: own.byteOffset, byteLength: own.byteLength, skipBoilerplate };
    return new Promise((resolve, reject) => {
      const w: Waiting = { job, control, resolve, reject };
      this.waiting.push(w);
      // stopped while waiting: taken out of the queue (while running: see start)
      control.whenStopped(() => {
        const at = this.waiting.indexOf(w);
        if (at < 0) return;
        this.waiting.splice(at, 1);
        reject(control.cancelled());
      });
      this.next();
    });
  }

  /** Imports under way now. */
  get active(): number {
    return this.running.size;
  }

  /** Why import threads cannot run here (the first one could not load), or null. */
  get unavailable(): string | null {
    return this.cannotLoad;
  }

  /** Ends the imports under way and those waiting (CANCELLED); a write under way is rolled back. */
  close(): void {
    this.closed = true;
    const cancelled = () => new AppError("CANCELLED", "tome closed while the book was being read.");
    for (const w of this.waiting.splice(0)) w.reject(cancelled());
    for (const r of [...this.running]) r.fail(cancelled());
  }

  private next(): void {
    while (this.running.size < this.maxRunning && this.waiting.length) this.start(this.waiting.shift()!);
  }

  private start({ job, control, resolve, reject }: Waiting): void {
    let worker: Worker;
    try {
      worker = new Worker(this.script, { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } });
    } catch (e) {
      this.cannotStart((e as Error).message, reject);
      return;
    }
    let settled = false;
    let loaded = false;
    const entry = { fail: (e: Error) => finish(() => reject(e)) };
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      this.running.delete(entry);
      void worker.terminate();
      settle();
      this.next();
    };
    this.running.add(entry);
    control.whenStopped(() => entry.fail(control.cancelled())); // not called once it writes
    worker.on("message", (m: ImportMessage) => {
      if ("loaded" in m) {
        loaded = true;
        worker.postMessage(job, [job.bytes]); // the bytes move only now: before, a failed load keeps them here
      } else if ("mayWrite" in m) {
        if (!settled && control.startWriting()) worker.postMessage({ write: true });
      } else finish(() => (m.ok ? resolve(m.documentId) : reject(new AppError(m.error.code, m.error.message))));
    });
    worker.once("error", (e: Error & { code?: string }) => {
      if (!loaded) return finish(() => this.cannotStart(e.message, reject));
      finish(() =>
        reject(
          e.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? new AppError("TOO_LARGE", `Reading '${job.name}' needed more than ${this.heapMb} MiB of memory; it was stopped.`)
            : new AppError("INTERNAL", `Reading '${job.name}' failed: ${e.message}`),
        ),
      );
    });
    worker.once("exit", (code) =>
      finish(() =>
        loaded
          ? reject(new AppError("INTERNAL", `The reader of '${job.name}' stopped unexpectedly (exit ${code}).`))
          : this.cannotStart(`it ended as it started (exit ${code})`, reject),
      ),
    );
  }

  /** The first thread that cannot load makes threads unavailable: its import and those waiting
   *  are handed back (ImportThreadsUnavailable) with their bytes, to be done by the caller. */
  private cannotStart(reason: string, reject: (e: Error) => void): void {
    const why = (this.cannotLoad ??= reason);
    reject(new ImportThreadsUnavailable(why));
    for (const w of this.waiting.splice(0)) w.reject(new ImportThreadsUnavailable(why));
  }
}
