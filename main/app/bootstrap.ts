// Assembles an app core: data folder, app database, settings defaults, engine
// host. Shared by `tome serve` and the desktop app (which differ only in how the
// engine process is spawned and in having native dialogs).
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../engine/native";
import { Library } from "../library";
import { loadDefaults } from "../library/settings";
import { EngineClient, type SpawnEngine } from "../host/engine-client";
import { AppCore, type Dialogs } from "./core";
import { ImportThreads } from "../library/import-threads";
import { defaultModelsDir, kvCacheDirIn } from "./paths";
import { moveStores } from "../engine/kv-cache";
import type { AppInfo } from "../ipc/contract";

export interface BootOptions {
  dataDir: string;
  /** Where the KV stores go (the platform's cache folder for the default data folder); default
   *  <dataDir>/kv-cache. Stores kept there by an earlier tome are moved to it. */
  cacheDir?: string;
  modelsDir?: string;
  mode: AppInfo["mode"];
  spawn: SpawnEngine;
  cliModel?: string | null;
  dialogs?: Dialogs;
  /** Folder with default-settings.json (default: the package's resources/). */
  resourcesDir?: string;
  /** The import threads' compiled entry (default: beside the compiled module; tests run from sources). */
  importThreadEntry?: string;
}

export function appVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")).version as string;
  } catch {
    return "0.0.0";
  }
}

export function createCore(o: BootOptions): AppCore {
  fs.mkdirSync(o.dataDir, { recursive: true });
  const modelsDir = o.modelsDir ?? defaultModelsDir(o.dataDir);
  const defaults = loadDefaults(o.resourcesDir ?? path.join(packageRoot(), "resources"), modelsDir);
  const library = new Library(path.join(o.dataDir, "tome.db"), defaults);
  // --models-dir on the command line wins over the stored setting.
  if (o.modelsDir) library.settings.set({ modelsDir: o.modelsDir });
  const cacheDir = moveStores(kvCacheDirIn(o.dataDir), o.cacheDir ?? kvCacheDirIn(o.dataDir), (from, to) => library.documents.moveSavedFile(from, to));
  const core = new AppCore({
    library,
    engine: new EngineClient(o.spawn),
    mode: o.mode,
    dataDir: o.dataDir,
    cacheDir,
    version: appVersion(),
    cliModel: o.cliModel ? path.resolve(o.cliModel) : null,
    dialogs: o.dialogs,
    importThreads: new ImportThreads({ script: o.importThreadEntry }),
  });
  core.startMemoryTicker();
  return core;
}
