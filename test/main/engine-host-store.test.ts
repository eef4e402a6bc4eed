// The engine host (the real worker process) with document KV stores: a book
// read once is restored by a new host (a restart) instead of prefilled, its
// index built over the document part only, and the answer is the same as
// without a store; the conversation's turn joins the store.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../main/engine";
import { EngineClient, forkEngine } from "../../main/host/engine-client";
import { hasData, modelPath } from "../helpers/data";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-host-store-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// retrieval with a small static set, so the index is built over the document
const attention = { attention: "retrieval" as const, sinks: 16, window: 64, topK: 32 };

async function host(cacheDir?: string, cacheBudget?: number) {
  // the built worker (npm install builds it): tests run from the sources
  const engine = new EngineClient(forkEngine(path.join(packageRoot(), "build", "main", "host", "worker.js")));
  await engine.call("load", { path: modelPath("stories260K.gguf"), ctx: 2048, threads: 2, attention, cacheDir, cacheBudget });
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
    first.onEvent((e) => {
      if (e.event === "progress") phases.push(e.phase ?? "prefill");
    });
    const read = await first.call("prefill", { jobId: "r", tokens: doc, docEnd: doc.length });
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
    // the document and the first turn came back; only the last token is evaluated again
    expect(Number(again.cache!.split(" ")[1])).toBeGreaterThan(doc.length);
    expect(again.evaluated).toBe(1);
    const a2 = await second.call("generate", { jobId: "g2", tokens: prompt, maxTokens: 12, sampler: greedy, docStart: 1, docEnd: doc.length });
    second.close();
    expect(a2.text).toBe(want.text);
    expect(a2.reused).toBe(doc.length);
    expect(fs.readdirSync(cacheDir).filter((f) => f.endsWith(".tomekv"))).toHaveLength(1);
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
