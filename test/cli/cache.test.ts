// The document KV cache as a user meets it: `tome run --doc` twice (the second
// run restores instead of prefilling and answers the same, token for token, as
// a run without the cache), a run killed with SIGKILL mid-prefill resumes, and
// `tome cache list|rm|gc` manage the folder.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon, packageRoot, removeCache } from "../../main/engine";
import { dataDir, hasData, modelPath } from "../helpers/data";

const bin = path.join(packageRoot(), "bin", "tome.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-cache-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const tome = (args: string[], cacheDir: string) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, TOME_CACHE_DIR: cacheDir },
  });

describe.skipIf(!hasData)("tome run --doc with the KV cache", () => {
  const doc = path.join(dir, "alice.txt");
  if (hasData)
    fs.writeFileSync(doc, fs.readFileSync(path.join(dataDir!, "books", "alice-in-wonderland_pg11.txt"), "utf8").slice(0, 3000));
  // retrieval with a small static set and no full-attention threshold, so the index is built, stored and restored
  const args = ["run", "--model", modelPath("stories260K.gguf"), "--doc", doc, "--prompt", "Alice said", "-n", "16",
    "--temp", "0", "--attention", "retrieval", "--sinks", "16", "--window", "64", "--full-below", "0", "--ctx", "2048", "--threads", "2",
    // small batches: the store commits each, so a kill mid-prefill finds some committed and some not
    "--batch", "32", "--json"];
  const answer = (r: ReturnType<typeof tome>) => {
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { tokens: number[]; doc_tokens: number; doc?: { restored: number; prefilled: number; cache: string } };
  };

  it("a second run restores the document and answers as a run without the cache", () => {
    const cacheDir = path.join(dir, "c1");
    const plain = answer(tome([...args, "--no-cache"], cacheDir));
    const first = answer(tome(args, cacheDir));
    expect(first.doc!.prefilled).toBe(first.doc_tokens);
    const second = answer(tome(args, cacheDir));
    expect(second.doc!.prefilled).toBe(0);
    // the first run's turn was stored too; the second cut it back to the document
    expect(second.doc!.restored).toBeGreaterThan(second.doc_tokens);
    expect(first.tokens).toEqual(plain.tokens);
    expect(second.tokens).toEqual(plain.tokens);
    // another window: the run keeps the cache's (its index was built with it), says so, and reads nothing again
    const wider = tome(args.map((a) => (a === "64" ? "96" : a)), cacheDir);
    expect(answer(wider).doc!.prefilled).toBe(0);
    expect(answer(wider).tokens).toEqual(plain.tokens);
    expect(wider.stderr).toContain("indexed with --sinks 16 --window 64, which this run keeps (asked: 16, 96)");

    const list = JSON.parse(tome(["cache", "list", "--json"], cacheDir).stdout);
    expect(list.caches).toHaveLength(1);
    expect(list.caches[0]).toMatchObject({ doc: "alice.txt", model: "stories260K.gguf", index_complete: true });
    expect(list.caches[0].bytes).toBeGreaterThan(0);
  });

  it("a run killed during its prefill resumes where it stopped", async () => {
    const cacheDir = path.join(dir, "c2");
    const plain = answer(tome([...args, "--no-cache"], path.join(dir, "unused")));
    // kill at a point inside the prefill: as soon as the store has a committed
    // batch (read through SQLite, which shows committed transactions only, from a
    // copy of its files: the run holds the store locked)
    const child = spawn(process.execPath, [bin, ...args.slice(0, -1)], {
      env: { ...process.env, TOME_CACHE_DIR: cacheDir },
      stdio: "ignore",
    });
    const committed = (): number => {
      const f = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).find((n) => n.endsWith(".tomekv")) : undefined;
      if (!f) return 0;
      const peek = path.join(dir, "peek.tomekv");
      try {
        for (const side of ["", "-wal"]) {
          fs.rmSync(peek + side, { force: true });
          if (fs.existsSync(path.join(cacheDir, f) + side)) fs.copyFileSync(path.join(cacheDir, f) + side, peek + side);
        }
        const db = new Database(peek, { fileMustExist: true });
        try {
          return (db.prepare("SELECT COALESCE(SUM(n), 0) AS n FROM tokens").get() as { n: number }).n;
        } finally {
          db.close();
        }
      } catch {
        return 0; // not created yet, or its schema not yet committed
      }
    };
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (committed() > 0 || Date.now() - started > 60_000) {
          clearInterval(poll);
          child.kill("SIGKILL");
          resolve();
        }
      }, 2);
    });
    await new Promise((r) => child.on("exit", r));
    const resumed = answer(tome(args, cacheDir));
    expect(resumed.tokens).toEqual(plain.tokens);
    // it was killed mid-way: some of the document came back, not all of it
    expect(resumed.doc!.restored).toBeGreaterThan(0);
    expect(resumed.doc!.prefilled).toBeGreaterThan(0);
  });

  it("cache rm and gc remove stores, least recently used first", () => {
    const cacheDir = path.join(dir, "c3");
    const doc2 = path.join(dir, "alice2.txt");
    fs.writeFileSync(doc2, fs.readFileSync(doc, "utf8").slice(0, 2000));
    answer(tome(args, cacheDir));
    answer(tome(args.map((a) => (a === doc ? doc2 : a)), cacheDir));
    const list = JSON.parse(tome(["cache", "list", "--json"], cacheDir).stdout).caches as { file: string; doc: string; bytes: number }[];
    expect(list.map((c) => c.doc).sort()).toEqual(["alice.txt", "alice2.txt"]);
    // a budget that fits one: the older (alice.txt) goes
    const keep = Math.max(...list.map((c) => c.bytes));
    const gc = JSON.parse(tome(["cache", "gc", "--max", String(keep), "--json"], cacheDir).stdout);
    expect(gc.removed.map((c: { doc: string }) => c.doc)).toEqual(["alice.txt"]);
    const left = JSON.parse(tome(["cache", "list", "--json"], cacheDir).stdout).caches;
    expect(left.map((c: { doc: string }) => c.doc)).toEqual(["alice2.txt"]);
    const rm = tome(["cache", "rm", path.basename(left[0].file).slice(0, 8), "--json"], cacheDir);
    expect(rm.status, rm.stderr).toBe(0);
    expect(JSON.parse(tome(["cache", "list", "--json"], cacheDir).stdout).caches).toHaveLength(0);
    expect(tome(["cache", "gc"], cacheDir).status).toBe(2);
    expect(tome(["cache", "rm", "nothing-like-this"], cacheDir).status).toBe(2);
  });

  it("a store a session holds is listed as in use, and neither gc nor rm removes it", async () => {
    const cacheDir = path.join(dir, "c4");
    answer(tome(args, cacheDir)); // one store, closed
    const [closed] = JSON.parse(tome(["cache", "list", "--json"], cacheDir).stdout).caches as { file: string }[];
    // another: held open by a session in this process (the app, in another)
    const addon = loadAddon();
    const session = new addon.Session(new addon.Model(modelPath("stories260K.gguf")), { ctx: 256, threads: 1 });
    const held = path.join(cacheDir, "held.tomekv");
    await session.attachStore(held);
    await session.prefill(Int32Array.from({ length: 40 }, (_, i) => 1 + i));
    try {
      const list = JSON.parse(tome(["cache", "list", "--json"], cacheDir).stdout).caches as { file: string; in_use: boolean }[];
      expect(list.map((c) => [path.basename(c.file), c.in_use]).sort()).toEqual([[path.basename(closed.file), false], ["held.tomekv", true]].sort());
      expect(tome(["cache", "list"], cacheDir).stdout).toMatch(/held\.tomekv .* in use by a tome session/);
      const rm = tome(["cache", "rm", "held"], cacheDir);
      expect(rm.status).toBe(1);
      expect(rm.stderr).toBe("tome cache: held.tomekv: in use by a tome session (close it first)\n");
      const gc = JSON.parse(tome(["cache", "gc", "--max", "1", "--json"], cacheDir).stdout);
      expect(gc.removed.map((c: { file: string }) => c.file)).toEqual([closed.file]);
      const all = JSON.parse(tome(["cache", "rm", "--all", "--json"], cacheDir).stdout);
      expect(all).toMatchObject({ removed: [], kept_in_use: [{ file: held, in_use: true }] });
      expect(fs.existsSync(held)).toBe(true);
      // a deletion decided on a stale listing (free when listed, opened since) is refused under
      // the store's lock: it deleted the file under the session, whose read was lost at close
      expect(removeCache(held)).toBe(false);
      expect(fs.existsSync(held)).toBe(true);
    } finally {
      session.close();
    }
    // closed, it is an ordinary store again
    expect(JSON.parse(tome(["cache", "list", "--json"], cacheDir).stdout).caches).toMatchObject([{ file: held, in_use: false, tokens: 40 }]);
  });

  it("a run whose store another process holds reads without it, says why, and leaves it (it exited 1 on STORE_BUSY)", () => {
    const cacheDir = path.join(dir, "c5");
    const plain = answer(tome([...args, "--no-cache"], cacheDir));
    answer(tome(args, cacheDir));
    const [{ file }] = JSON.parse(tome(["cache", "list", "--json"], cacheDir).stdout).caches as { file: string }[];
    // held as a tome session holds it: SQLite's exclusive lock, taken by a write transaction
    const holder = new Database(file);
    holder.pragma("locking_mode = EXCLUSIVE");
    holder.exec("BEGIN IMMEDIATE");
    try {
      const off = answer(tome(args, cacheDir)) as ReturnType<typeof answer> & { doc: { cache_off?: string } };
      expect(off.doc.cache_off).toMatch(/in use by another tome process/);
      expect(off.doc.prefilled).toBe(off.doc_tokens);
      expect(off.tokens).toEqual(plain.tokens);
      const text = tome(args.filter((a) => a !== "--json"), cacheDir);
      expect(text.status, text.stderr).toBe(0);
      expect(text.stderr).toMatch(/tokens prefilled in \d+ ms without its KV cache \(.*in use by another tome process/);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    expect(answer(tome(args, cacheDir)).doc!.prefilled).toBe(0); // let go, it serves again
  });

  it("a cache folder that cannot be made is a clear error", () => {
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "not a folder");
    const r = tome(args, path.join(file, "cache"));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toBe(`tome run: cache folder ($TOME_CACHE_DIR) '${path.join(file, "cache")}': a part of the path is not a directory\n`);
    const flag = tome([...args, "--cache-dir", file], path.join(dir, "unused"));
    expect(flag.status).toBe(1);
    expect(flag.stderr).toBe(`tome run: --cache-dir '${file}': exists and is not a directory\n`);
  });

  it("cache list: a default folder not yet made lists empty; a --dir that does not exist is an error", () => {
    const missing = path.join(dir, "never-made");
    const list = tome(["cache", "list"], missing);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toBe(`0 cache(s), 0 B in ${missing} (not created yet)\n`);
    const r = tome(["cache", "list", "--dir", missing], missing);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tome cache: --dir '${missing}': no such directory\n`);
  });
});
