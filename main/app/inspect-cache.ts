// A model file's GGUF summary and memory estimate, kept per file while the file
// is unchanged (same size and mtime). The engine answers one request at a time,
// so an inspect sent while it reads a book or answers waits for that job: a page
// reloaded mid-answer showed no model details until the answer ended. The
// summary depends on the file alone, so a copy made before the job answers now.
import * as fs from "node:fs";
import type { EngineOps } from "../host/protocol";

type Inspected = EngineOps["inspect"]["res"];

export class InspectCache {
  private byPath = new Map<string, { stamp: string; value: Inspected }>();

  /** The file's summary: the kept one while the file is unchanged, else fetch()'s (then kept). */
  async get(path: string, fetch: () => Promise<Inspected>): Promise<Inspected> {
    const stamp = stampOf(path);
    const kept = this.byPath.get(path);
    if (kept && stamp !== null && kept.stamp === stamp) return kept.value;
    const value = await fetch();
    if (stamp !== null && stampOf(path) === stamp) this.byPath.set(path, { stamp, value });
    return value;
  }
}

/** Size and mtime of a file, or null when it cannot be read (the engine then says why). */
function stampOf(path: string): string | null {
  try {
    const st = fs.statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}
