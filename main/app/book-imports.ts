// The books being opened now: a dropped or chosen file read and stored
// (./import.ts's importFile), each under an id its Stop names
// (library.cancelImport). A choice in the desktop app's own dialog (File > Open
// Books) is opened here one book at a time, each announced as it opens and done
// (library.importing) so the window lists it with the same Stop, which ends it
// and the rest of the choice; one that cannot be added is said so and the others
// still come in.
import { randomUUID } from "node:crypto";
import * as nodePath from "node:path";
import type { DocumentInfo, EventData, EventName } from "../ipc/contract";
import { AppError, toContractError } from "../ipc/errors";
import { ImportControl } from "../library/import-control";
import type { ImportThreads } from "../library/import-threads";
import type { Library } from "../library";
import { readBookFile } from "./book-file";
import { importFile } from "./import";

export interface BookImportsHost {
  lib: Library;
  threads?: ImportThreads;
  skipBoilerplate(): boolean;
  emit<E extends EventName>(event: E, data: EventData<E>): void;
  /** Said once: the import thread could not start, so books are read on the main thread. */
  importedHere(): void;
}

export class BookImports {
  private running = new Map<string, ImportControl>();

  constructor(private host: BookImportsHost) {}

  /** A file's bytes stored as a book (or the one already stored with them); `importId`: its Stop's. */
  async importBytes(name: string, bytes: Uint8Array, importId?: string): Promise<DocumentInfo> {
    if (importId !== undefined && this.running.has(importId)) throw new AppError("BAD_REQUEST", `import ${importId} is already under way.`);
    const control = new ImportControl(name);
    if (importId !== undefined) this.running.set(importId, control);
    try {
      return this.added(await importFile(this.host.lib, name, bytes, this.host.skipBoilerplate(), this.host.threads, control));
    } finally {
      if (importId !== undefined) this.running.delete(importId);
    }
  }

  /** Stops an import: false when it is not running or is being written (then it finishes). */
  cancel(importId: string): boolean {
    return this.running.get(importId)?.stop() ?? false;
  }

  /** The files of a dialog's choice, one by one (see the file's comment); the books added. */
  async openChosen(files: string[]): Promise<DocumentInfo[]> {
    const out: DocumentInfo[] = [];
    for (const file of files) {
      const name = nodePath.basename(file);
      const importId = `dialog-${randomUUID()}`;
      const control = new ImportControl(name);
      this.running.set(importId, control);
      this.host.emit("library.importing", { importId, name, done: false });
      try {
        const f = await readBookFile(file);
        if (control.isStopped) throw control.cancelled();
        out.push(this.added(await importFile(this.host.lib, f.name, f.bytes, this.host.skipBoilerplate(), this.host.threads, control)));
      } catch (e) {
        const err = toContractError(e);
        if (err.code === "CANCELLED") {
          this.host.emit("app.notice", { kind: "info", text: `Stopped opening '${name}'.` });
          break;
        }
        this.host.emit("app.notice", { kind: "error", text: `Could not open '${name}': ${err.message}` });
      } finally {
        this.running.delete(importId);
        this.host.emit("library.importing", { importId, name, done: true });
      }
    }
    return out;
  }

  private added(doc: DocumentInfo): DocumentInfo {
    this.host.importedHere();
    this.host.emit("doc.updated", doc);
    return doc;
  }
}
