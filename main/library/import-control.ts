// The Stop of one import (library.cancelImport): it ends the import CANCELLED while
// the book waits or is read; once the book is being written it is let finish, and
// stop() says so (false). Shared by the import threads and an import on this thread.
import { AppError } from "../ipc/errors";

export class ImportControl {
  private stopped = false;
  private writing = false;
  private onStop: (() => void) | null = null;

  constructor(readonly name: string) {}

  /** True when the import ends CANCELLED; false when it is being written (or was stopped before). */
  stop(): boolean {
    if (this.writing || this.stopped) return false;
    this.stopped = true;
    this.onStop?.();
    return true;
  }

  /** What a stop does beyond marking it (an import thread: end the thread). */
  whenStopped(f: () => void): void {
    this.onStop = f;
    if (this.stopped) f();
  }

  /** Whether it was stopped (checked before a chosen file, read, is parsed). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** The book is about to be written: false when it was stopped, else no stop is taken from now. */
  startWriting(): boolean {
    if (this.stopped) return false;
    this.writing = true;
    return true;
  }

  cancelled(): AppError {
    return new AppError("CANCELLED", `Opening '${this.name}' was stopped.`);
  }
}
