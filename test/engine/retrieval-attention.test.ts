// RetrievalAttention in the engine, against full attention in the same engine:
//   - retrieval with top-k = every key (flat) equals full attention,
//   - the context keeps growing over 2K generated tokens: keys leaving the
//     window are inserted into the index and stay retrievable,
//   - every sparse mode runs and reports its per-step stats,
//   - retrieval below its exact-scan threshold is flat, bit for bit,
//   - retrieval below fullBelow is full attention, bit for bit, its index built at
//     the next prompt past it,
//   - on phi3 (Q scaled before attention, scores at scale 1) too.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadAddon, openDocument, type NativeModel, type SessionOptions } from "../../main/engine";
import { hasData, modelPath } from "../helpers/data";
import { syntheticModel, pseudoTokens } from "../../main/bench/synthetic";
import { argmax, logSoftmax } from "../helpers/tome";

const STORIES = modelPath("stories260K.gguf");
const SMALL = { sinks: 16, window: 64 };

function session(opts: SessionOptions) {
  const addon = loadAddon();
  const model = new addon.Model(STORIES);
  return { model, session: new addon.Session(model, { ctx: 4096, threads: 2, ...opts }) };
}

/** Max |log p_a - log p_b| over the vocabulary. */
function maxLogpDiff(a: Float32Array, b: Float32Array): number {
  const la = logSoftmax(a), lb = logSoftmax(b);
  let m = 0;
  for (let i = 0; i < la.length; i++) if (lb[i] > -30) m = Math.max(m, Math.abs(la[i] - lb[i]));
  return m;
}


/**
 * A synthetic tiny `arch` model over a 600-token document, then 32 decoded steps: the largest
 * log-probability difference from full attention of flat and retrieval with top-k = all keys,
 * and of streaming (the static set alone).
 */
/** Whether two logit vectors are the same bits. */
const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** body(model, dir) with the tiny synthetic gemma3 in a temporary folder, removed after. */
async function withTinyGemma3(tmpPrefix: string, body: (model: NativeModel, dir: string) => Promise<void>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  try {
    await body(new (loadAddon().Model)(await syntheticModel("gemma3", "tiny", "q8_0", dir)), dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function againstFull(arch: "phi3" | "gemma3" | "smollm3" | "mistral3" | "granite" | "chatglm" | "exaone4" | "cohere2" | "hunyuan-dense" | "olmo2" | "gpt-oss", tmpPrefix: string, layers = 0): Promise<{ worst: number; streaming: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  try {
    const addon = loadAddon();
    const model = new addon.Model(await syntheticModel(arch, "tiny", "q8_0", dir, undefined, { layers }));
    const open = (opts: SessionOptions) => new addon.Session(model, { ctx: 1024, threads: 2, numerics: "exact", ...opts });
    const full = open({ attention: "full" });
    const sparse = [open({ attention: "flat", topK: 100000, ...SMALL }), open({ attention: "retrieval", topK: 100000, ...SMALL })];
    const stream = open({ attention: "streaming", ...SMALL });
    const doc = Int32Array.from([1, ...pseudoTokens(599, 3, model.info().nVocab, 5)]);
    await Promise.all([full, ...sparse, stream].map((s) => s.eval(doc)));
    let worst = 0;
    let streaming = 0;
    for (const t of pseudoTokens(32, 3, model.info().nVocab, 9)) {
      const lf = await full.eval(Int32Array.of(t));
      for (const s of sparse) {
        const l = await s.eval(Int32Array.of(t));
        expect(s.lastStats().sparse).toBe(true);
        worst = Math.max(worst, maxLogpDiff(lf, l));
      }
      streaming = Math.max(streaming, maxLogpDiff(lf, await stream.eval(Int32Array.of(t))));
    }
    return { worst, streaming };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasData)("retrieval attention", () => {
  it("flat with top-k = all keys equals full attention over 2K generated tokens", async () => {
    // full attention generates; flat (every key retrieved) is teacher-forced on the same tokens
    // exact numerics: llama.cpp's f16 rounding of probabilities would make parts
    // normalized separately differ from one softmax by that rounding
    const full = session({ attention: "full", numerics: "exact" });
    const flat = session({ attention: "flat", topK: 100000, numerics: "exact", ...SMALL });
    const prompt = Array.from(full.model.tokenize("Once upon a time, there was a little girl named Lily.", true, false));
    let lf = await full.session.eval(Int32Array.from(prompt));
    // the first sparse eval builds the index; give it a context longer than sinks + window + 256
    const tokens: number[] = [];
    for (let i = 0; i < 400; i++) {
      const t = argmax(lf);
      tokens.push(t);
      lf = await full.session.eval(Int32Array.of(t));
    }
    // both sessions now hold prompt + tokens; the next token is the first sparse step
    await flat.session.eval(Int32Array.from([...prompt, ...tokens]));
    const first = argmax(lf);
    lf = await full.session.eval(Int32Array.of(first));
    let lr = await flat.session.eval(Int32Array.of(first));
    expect(flat.session.lastStats().sparse).toBe(true);
    let worst = 0;
    let early = 0;
    let agree = 0;
    const steps = 2000;
    for (let i = 0; i < steps; i++) {
      const d = maxLogpDiff(lf, lr);
      worst = Math.max(worst, d);
      if (i < 100) early = Math.max(early, d);
      if (argmax(lf) === argmax(lr)) agree++;
      const t = argmax(lf);
      lf = await full.session.eval(Int32Array.of(t));
      lr = await flat.session.eval(Int32Array.of(t));
    }
    const st = flat.session.lastStats();
    // every key outside the static set is in the index and retrieved
    expect(st.keysRetrieved).toBeGreaterThan(0);
    expect(st.keysScannedFrac).toBeCloseTo(1, 5);  // flat scans every indexed key once per query head
    console.log(`flat(all) vs full over ${steps} steps: top-1 agreement ${agree}/${steps}, ` +
      `max |dlogp| ${early.toExponential(2)} (first 100 steps), ${worst.toExponential(2)} (all)`);
    // Float rounding only: the parts are summed in another order. Each step's
    // K/V come from the previous steps, so the rounding differences accumulate
    // in the cache over 2K steps (this model is run 5x past its trained context),
    // hence a looser bound over the whole run than over its start; the layer-level
    // equality is checked exactly in native/tests/model/test_retrieval_attention.
    expect(early).toBeLessThan(3e-2);
    expect(worst).toBeLessThan(0.5);
    expect(agree).toBeGreaterThanOrEqual(steps - 5);
  }, 600_000);

  for (const attention of ["retrieval", "flat", "ivf", "streaming"] as const)
    it(`${attention}: decodes after a long prefill and reports per-step stats`, async () => {
      const { model, session: s } = session({ attention, topK: 32, monitorEvery: 1, monitorHeads: 4, ...SMALL });
      const text = "Lily and Tom went to the park. They played with a big red ball. ".repeat(40);
      const doc = Array.from(model.tokenize(text, true, false));
      expect(doc.length).toBeGreaterThan(SMALL.sinks + SMALL.window + 256);
      let logits = await s.eval(Int32Array.from(doc));
      for (let i = 0; i < 8; i++) logits = await s.eval(Int32Array.of(argmax(logits)));
      const st = s.lastStats();
      expect(st.sparse).toBe(true);
      expect(st.mode).toBe(attention);
      expect(st.ms.staticAttention).toBeGreaterThan(0);
      expect(st.massCaptured).toBeGreaterThan(0);
      expect(st.massCaptured).toBeLessThanOrEqual(1 + 1e-9);
      if (attention === "streaming") {
        expect(st.keysRetrieved).toBe(0);
      } else {
        expect(st.keysRetrieved).toBeGreaterThan(0);
        expect(st.positions.length).toBeGreaterThan(0);
        expect(st.positions.every((p) => p >= SMALL.sinks && p < s.nPast() - SMALL.window)).toBe(true);
        expect(st.recall).toBeGreaterThan(0);
      }
      if (attention === "flat") expect(st.recall).toBeCloseTo(1, 6);
      if (attention === "retrieval" || attention === "ivf") expect(st.keysScannedFrac).toBeLessThan(1);
    });

  it("the monitor widens the search beam while the captured mass is below widenBelow", async () => {
    // a widens at every monitor step (the mass is always below 1), b never; both
    // are teacher-forced on a's greedy tokens, so they differ only by the beam
    const opts = { attention: "retrieval", topK: 8, monitorEvery: 4, monitorHeads: 4, ...SMALL } as const;
    const a = session({ ...opts, widenBelow: 1 });
    const b = session({ ...opts, widenBelow: 0 });
    const doc = Array.from(a.model.tokenize("Lily and Tom went to the park. They played with a big red ball. ".repeat(40), true, false));
    let la = await a.session.eval(Int32Array.from(doc));
    await b.session.eval(Int32Array.from(doc));
    let firstWiden = -1;
    for (let i = 0; i < 12; i++) {
      const t = argmax(la);
      la = await a.session.eval(Int32Array.of(t));
      await b.session.eval(Int32Array.of(t));
      const sa = a.session.lastStats(), sb = b.session.lastStats();
      const monitored = sb.recall !== undefined;
      expect(sb.widened).toBe(false);
      expect(sa.widened).toBe(monitored);
      if (firstWiden < 0) {
        if (sa.widened) firstWiden = i; // (its layers after the monitored one already search wider)
        else expect(sa.keysScanned).toBe(sb.keysScanned); // the same sessions until the first widening
      } else if (!monitored) {
        // a step after a widening: every layer searches with twice the beam (ef 24 -> 48);
        // on these ~840-key graphs that scans ~1.2x the keys (27% against 21%)
        expect(sa.keysScanned).toBeGreaterThan(1.1 * sb.keysScanned);
      }
    }
    expect(firstWiden).toBeGreaterThanOrEqual(0);
  });

  it("refuses retrieval settings out of range, naming the option", () => {
    const model = new (loadAddon().Model)(STORIES);
    const bad: [SessionOptions, RegExp][] = [
      [{ widenBelow: 1.5 }, /'widenBelow' must be in \[0, 1\]/],
      [{ widenBelow: Number.NaN }, /'widenBelow'/],
      [{ querySample: 0 }, /'querySample' must be in \(0, 1\]/],
      [{ topK: 0 }, /'topK' must be an integer/],
      [{ monitorEvery: -1 }, /'monitorEvery'/],
    ];
    for (const [opts, msg] of bad)
      expect(() => new (loadAddon().Session)(model, { ctx: 256, attention: "retrieval", ...opts })).toThrow(msg);
  });

  it("retrieval below its exact-scan threshold decodes exactly as flat, bit for bit", async () => {
    // exactBelow above the context: every group is answered by one exact scan,
    // the same top-k flat finds (flat scans each group once for its heads too)
    const a = session({ attention: "retrieval", topK: 32, exactBelow: 1e9, ...SMALL });
    const b = session({ attention: "flat", topK: 32, ...SMALL });
    const doc = Array.from(a.model.tokenize("Lily found a shiny key under the old tree. ".repeat(30), true, false));
    let la = await a.session.eval(Int32Array.from(doc));
    let lb = await b.session.eval(Int32Array.from(doc));
    for (let i = 0; i < 40; i++) {
      expect(la).toEqual(lb);
      const t = argmax(la);
      la = await a.session.eval(Int32Array.of(t));
      lb = await b.session.eval(Int32Array.of(t));
    }
    expect(la).toEqual(lb);
    const st = a.session.lastStats();
    expect(st.sparse).toBe(true);
    expect(st.keysRetrieved).toBeGreaterThan(0);
    expect(st.keysScannedFrac).toBeCloseTo(1, 6);
  });

  it("retrieval under fullBelow is full attention, bit for bit: no index, the same positions weighed", async () => {
    // fullBelow above any context: the session stays on full attention and reports where it
    // looked (each key's probability summed over heads and layers, between the sinks and the
    // window), as a full session does
    const a = session({ attention: "retrieval", topK: 32, fullBelow: 1e9, ...SMALL });
    const b = session({ attention: "full", ...SMALL });
    const doc = Array.from(a.model.tokenize("Lily found a shiny key under the old tree. ".repeat(30), true, false));
    let la = await a.session.eval(Int32Array.from(doc));
    let lb = await b.session.eval(Int32Array.from(doc));
    for (let i = 0; i < 40; i++) {
      expect(sameBits(la, lb)).toBe(true);
      const t = argmax(la);
      la = await a.session.eval(Int32Array.of(t));
      lb = await b.session.eval(Int32Array.of(t));
      const sa = a.session.lastStats(), sb = b.session.lastStats();
      expect(sa.sparse).toBe(false);
      expect(sa.ms.indexBuild).toBe(0);
      expect(Array.from(sa.positions!)).toEqual(Array.from(sb.positions!));
      expect(Array.from(sa.weights!)).toEqual(Array.from(sb.weights!));
      const n = a.session.nPast();
      expect(sa.positions!.length).toBe(64);
      for (const p of sa.positions!) expect(p >= SMALL.sinks && p < n - SMALL.window).toBe(true);
      // heaviest first
      for (let j = 1; j < sa.weights!.length; j++) expect(sa.weights![j]).toBeLessThanOrEqual(sa.weights![j - 1]);
    }
    expect(sameBits(la, lb)).toBe(true);
  });

  it("buildIndex reports its layers as it goes: before each and at its end; nothing when there is nothing to build", async () => {
    const { model, session: s } = session({ attention: "retrieval", topK: 32, ...SMALL });
    const layers = model.info().nLayer;
    await s.prefill(Int32Array.from([1, ...pseudoTokens(599, 3, model.info().nVocab, 9)]));
    await expect(s.buildIndex({ onProgress: 3 as unknown as () => void })).rejects.toThrow(/onProgress/);
    const reports: [number, number][] = [];
    const ms = await s.buildIndex({ onProgress: (done, total) => reports.push([done, total]) });
    expect(ms).toBeGreaterThan(0);
    expect(reports).toEqual(Array.from({ length: layers + 1 }, (_, i) => [i, layers]));
    reports.length = 0;
    expect(await s.buildIndex({ onProgress: (done, total) => reports.push([done, total]) })).toBe(0);
    expect(reports).toEqual([]);
    s.close();
  });

  it("a context growing past fullBelow builds its index at the next prompt or answer, never mid-answer", async () => {
    const open = () => session({ attention: "retrieval", topK: 32, fullBelow: 600, ...SMALL });
    const { model, session: s } = open();
    const doc = Array.from(model.tokenize("The cat sat on the mat. ".repeat(60), true, false));
    const keys = (x: typeof s) => x.nPast() - SMALL.sinks - SMALL.window; // what an index would hold
    expect(doc.length - SMALL.sinks - SMALL.window).toBeLessThan(600); // the document alone stays under it
    const question = Array.from(model.tokenize(" Where is the cat? It is", false, false));
    let logits = await s.eval(Int32Array.from(doc));
    await s.buildIndex(); // under the threshold: nothing to build
    expect(s.lastStats().sparse).toBe(false);
    // an answer's tokens carry the context past the threshold: it stays on full attention
    while (keys(s) < 640) {
      logits = await s.eval(Int32Array.of(argmax(logits)));
      expect(s.lastStats().sparse).toBe(false);
      expect(s.lastStats().ms.indexBuild).toBe(0);
    }
    // the next question (several tokens) builds it, from the queries kept since the start
    logits = await s.eval(Int32Array.from(question));
    expect(s.lastStats().sparse).toBe(true);
    expect(s.lastStats().ms.indexBuild).toBeGreaterThan(0);
    await s.eval(Int32Array.of(argmax(logits)));
    expect(s.lastStats().keysRetrieved).toBeGreaterThan(0);

    // a prompt that itself carries the context past it: the answer's first token builds it
    const { session: t } = open();
    await t.eval(Int32Array.from(doc));
    const long = Array.from(model.tokenize(" The dog ran to the park and back again. ".repeat(8), false, false));
    logits = await t.eval(Int32Array.from(long));
    expect(keys(t)).toBeGreaterThanOrEqual(600);
    expect(t.lastStats().sparse).toBe(false); // the build runs before an evaluation's tokens
    await t.eval(Int32Array.of(argmax(logits)));
    expect(t.lastStats().sparse).toBe(true);
    expect(t.lastStats().ms.indexBuild).toBeGreaterThan(0);
  });

  it("rewinding into the indexed context drops the index and builds it again", async () => {
    const { model, session: s } = session({ attention: "flat", topK: 32, ...SMALL });
    const doc = Array.from(model.tokenize("The cat sat on the mat. ".repeat(80), true, false));
    await s.eval(Int32Array.from(doc));
    await s.eval(Int32Array.of(1));
    expect(s.lastStats().sparse).toBe(true);
    s.truncate(s.nPast() - 1); // within the window: the index stays
    await s.eval(Int32Array.of(1));
    expect(s.lastStats().sparse).toBe(true);
    s.truncate(10); // into the index: dropped
    await s.eval(Int32Array.from(doc.slice(10)));
    expect(s.lastStats().sparse).toBe(false);
    await s.eval(Int32Array.of(1));
    expect(s.lastStats().sparse).toBe(true);
    expect(s.nPast()).toBe(doc.length + 1);
  });
  it("phi3, whose Q is scaled before attention: flat and retrieval with top-k = all keys follow full attention", async () => {
    const { worst } = await againstFull("phi3", "tome-phi3-");
    // Float rounding of parts merged in another order, which this random model amplifies: 0 at
    // most steps, 0.04 and 0.07 nats at two of the 32 (measured). Scores scaled twice (by
    // 1/sqrt(head_dim) on the Q already scaled) moved them by 1.32.
    expect(worst).toBeLessThan(0.25);
  });
  it("gemma3, whose local layers attend their window exactly: sparse modes with top-k = all keys follow full attention", async () => {
    // the tiny shape: a window of 16 on every other layer (those keep no index), the global
    // layers indexed
    const { worst, streaming } = await againstFull("gemma3", "tome-gemma3-");
    // measured 0.041 (float rounding of the merged parts, amplified by the random model); the
    // local layers over the whole context instead of their window: 6.3
    expect(worst).toBeLessThan(0.25);
    // the test can fail: the static set alone (streaming) leaves the global layers short (4.3)
    expect(streaming).toBeGreaterThan(1);
  });
  it("smollm3 (every fourth layer without RoPE), mistral3 (queries scaled by their position's temperature), granite (its own attention scale), chatglm (half of each head rotated), cohere2 (LayerNorm, parallel block, 3 window layers of 4), hunyuan-dense (Q/K norms after RoPE) and olmo2 (Q/K norms across heads, 3 window layers of 4): flat and retrieval with top-k = all keys follow full attention", async () => {
    for (const arch of ["smollm3", "mistral3", "granite", "chatglm", "cohere2", "hunyuan-dense", "olmo2"] as const) {
      const { worst, streaming } = await againstFull(arch, `tome-${arch}-`);
      console.log(`${arch}: sparse modes at top-k = all keys ${worst.toFixed(4)} nats from full attention, streaming ${streaming.toFixed(2)}`);
      // measured 0.093, then 0.0000 for the next four, 0.056 for hunyuan-dense and 0.0000 for
      // olmo2 (float rounding of the merged parts, as phi3's); the static set alone 3.85, 3.97,
      // 0.67, 2.90, 0.56, 2.89 and 4.88, so the test can fail
      expect(worst).toBeLessThan(0.25);
      expect(streaming).toBeGreaterThan(0.5);
    }
  });
  it("gpt-oss (each head's sink logit in every softmax, a window of 16 on every other layer, experts): flat and retrieval with top-k = all keys follow full attention, the sinks merged as one more partial result", async () => {
    const { worst, streaming } = await againstFull("gpt-oss", "tome-gpt-oss-");
    console.log(`gpt-oss: sparse modes at top-k = all keys ${worst.toFixed(4)} nats from full attention, streaming ${streaming.toFixed(2)}`);
    // measured 0.0000; without the sinks' merge in the sparse modes 0.149 (over 600 keys a sink
    // holds a small share of each softmax), the static set alone 5.2
    expect(worst).toBeLessThan(0.02);
    expect(streaming).toBeGreaterThan(0.5);
  });
  it("exaone4 at 64 layers (a window of 16 on 3 layers of 4, the global ones without RoPE): sparse modes with top-k = all keys follow full attention", async () => {
    const { worst, streaming } = await againstFull("exaone4", "tome-exaone4-", 64);
    console.log(`exaone4 64 layers: sparse modes at top-k = all keys ${worst.toFixed(4)} nats from full attention, streaming ${streaming.toFixed(2)}`);
    // 64 random layers amplify the merge's float rounding (flat and retrieval the same bits):
    // 0.09-0.20 nats a step here, and as much for llama (0.17-0.35) and gemma3 (0.02-0.20) at
    // 64 layers (measured); the static set alone 9.7
    expect(worst).toBeLessThan(0.5);
    expect(streaming).toBeGreaterThan(5);
  });
  it("gemma3 in retrieval mode through a KV store: reopened without prefill, its global layers' indexes restored, its local layers' rows before their window out of RAM", async () => {
    await withTinyGemma3("tome-gemma3-store-", async (model, dir) => {
      const addon = loadAddon();
      const doc = [1, ...pseudoTokens(599, 3, model.info().nVocab, 5)];
      const next = async (cache: string | null) => {
        const s = new addon.Session(model, { ctx: 1024, threads: 2, attention: "retrieval", ...SMALL });
        try {
          const opened = cache ? await openDocument(s, cache, doc) : null;
          if (!cache) {
            await s.prefill(Int32Array.from(doc));
            // the build reports its global layers only (the local ones have no index)
            const reports: [number, number][] = [];
            await s.buildIndex({ onProgress: (done, total) => reports.push([done, total]) });
            const global = Array.from({ length: model.info().nLayer }, (_, l) => l).filter((l) => l % model.info().slidingWindowPeriod === model.info().slidingWindowPeriod - 1).length;
            expect(global).toBeGreaterThan(0);
            expect(reports).toEqual(Array.from({ length: global + 1 }, (_, i) => [i, global]));
          }
          const logits = Float32Array.from(await s.eval(Int32Array.of(42)));
          expect(s.lastStats().sparse).toBe(true);
          return { opened, logits, info: s.storeInfo(), ram: s.hostRamBytes() };
        } finally {
          s.close();
        }
      };
      const plain = await next(null);
      const cache = path.join(dir, "kv");
      const first = await next(cache);
      expect(first.opened!.prefilled).toBe(doc.length);
      const again = await next(cache);
      expect(again.opened!.prefilled).toBe(0);
      expect(again.info).toMatchObject({ indexBuiltAt: doc.length, indexComplete: true });
      for (const r of [first, again]) expect(sameBits(r.logits, plain.logits)).toBe(true);
      // beside a store the local layer (window 16) holds its last blocks only: rows 0-511 of
      // K and V (2 KV heads of 128 f16) left RAM, 512 KiB
      for (const r of [first, again]) expect(plain.ram - r.ram).toBeGreaterThanOrEqual(512 * 2 * 2 * 256);
      // and openDocument sealed the book: the store keeps them only from the window of its end
      // on (600 tokens: from 585, in the block of 512), the rest deleted as it was read
      for (const r of [first, again]) expect(r.info!.droppedBelow).toBe(512);
    });
  });

  it("gemma3 in retrieval mode under a RAM budget: read layer-major, reopened lazily, decoded bit for bit as without it", async () => {
    // the budget keeps a sliding-window layer's window in RAM with the static set (its rows are
    // read in place); the rest of the context leaves RAM for the store and comes back on demand
    await withTinyGemma3("tome-gemma3-budget-", async (model, dir) => {
      const addon = loadAddon();
      // 903 tokens: the static window's first row (896) starts a unit of the budget (32 rows),
      // so rows the local layers read at the reopen (from 888) lie in a unit it can leave out
      const doc = [1, ...pseudoTokens(902, 3, model.info().nVocab, 5)];
      const steps = pseudoTokens(24, 3, model.info().nVocab, 9);
      const run = async (cache: string, budget: boolean) => {
        // a static window (8) narrower than the local layers' (16): the budget keeps the wider
        const s = new addon.Session(model, { ctx: 1024, threads: 2, attention: "retrieval", sinks: 4, window: 8, ...(budget ? { ramBudgetFrac: 0.5 } : {}) });
        try {
          const opened = await openDocument(s, cache, doc, {}, undefined, { layerMajor: budget });
          const out: Float32Array[] = [];
          for (const t of steps) out.push(Float32Array.from(await s.eval(Int32Array.of(t))));
          expect(s.lastStats().sparse).toBe(true);
          return { opened, out, residency: s.residency() };
        } finally {
          s.close();
        }
      };
      const same = (a: Float32Array[], b: Float32Array[]) => a.every((x, i) => sameBits(x, b[i]));
      const plain = await run(path.join(dir, "plain"), false);
      const read = await run(path.join(dir, "budget"), true);
      expect(read.opened.prefilled).toBe(doc.length);
      expect(read.residency.rowsRead).toBeGreaterThan(0); // rows left RAM and were read back
      expect(same(read.out, plain.out)).toBe(true);
      const reopened = await run(path.join(dir, "budget"), true);
      expect(reopened.opened.prefilled).toBe(0);
      expect(reopened.residency.rowsRead).toBeGreaterThan(0);
      expect(same(reopened.out, plain.out)).toBe(true);
    });
  });
});
