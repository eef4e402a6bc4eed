// tome cache list|rm|gc: the document KV caches on disk (main/engine/kv-cache.ts).
//   tome cache list [--dir D] [--json]           size on disk, document, model, tokens, last use
//   tome cache rm FILE|ID... | --all [--dir D]   ID: a file name or a unique prefix of it
//   tome cache gc --max SIZE [--dir D] [--json]  least recently used first, until the folder fits SIZE
import * as path from "node:path";
import { defaultCacheDir, gcCaches, listCaches, parseBytes, removeCache, type CacheEntry } from "../../engine";
import { parse, UsageError } from "../args";

export const usage = "tome cache list|rm|gc [--dir D] [--json] [--all] [--max SIZE] [FILE|ID...]";

function human(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u ? 1 : 0)} ${units[u]}`;
}

function row(e: CacheEntry): string {
  const when = new Date(e.lastUsedMs).toISOString().slice(0, 16).replace("T", " ");
  const state = e.error ? `unreadable: ${e.error}` : `${e.tokens} tokens${e.indexComplete ? ", indexed" : ""}`;
  return `${path.basename(e.file)}  ${human(e.bytes).padStart(10)}  ${when}  ${e.doc ?? "?"}  [${e.model ?? e.modelFp ?? "?"}]  ${state}`;
}

function json(e: CacheEntry) {
  return {
    file: e.file,
    bytes: e.bytes,
    doc: e.doc ?? null,
    model: e.model ?? null,
    model_fp: e.modelFp ?? null,
    settings: e.settings ?? null,
    tokens: e.tokens,
    index_complete: e.indexComplete,
    last_used_ms: e.lastUsedMs,
    error: e.error ?? null,
  };
}

export async function cache(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { dir: { type: "string" }, json: { type: "boolean" }, all: { type: "boolean" }, max: { type: "string" } },
    true,
  );
  const [action, ...targets] = positionals;
  const dir = values.dir ?? defaultCacheDir();
  const out = (s: string) => process.stdout.write(s + "\n");
  switch (action) {
    case "list": {
      const entries = listCaches(dir);
      if (values.json) out(JSON.stringify({ dir, caches: entries.map(json) }));
      else {
        for (const e of entries) out(row(e));
        out(`${entries.length} cache(s), ${human(entries.reduce((s, e) => s + e.bytes, 0))} in ${dir}`);
      }
      return 0;
    }
    case "rm": {
      const entries = listCaches(dir);
      let chosen: CacheEntry[];
      if (values.all) chosen = entries;
      else {
        if (!targets.length) throw new UsageError("tome cache rm needs FILE, ID or --all");
        chosen = targets.map((t) => {
          const hits = entries.filter((e) => e.file === path.resolve(t) || path.basename(e.file).startsWith(t));
          if (hits.length !== 1) throw new UsageError(`'${t}' matches ${hits.length} caches in ${dir}`);
          return hits[0];
        });
      }
      for (const e of chosen) removeCache(e.file);
      if (values.json) out(JSON.stringify({ removed: chosen.map(json) }));
      else out(`removed ${chosen.length} cache(s), ${human(chosen.reduce((s, e) => s + e.bytes, 0))}`);
      return 0;
    }
    case "gc": {
      if (values.max === undefined) throw new UsageError("tome cache gc needs --max SIZE (e.g. 20G)");
      let max: number;
      try {
        max = parseBytes(values.max);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const removed = gcCaches(dir, max);
      if (values.json) out(JSON.stringify({ removed: removed.map(json) }));
      else out(`removed ${removed.length} least recently used cache(s), ${human(removed.reduce((s, e) => s + e.bytes, 0))}`);
      return 0;
    }
    default:
      throw new UsageError("tome cache needs an action: list, rm or gc");
  }
}
