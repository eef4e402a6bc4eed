// Settings: one JSON value per key over defaults (resources/default-settings.json
// merged with built-in ones), so a new setting never needs a migration.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Settings, SettingsPatch } from "../ipc/contract";
import type { DB } from "./db";

export function builtinDefaults(modelsDir: string): Settings {
  return {
    threads: 0,
    ctx: 8192,
    attention: { mode: "retrieval", sinks: 128, window: 512, topK: 100 },
    ramBudgetMB: 0,
    cacheBudgetGB: 20,
    gpu: true,
    modelsDir,
    systemPrompt: "You are a careful reader. Answer questions about the book using only its text.",
    temperature: 0.7,
    maxTokens: 256,
    skipBoilerplate: true,
    recentModels: [],
    lastModel: null,
  };
}

/** resources/default-settings.json (shipped with the app) over the built-in defaults. */
export function loadDefaults(resourcesDir: string | undefined, modelsDir: string): Settings {
  const d = builtinDefaults(modelsDir);
  if (!resourcesDir) return d;
  try {
    const file = JSON.parse(fs.readFileSync(path.join(resourcesDir, "default-settings.json"), "utf8")) as Record<string, unknown>;
    if (typeof file.threads === "number") d.threads = file.threads;
    if (typeof file.ctx === "number") d.ctx = file.ctx;
    if (file.attention === "full" || file.attention === "retrieval") d.attention.mode = file.attention;
  } catch {
    /* missing or unreadable defaults: the built-in ones serve */
  }
  return d;
}

export class SettingsStore {
  constructor(
    private db: DB,
    private defaults: Settings,
  ) {}

  get(): Settings {
    const rows = this.db.prepare(`SELECT key, value FROM settings`).all() as { key: string; value: string }[];
    const s = structuredClone(this.defaults) as unknown as Record<string, unknown>;
    for (const r of rows) if (r.key in s) s[r.key] = JSON.parse(r.value);
    return s as unknown as Settings;
  }

  set(patch: SettingsPatch | Partial<Settings>): Settings {
    const up = this.db.prepare(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(patch)) if (v !== undefined && k in this.defaults) up.run(k, JSON.stringify(v));
    })();
    return this.get();
  }

  /** Puts a model at the front of the recent list (at most 10) and remembers it as the last one. */
  touchModel(modelPath: string): Settings {
    const recent = [modelPath, ...this.get().recentModels.filter((p) => p !== modelPath)].slice(0, 10);
    return this.set({ recentModels: recent, lastModel: modelPath });
  }
}
