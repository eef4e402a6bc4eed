// The engine host (the real worker process) with document KV stores: a book
// read once is restored by a new host (a restart) instead of prefilled, its
// index built over the document part only, and the answer is the same as
// without a store; the conversation's turn joins the store; a read says which
// store it bound, and release({ file }) lets go of that one only. Under a RAM budget
// a long book is read in one layer-major call (progress per layer and chunk,
// cancel between chunks), answering as the token-major read.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon, packageRoot } from "../../main/engine";
import Database from "better-sqlite3";
import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { EngineClient, forkEngine, type SpawnEngine } from "../../main/host/engine-client";
import { hasData, modelPath } from "../helpers/data";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-host-store-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// retrieval with a small static set, so the index is built over the document
// no full-attention threshold: the short book is indexed, as a long one is
const attention = { attention: "retrieval" as const, sinks: 16, window: 64, topK: 32, fullBelow: 0 };

const workerJs = () => path.join(packageRoot(), "build", "main", "host", "worker.js");

/** The worker under a file-size limit (prlimit): a write past fileLimit bytes fails as on a full disk. */
function forkLimited(fileLimit: number): SpawnEngine {
  return () => {
    const child = fork(workerJs(), [], {
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execPath: "/usr/bin/prlimit",
      execArgv: [`--fsize=${fileLimit}`, process.execPath],
    });
    return {
      send: (m) => child.send(m),
      onMessage: (cb) => child.on("message", (m) => cb(m as Parameters<typeof cb>[0])),
      onExit: (cb) => child.on("exit", (code, signal) => cb(signal ? `killed by ${signal}` : `exited with code ${code}`)),
      kill: () => child.kill(),
    };
  };
}

async function host(cacheDir?: string, cacheBudget?: number, fileLimit?: number, ramBudget?: number, asked = attention) {
  // the built worker (npm install builds it): tests run from the sources
  const engine = new EngineClient(fileLimit ? forkLimited(fileLimit) : forkEngine(workerJs()));
  await engine.call("load", { path: modelPath("stories260K.gguf"), ctx: 2048, threads: 2, attention: asked, cacheDir, cacheBudget, ramBudget });
  return engine;
}

// a "prompt": [BOS] document tokens, then a question
const doc = Int32Array.from({ length: 900 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % 500)));
const question = Int32Array.from([410, 444, 269, 300, 301]);
const prompt = Int32Array.from([...doc, ...question]);
const greedy = { temperature: 0, seed: 1 };

describe.skipIf(!hasData)("engine host with document KV stores", () => {
  it("a restarted host restores the book from its store and answers the same", async () => {
    const plain = await host();
    const want = await plain.call("generate", { jobId: "p", tokens: prompt, maxTokens: 12, sampler: greedy, docStart: 1, docEnd: doc.length });
    plain.close();

    const cacheDir = path.join(dir, "kv");
    const first = await host(cacheDir);
    const phases: string[] = [];
    const etas: (number | null | undefined)[] = [];
    const layers: [number, number, number | null | undefined][] = [];
    first.onEvent((e) => {
      if (e.event === "progress") phases.push(e.phase ?? "prefill");
      if (e.event === "progress" && e.phase === undefined) etas.push(e.etaMs);
      if (e.event === "progress" && e.phase === "index" && e.total > 1) layers.push([e.done, e.total, e.etaMs]);
    });
    const read = await first.call("prefill", { jobId: "r", tokens: doc, docEnd: doc.length });
    // the time left by the read's work: none at its start, then a time, none at its end
    expect(etas[0]).toBeNull();
    expect(etas.slice(1).every((t) => typeof t === "number" && t >= 0)).toBe(true);
    expect(etas.length).toBeGreaterThan(2);
    expect(etas[etas.length - 1]).toBe(0);
    // the index build's layers (stories260K: 5), each but the first with the time left by their rate
    expect(layers.map(([d, t]) => [d, t])).toEqual([0, 1, 2, 3, 4].map((d) => [d, 5]));
    expect(layers[0][2]).toBeNull();
    expect(layers.slice(1).every(([, , t]) => typeof t === "number" && t >= 0)).toBe(true);
    expect(read.cache).toBe("restored 0");
    expect(read.evaluated).toBe(doc.length);
    // where the book's store is, so the library can say it opens from disk
    expect(path.dirname(read.cacheFile!)).toBe(cacheDir);
    expect(path.basename(read.cacheFile!)).toMatch(/^[0-9a-f]{32}\.tomekv$/);
    expect(fs.existsSync(read.cacheFile!)).toBe(true);
    // prefill progress, then the index build (start and end) after the document
    expect(phases.slice(-2)).toEqual(["index", "index"]);
    expect(phases[0]).toBe("prefill");
    const a1 = await first.call("generate", { jobId: "g1", tokens: prompt, maxTokens: 12, sampler: greedy, docStart: 1, docEnd: doc.length });
    first.close();
    expect(a1.text).toBe(want.text);
    expect(a1.cacheFile).toBe(read.cacheFile);

    const second = await host(cacheDir);
    const again = await second.call("prefill", { jobId: "r2", tokens: doc, docEnd: doc.length });
    // the document and the first turn came back; reading the book evaluates nothing again (it
    // used to evaluate its last token, cutting the context below the index's build point: the
    // store dropped its index, and the next restart read the whole book again)
    expect(Number(again.cache!.split(" ")[1])).toBeGreaterThan(doc.length);
    expect(again.evaluated).toBe(0);
    const a2 = await second.call("generate", { jobId: "g2", tokens: prompt, maxTokens: 12, sampler: greedy, docStart: 1, docEnd: doc.length });
    second.close();
    expect(a2.text).toBe(want.text);
    expect(a2.reused).toBe(doc.length);
    expect(fs.readdirSync(cacheDir).filter((f) => f.endsWith(".tomekv"))).toHaveLength(1);
    expect(loadAddon().inspectStore(read.cacheFile!)).toMatchObject({ index_built_at: String(doc.length), index_complete: "1" });

    // settings changed since (a wider window): the book keeps its store's static set, says so,
    // and is not read again; the answer is the store's
    const wider = await host(cacheDir, undefined, undefined, undefined, { ...attention, window: 96 });
    const kept = await wider.call("prefill", { jobId: "r3", tokens: doc, docEnd: doc.length });
    expect(kept.cache).toMatch(/^restored \d+; kept sinks 16 window 64$/);
    expect(kept.evaluated).toBe(0);
    const a3 = await wider.call("generate", { jobId: "g3", tokens: prompt, maxTokens: 12, sampler: greedy, docStart: 1, docEnd: doc.length });
    wider.close();
    expect(a3.text).toBe(want.text);
  });

  it("says which store a read binds before it fills it, and lets go of it only when asked by its name", async () => {
    const h = await host(path.join(dir, "bound"));
    const events: string[] = [];
    h.onEvent((e) => {
      if (e.event === "store") events.push(`store ${e.file}`);
      else if (e.event === "progress") events.push("progress");
    });
    const read = await h.call("prefill", { jobId: "r", tokens: doc, docEnd: doc.length });
    expect(events.slice(0, 2)).toEqual([`store ${read.cacheFile}`, "progress"]);
    expect(await h.call("release", { file: path.join(dir, "bound", "another.tomekv") })).toEqual({ released: false });
    expect((await h.call("stats", {})).nPast).toBe(doc.length);
    expect(await h.call("release", { file: read.cacheFile })).toEqual({ released: true });
    expect((await h.call("stats", {})).nPast).toBe(0);
    h.close();
  });

  it("a store of another format version is made again, not read and not set aside", async () => {
    const cacheDir = path.join(dir, "kv-version");
    const first = await host(cacheDir);
    const read = await first.call("prefill", { jobId: "r", tokens: doc, docEnd: doc.length });
    first.close();
    const db = new Database(read.cacheFile!, { fileMustExist: true });
    db.prepare("UPDATE meta SET value = '0' WHERE key = 'version'").run();
    db.close();
    const second = await host(cacheDir);
    const again = await second.call("prefill", { jobId: "r2", tokens: doc, docEnd: doc.length });
    second.close();
    expect(again).toMatchObject({ cache: "restored 0", cacheFile: read.cacheFile, evaluated: doc.length });
    expect(loadAddon().inspectStore(read.cacheFile!).version).toBe("1");
  });

  it("a disk budget removes the least recently used stores, never the one in use", async () => {
    const cacheDir = path.join(dir, "kv-budget");
    const h = await host(cacheDir, 1); // one byte: only the store in use may stay
    const a = await h.call("prefill", { jobId: "a", tokens: doc, docEnd: doc.length });
    expect(a.cacheRemoved).toBeUndefined();
    expect(fs.existsSync(a.cacheFile!)).toBe(true);
    const other = Int32Array.from(doc, (t, i) => (i === 0 ? t : 3 + ((t + 11) % 500)));
    const b = await h.call("prefill", { jobId: "b", tokens: other, docEnd: other.length });
    h.close();
    expect(b.cacheFile).not.toBe(a.cacheFile);
    expect(b.cacheRemoved).toBe(1);
    expect(fs.existsSync(a.cacheFile!)).toBe(false);
    expect(fs.readdirSync(cacheDir).filter((f) => f.endsWith(".tomekv"))).toEqual([path.basename(b.cacheFile!)]);
  });

  it.skipIf(!fs.existsSync("/usr/bin/prlimit"))("a disk that fills up part way: the book is read without its store, other stores intact", async () => {
    const cacheDir = path.join(dir, "kv-full");
    const first = await host(cacheDir);
    const earlier = await first.call("prefill", { jobId: "e", tokens: doc, docEnd: doc.length });
    first.close();
    const sum = (f: string) => createHash("sha256").update(fs.readFileSync(f)).digest("hex");
    const earlierSum = sum(earlier.cacheFile!);

    const other = Int32Array.from(doc, (t, i) => (i === 0 ? t : 3 + ((t + 29) % 500)));
    const plain = await host();
    const want = await plain.call("generate", { jobId: "p", tokens: other, maxTokens: 8, sampler: greedy, docStart: 1, docEnd: other.length });
    plain.close();

    // a full store of this book is about 8 MB: 1 MB lets the store open, then fails part way through the read
    const h = await host(cacheDir, 0, 1_000_000);
    const read = await h.call("prefill", { jobId: "r", tokens: other, docEnd: other.length });
    expect(read.cache).toMatch(/^off: .*disk is full/);
    expect(read.cacheFile).toBeUndefined();
    expect(read.evaluated).toBe(other.length);
    // the answer is the one without a store; the refused store is not tried again in this load
    const a = await h.call("generate", { jobId: "g", tokens: other, maxTokens: 8, sampler: greedy, docStart: 1, docEnd: other.length });
    h.close();
    expect(a.text).toBe(want.text);
    expect(a.cache).toMatch(/^off: /);
    expect(a.reused).toBeGreaterThan(0);
    // the refused store's files are gone (their space back); the earlier book's store is untouched
    const left = fs.readdirSync(cacheDir);
    expect(left).toContain(path.basename(earlier.cacheFile!));
    expect(left.every((f) => f.startsWith(path.basename(earlier.cacheFile!)))).toBe(true);
    expect(sum(earlier.cacheFile!)).toBe(earlierSum);
  });

  it("under a RAM budget a long book is read layer-major: the same answer, and a cancel leaves the engine as before", async () => {
    // longer than two batches (512): the layer-major path
    const book = Int32Array.from({ length: 1500 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % 500)));
    const ask = Int32Array.from([...book, ...question]);
    const plain = await host(path.join(dir, "kv-token-major"));
    const tm = await plain.call("prefill", { jobId: "t", tokens: book, docEnd: book.length });
    expect(tm.layerMajor).toBeUndefined(); // no budget: read in 256-token chunks
    const want = await plain.call("generate", { jobId: "tg", tokens: ask, maxTokens: 12, sampler: greedy, docStart: 1, docEnd: book.length });
    plain.close();

    // the indexes of this book take about 12 MB: a budget above them
    const h = await host(path.join(dir, "kv-layer-major"), 0, undefined, 16 << 20);
    const progress: { jobId: string; phase: string; done: number; total: number }[] = [];
    let cancelSent = false;
    h.onEvent((e) => {
      if (e.event !== "progress") return;
      progress.push({ jobId: e.jobId, phase: e.phase ?? "prefill", done: e.done, total: e.total });
      // cancelled at its first report: the engine has seconds of layers and index builds left
      if (e.jobId === "c" && e.done > 0 && !cancelSent) {
        cancelSent = true;
        void h.call("cancel", { jobId: "c" });
      }
    });
    const outcome = await h.call("prefill", { jobId: "c", tokens: book, docEnd: book.length }).then(
      () => "read",
      (e: { code?: string }) => e.code,
    );
    expect(outcome).toBe("CANCELLED");
    expect((await h.call("stats", {})).nPast).toBe(0); // as before the read (its store bound, empty)

    // memory polled while it reads (the app polls every second): the session's getters are busy
    // for the whole call, so the host tier comes from what the read's reports measured
    let readEnded = false;
    const duringRead: number[] = [];
    h.onEvent((e) => {
      if (e.event === "progress" && e.jobId === "r" && e.phase === "index") readEnded = true;
    });
    const poll = (async () => {
      while (!readEnded) {
        const s = await h.call("stats", {});
        if (!readEnded) duringRead.push(s.tiers.hostBytes); // (replies come before the read's last event)
      }
    })();
    const read = await h.call("prefill", { jobId: "r", tokens: book, docEnd: book.length });
    await poll;
    expect(duringRead.length).toBeGreaterThan(0);
    expect(Math.max(...duringRead)).toBeGreaterThan(0); // the host tier was 0 before the read
    expect(read.layerMajor).toBe(true);
    expect(read.evaluated).toBe(book.length);
    // progress in tokens, rising to the book's length (one report per layer and batch), then the index built
    const mine = progress.filter((p) => p.jobId === "r");
    const prefill = mine.filter((p) => p.phase === "prefill");
    expect(prefill.every((p, i) => p.total === book.length && (i === 0 || p.done > prefill[i - 1].done))).toBe(true);
    expect(prefill.at(-1)!.done).toBe(book.length);
    expect(prefill.length).toBeGreaterThan(3);
    expect(mine.at(-1)).toMatchObject({ phase: "index", done: 1, total: 1 });
    const got = await h.call("generate", { jobId: "g", tokens: ask, maxTokens: 12, sampler: greedy, docStart: 1, docEnd: book.length });
    const stats = await h.call("stats", {});
    h.close();
    expect(got.text).toBe(want.text);
    expect(got.reused).toBe(book.length);
    expect(stats.tiers.hostBytes).toBeLessThanOrEqual(16 << 20); // the budget holds after the read
  });

  it("a store found damaged part way is bound again: the answer comes from its intact prefix, the same", async () => {
    // a long second prompt: the store then holds whole blocks past the index's build point (the
    // book's end) and before the next step's window, which a reopen under a RAM budget leaves
    // in the store until the first step inserts their keys, reading them
    const book = Int32Array.from({ length: 1500 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 7919) % 500)));
    const long = Int32Array.from({ length: 300 }, (_, i) => 5 + ((i * 131) % 400));
    const ask = Int32Array.from([...book, ...long]);
    const turn = { tokens: ask, maxTokens: 8, sampler: greedy, docStart: 1, docEnd: book.length };
    const plain = await host();
    const want = await plain.call("generate", { jobId: "p", ...turn });
    plain.close();

    const cacheDir = path.join(dir, "kv-damaged");
    const first = await host(cacheDir, 0, undefined, 16 << 20);
    await first.call("prefill", { jobId: "r", tokens: book, docEnd: book.length });
    const a1 = await first.call("generate", { jobId: "g1", ...turn });
    first.close();
    expect(a1.text).toBe(want.text);
    // block 12, positions [1536, 1664): past the build point, before the window
    const db = new Database(a1.cacheFile!);
    db.prepare("UPDATE kv SET crc = crc + 1 WHERE layer = 1 AND head = 0 AND block = 12").run();
    db.close();

    const second = await host(cacheDir, 0, undefined, 16 << 20);
    const a2 = await second.call("generate", { jobId: "g2", ...turn });
    const again = await second.call("generate", { jobId: "g3", ...turn });
    second.close();
    // the first bind restored the whole conversation; its first step found the block damaged,
    // which cut the store back to it; bound again, the store gave that much, the rest was read
    expect(a2.cache).toBe("restored 1536");
    expect(a2.reused).toBe(1536);
    expect(a2.text).toBe(want.text);
    expect(again.text).toBe(want.text);
    expect(again.cacheFile).toBe(a1.cacheFile); // the store stays in use
  });

  /** Another book's read, cancelled by the core while it tokenized: the cancel comes first. */
  async function readCancelledFirst(h: Awaited<ReturnType<typeof host>>) {
    await h.call("cancel", { jobId: "b" });
    const other = Int32Array.from({ length: 300 }, (_, i) => (i === 0 ? 1 : 7 + ((i * 31) % 400)));
    const outcome = await h.call("prefill", { jobId: "b", tokens: other, docEnd: other.length }).then(
      () => "read",
      (e: { code?: string }) => e.code,
    );
    expect(outcome).toBe("CANCELLED");
  }

  it("a read cancelled before it reaches the engine leaves the book the engine holds", async () => {
    const h = await host();
    await h.call("prefill", { jobId: "a", tokens: doc, docEnd: doc.length });
    await readCancelledFirst(h);
    expect((await h.call("stats", {})).nPast).toBe(doc.length); // not cut to the two books' common prefix (1)
    h.close();
  });

  it("a read cancelled before it reaches the engine leaves the book the engine holds, with its store", async () => {
    const h = await host(path.join(dir, "cancelled-first"));
    const a = await h.call("prefill", { jobId: "a", tokens: doc, docEnd: doc.length });
    expect(a.cacheFile).toBeDefined();
    await readCancelledFirst(h);
    // binding the other book's store came first: a fresh session, the book held gone (nPast 0)
    expect((await h.call("stats", {})).nPast).toBe(doc.length);
    const again = await h.call("prefill", { jobId: "a2", tokens: doc, docEnd: doc.length });
    expect(again).toMatchObject({ cache: "bound", cacheFile: a.cacheFile, evaluated: 0 });
    h.close();
  });

  it("a cache folder that cannot be used leaves reading working, without a store", async () => {
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "x");
    const h = await host(path.join(file, "kv"));
    const read = await h.call("prefill", { jobId: "r", tokens: doc, docEnd: doc.length });
    h.close();
    expect(read.cache).toMatch(/^off: /);
    expect(read.cacheFile).toBeUndefined();
    expect(read.evaluated).toBe(doc.length);
  });
});
