// An AppCore on a temp data folder with a fake engine, and helpers to wait for
// its state to change.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach } from "vitest";
import { AppCore, type Dialogs } from "../../../main/app/core";
import type { ImportThreads } from "../../../main/library/import-threads";
import { Library } from "../../../main/library";
import { builtinDefaults } from "../../../main/library/settings";
import { FakeEngine, type FakeOptions } from "./fake-engine";
import type { EventData, EventName } from "../../../main/ipc/contract";

export interface TestCore {
  core: AppCore;
  engine: FakeEngine;
  dir: string;
  modelPath: string;
  events: { event: EventName; data: unknown }[];
  close(): void;
}

export function tempDir(prefix = "tome-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A temp-folder maker for a test file: the folders it made are removed after each test. */
export function tempDirsPerTest(): () => string {
  const made: string[] = [];
  afterEach(() => made.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = tempDir();
    made.push(d);
    return d;
  };
}

export function makeCore(o: FakeOptions & { dir?: string; dialogs?: Dialogs; importThreads?: ImportThreads } = {}): TestCore {
  const dir = o.dir ?? tempDir();
  const modelsDir = path.join(dir, "models");
  fs.mkdirSync(modelsDir, { recursive: true });
  const modelPath = path.join(modelsDir, "tiny.gguf");
  if (!fs.existsSync(modelPath)) fs.writeFileSync(modelPath, "GGUF");
  const engine = new FakeEngine(o);
  const core = new AppCore({
    library: new Library(path.join(dir, "tome.db"), builtinDefaults(modelsDir)),
    engine,
    mode: "browser",
    dataDir: dir,
    cacheDir: path.join(dir, "kv-cache"),
    version: "0.0.0-test",
    dialogs: o.dialogs,
    importThreads: o.importThreads,
  });
  const events: TestCore["events"] = [];
  core.onEvent((event, data) => events.push({ event, data }));
  return { core, engine, dir, modelPath, events, close: () => core.close() };
}

export async function until<T>(f: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function eventsOf<E extends EventName>(t: TestCore, e: E): EventData<E>[] {
  return t.events.filter((x) => x.event === e).map((x) => x.data as EventData<E>);
}

export const b64 = (s: string | Uint8Array) => Buffer.from(s).toString("base64");
