// tome cache list|rm|gc: the document KV caches on disk (main/engine/kv-cache.ts).
//   tome cache list [--dir D] [--json]           size on disk, document, model, tokens, last use
//   tome cache rm FILE|ID... | --all [--dir D]   ID: a file name or a unique prefix of it
//   tome cache gc --max SIZE [--dir D] [--json]  least recently used first, until the folder fits SIZE
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultCacheDir, gcCaches, listCaches, parseBytes, removeCache, type CacheEntry } from "../../engine";
import { parse, UsageError } from "../args";
import { CliError, namedFileError } from "../errors";

export const usage = `tome cache list [--dir D] [--json]
       tome cache rm FILE|ID...|--all [--dir D] [--json]
       tome cache gc --max SIZE [--dir D] [--json]`;

export const flags = `  list                   each store: file, size on disk, last use, document, model, tokens
  rm FILE|ID...          remove stores: a file, or a unique prefix of a store's file name
  rm --all               remove every store in the folder (but those a tome session holds)
  gc --max SIZE          remove least recently used stores until the folder holds SIZE (20G, 512M)
  --dir D                the cache folder ($TOME_CACHE_DIR, else the platform's cache folder:
                         ~/.cache/tome/kv-cache, ~/Library/Caches/tome/kv-cache, %LOCALAPPDATA%\\tome\\kv-cache)
  --json                 print one JSON object instead of lines
  -h, --help             this help`;

const ACTIONS = ["list", "rm", "gc"] as const;
type Action = (typeof ACTIONS)[number];
const isAction = (s: string): s is Action => (ACTIONS as readonly string[]).includes(s);

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
  const state = e.inUse ? "in use by a tome session" : e.error ? `unreadable: ${e.error}` : `${e.tokens} tokens${e.indexComplete ? ", indexed" : ""}`;
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
    in_use: e.inUse === true,
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
  if (action === undefined) throw new UsageError(`an action is needed: ${ACTIONS.join(", ")}`);
  if (!isAction(action)) throw new UsageError(`unknown action '${action}' (actions: ${ACTIONS.join(", ")})`);
  const dir = values.dir ?? defaultCacheDir();
  // the default folder is missing until a first document is cached: that lists as empty
  const present = checkFolder(dir, values.dir !== undefined);
  const out = (s: string) => process.stdout.write(s + "\n");
  switch (action) {
    case "list": {
      const entries = present ? listCaches(dir) : [];
      if (values.json) out(JSON.stringify({ dir, caches: entries.map(json) }));
      else {
        for (const e of entries) out(row(e));
        out(`${entries.length} cache(s), ${human(entries.reduce((s, e) => s + e.bytes, 0))} in ${dir}${present ? "" : " (not created yet)"}`);
      }
      return 0;
    }
    case "rm": {
      const entries = present ? listCaches(dir) : [];
      let chosen: CacheEntry[];
      if (values.all) chosen = entries;
      else {
        if (!targets.length) throw new UsageError("rm needs FILE, ID or --all");
        chosen = targets.map((t) => {
          const hits = entries.filter((e) => e.file === path.resolve(t) || path.basename(e.file).startsWith(t));
          if (hits.length !== 1) throw new UsageError(`'${t}' matches ${hits.length} caches in ${dir}`);
          return hits[0];
        });
      }
      // a store a session holds stays: deleted under it, its book's read would be lost when it closes
      const busy = chosen.filter((e) => e.inUse);
      if (busy.length && !values.all) throw new CliError(`${busy.map((e) => path.basename(e.file)).join(", ")}: in use by a tome session (close it first)`, "STORE_BUSY");
      chosen = chosen.filter((e) => !e.inUse);
      // decided again under each store's lock: a session may have opened it since the listing
      for (const e of chosen) if (!removeCache(e.file)) busy.push(e);
      chosen = chosen.filter((e) => !busy.includes(e));
      if (values.json) out(JSON.stringify({ removed: chosen.map(json), kept_in_use: busy.map(json) }));
      else out(`removed ${chosen.length} cache(s), ${human(chosen.reduce((s, e) => s + e.bytes, 0))}${busy.length ? `; kept ${busy.length} in use` : ""}`);
      return 0;
    }
    case "gc": {
      if (values.max === undefined) throw new UsageError("gc needs --max SIZE (e.g. 20G)");
      let max: number;
      try {
        max = parseBytes(values.max);
      } catch (e) {
        throw new UsageError(`--max: ${(e as Error).message}`);
      }
      const removed = present ? gcCaches(dir, max) : [];
      if (values.json) out(JSON.stringify({ removed: removed.map(json) }));
      else out(`removed ${removed.length} least recently used cache(s), ${human(removed.reduce((s, e) => s + e.bytes, 0))}`);
      return 0;
    }
  }
}

/**
 * Whether the cache folder exists; a path that is not a folder fails, and so does a
 * missing one given by --dir (a typo would otherwise list as an empty cache).
 */
function checkFolder(dir: string, fromFlag: boolean): boolean {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    throw namedFileError(fromFlag ? "--dir" : "cache folder", dir, e, "directory");
  }
  const label = fromFlag ? `--dir '${dir}'` : `cache folder '${dir}'`;
  if (stat && !stat.isDirectory()) throw new CliError(`${label}: not a directory`, "ENOTDIR");
  if (!stat && fromFlag) throw new CliError(`${label}: no such directory`, "ENOENT");
  return stat !== undefined;
}
