// Where the KV stores live: the platform's cache folder for the default data folder
// (not backed up, not synced with a roaming profile), inside an explicit data folder
// otherwise; stores an earlier tome kept under the data folder are moved there with
// SQLite's files beside them, and the library follows them.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultKvCacheDir, kvCacheDirIn } from "../../main/app/paths";
import { createCore } from "../../main/app/bootstrap";
import { defaultCacheDir, moveStores } from "../../main/engine/kv-cache";
import { b64, tempDir } from "./helpers/core";
import { packageRoot } from "../../main/engine/native";

// the app's cores import books on threads, whose entry is compiled (npm run build)
const importThreadEntry = path.join(packageRoot(), "build", "main", "library", "import-thread-entry.js");
import type { DocumentInfo } from "../../main/ipc/contract";

describe("the KV cache folder", () => {
  it("is the platform's cache folder", () => {
    expect(defaultKvCacheDir("linux", {}, "/home/u")).toBe("/home/u/.cache/tome/kv-cache");
    expect(defaultKvCacheDir("linux", { XDG_CACHE_HOME: "/c" }, "/home/u")).toBe("/c/tome/kv-cache");
    expect(defaultKvCacheDir("darwin", {}, "/Users/u")).toBe("/Users/u/Library/Caches/tome/kv-cache");
    expect(defaultKvCacheDir("win32", { LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "C:\\Users\\u")).toMatch(/Local.tome.kv-cache$/);
  });

  it("the CLI's default moves the stores an earlier tome kept under its data folder", () => {
    if (process.platform !== "linux") return;
    const root = tempDir();
    const env = { XDG_CONFIG_HOME: path.join(root, "config"), XDG_CACHE_HOME: path.join(root, "cache") };
    const old = path.join(root, "config", "tome", "kv-cache");
    fs.mkdirSync(old, { recursive: true });
    fs.writeFileSync(path.join(old, "a.tomekv"), "store");
    fs.writeFileSync(path.join(old, "a.tomekv-wal"), "log");
    fs.writeFileSync(path.join(old, "notes.txt"), "not a store");
    const dir = defaultCacheDir(env);
    expect(dir).toBe(path.join(root, "cache", "tome", "kv-cache"));
    expect(fs.readdirSync(dir).sort()).toEqual(["a.tomekv", "a.tomekv-wal"]);
    expect(fs.readFileSync(path.join(dir, "a.tomekv-wal"), "utf8")).toBe("log");
    expect(fs.readdirSync(old)).toEqual(["notes.txt"]);
    expect(defaultCacheDir({ ...env, TOME_CACHE_DIR: "/elsewhere" })).toBe("/elsewhere");
  });

  it("the app moves its books' stores and the library records where they went", async () => {
    const dir = tempDir();
    const cache = path.join(tempDir(), "cache");
    // a book whose store an earlier tome kept in <data>/kv-cache
    const first = createCore({ dataDir: dir, mode: "browser", importThreadEntry, spawn: () => { throw new Error("no engine here"); } });
    const d = (await first.call("library.import", { name: "a.txt", dataBase64: b64("Alice sat by the river. ".repeat(20)) })) as DocumentInfo;
    const old = path.join(kvCacheDirIn(dir), "0123.tomekv");
    fs.mkdirSync(kvCacheDirIn(dir), { recursive: true });
    fs.writeFileSync(old, "store");
    first.lib.documents.setSaved(d.id, old, "/m.gguf", 100);
    first.close();
    const core = createCore({ dataDir: dir, cacheDir: cache, mode: "browser", importThreadEntry, spawn: () => { throw new Error("no engine here"); } });
    try {
      expect(core.lib.documents.savedFile(d.id)).toBe(path.join(cache, "0123.tomekv"));
      expect(fs.readFileSync(path.join(cache, "0123.tomekv"), "utf8")).toBe("store");
      expect(fs.existsSync(old)).toBe(false);
      expect(core.lib.documents.get(d.id)!.savedTokens).toBe(100); // still saved: the file is there
    } finally {
      core.close();
    }
  });

  it("a store the destination holds already is kept there; the old one is left to the cleanup", () => {
    const from = tempDir();
    fs.writeFileSync(path.join(from, "b.tomekv"), "store");
    // (a destination on another file system, where the stores stay and are used, cannot be made here)
    const to = tempDir();
    fs.writeFileSync(path.join(to, "b.tomekv"), "newer");
    expect(moveStores(from, to)).toBe(to);
    expect(fs.readFileSync(path.join(to, "b.tomekv"), "utf8")).toBe("newer");
    expect(fs.existsSync(path.join(from, "b.tomekv"))).toBe(true);
  });
});
