// A prefill's work (FLOPs from the model's shape) and its time left (PrefillEta), on
// timings made from a known cost and seeded noise: the estimate against the time
// that was in fact left, where a rate in tokens misses most of a long read.
import { describe, expect, it } from "vitest";
import { KAPPA_PRIOR, PrefillEta, readTimeLeft } from "../../main/engine/prefill-eta";
import { attentionFlops, prefillWork, tokenMatmulFlops } from "../../main/engine/prefill-work";

const dense = {
  nLayer: 16,
  nEmbd: 2048,
  nHead: 32,
  nHeadKv: 8,
  headDim: 64,
  nFf: 8192,
  slidingWindow: 0,
  slidingWindowPeriod: 0,
  nExpert: 0,
  nExpertUsed: 0,
  nFfExpert: 0,
  nFfSharedExpert: 0,
  nDenseLead: 0,
};

/** The keys every token at positions [from, to) attends, one at a time. */
function keysByHand(from: number, to: number, window: number): number {
  let n = 0;
  for (let p = from; p < to; p++) n += window > 0 ? Math.min(p + 1, window) : p + 1;
  return n;
}

describe("prefill work", () => {
  it("a token's matmuls: Q, K, V, output projection and a gated FFN, 2 FLOPs a weight", () => {
    const perLayer = 2048 * 2048 * 2 + 2048 * 512 * 2 + 3 * 2048 * 8192;
    expect(tokenMatmulFlops(dense)).toBe(2 * 16 * perLayer);
    // a mixture of experts: its used experts, its shared one and its router, after its dense lead layers
    const moe = { ...dense, nExpert: 64, nExpertUsed: 6, nFfExpert: 1024, nFfSharedExpert: 2048, nDenseLead: 1 };
    const attn = 2048 * 2048 * 2 + 2048 * 512 * 2;
    const experts = 6 * 3 * 2048 * 1024 + 3 * 2048 * 2048 + 2048 * 64;
    expect(tokenMatmulFlops(moe)).toBe(2 * (16 * attn + 3 * 2048 * 8192 + 15 * experts));
  });

  it("attention: every key before each token, a windowed layer's last ones only", () => {
    for (const [from, to] of [[0, 1], [0, 1000], [300, 1700], [5000, 5001]]) {
      expect(attentionFlops(dense, from, to)).toBe(4 * 64 * 32 * 16 * keysByHand(from, to, 0));
      // Gemma 3's pattern: 5 of 6 layers attend a window of 512
      const gemma = { ...dense, nLayer: 12, slidingWindow: 512, slidingWindowPeriod: 6 };
      expect(attentionFlops(gemma, from, to)).toBe(4 * 64 * 32 * (2 * keysByHand(from, to, 0) + 10 * keysByHand(from, to, 512)));
      // a window on every layer (period 0, as Mistral 7B v0.1's)
      const everyLayer = { ...dense, slidingWindow: 4096 };
      expect(attentionFlops(everyLayer, from, to)).toBe(4 * 64 * 32 * 16 * keysByHand(from, to, 4096));
    }
    expect(attentionFlops(dense, 10, 10)).toBe(0);
  });

  it("work adds up over a read's stretches", () => {
    const whole = prefillWork(dense, 100, 9000);
    const a = prefillWork(dense, 100, 4000), b = prefillWork(dense, 4000, 9000);
    expect(a.matmul + b.matmul).toBe(whole.matmul);
    expect(a.attention + b.attention).toBe(whole.attention);
    // the second half of a 128K read is 2.4 times the first on this shape (by FLOPs alike)
    const first = prefillWork(dense, 0, 65536), second = prefillWork(dense, 65536, 131072);
    const cost = (w: { matmul: number; attention: number }) => w.matmul + w.attention;
    expect(cost(second) / cost(first)).toBeCloseTo(2.38, 2);
  });
});

/** A seeded LCG in [0, 1). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A read of n tokens in chunks, each taking alpha * (matmul + kappa * attention) ms times
 * (1 +- noise); the first chunk `coldMs` more (the weights read from disk). Returns the
 * estimate at each tenth against the time that was left.
 */
function read(o: { n: number; chunk: number; alpha: number; kappa: number; noise: number; coldMs?: number; seed?: number }) {
  const rnd = uniform(o.seed ?? 1);
  const times: number[] = [];
  let ms = 0;
  for (let at = 0; at < o.n; at += o.chunk) {
    const w = prefillWork(dense, at, Math.min(o.n, at + o.chunk));
    ms += o.alpha * (w.matmul + o.kappa * w.attention) * (1 + o.noise * (2 * rnd() - 1)) + (at === 0 ? (o.coldMs ?? 0) : 0);
    times.push(ms);
  }
  const eta = new PrefillEta(prefillWork(dense, 0, o.n));
  const ratios: { share: number; byWork: number; byTokens: number; kappa: number }[] = [];
  const steps = times.length;
  for (let i = 0; i < steps; i++) {
    const done = Math.min(o.n, (i + 1) * o.chunk);
    eta.add(times[i], prefillWork(dense, 0, done));
    if ((i + 1) % Math.floor(steps / 10) === 0 && i + 1 < steps) {
      const left = ms - times[i];
      ratios.push({ share: done / o.n, byWork: eta.etaMs()! / left, byTokens: (times[i] * (o.n - done)) / done / left, kappa: eta.kappa() });
    }
  }
  return ratios;
}

describe("prefill time left", () => {
  // ~2 ms a matmul GFLOP: the 1b shape's 128K read takes ~45 minutes of matmuls
  const alpha = 2e-9;

  it("a 128K read: within 15% from a tenth on, where the rate in tokens says a quarter of the time or less", () => {
    for (const kappa of [1, 2.2]) {
      const r = read({ n: 131072, chunk: 256, alpha, kappa, noise: 0.2 });
      expect(r[0].byTokens).toBeLessThan(0.3);
      for (const x of r) expect({ ...x, within: Math.abs(x.byWork - 1) <= 0.15 }).toMatchObject({ within: true });
      // the attention's cost per FLOP, measured (within the noise)
      expect(Math.abs(r[r.length - 1].kappa / kappa - 1)).toBeLessThan(0.2);
    }
  });

  it("a first chunk slowed by the disk does not skew the estimate past it", () => {
    const r = read({ n: 65536, chunk: 256, alpha, kappa: 1.5, noise: 0.1, coldMs: 60_000 });
    for (const x of r.slice(1)) expect(Math.abs(x.byWork - 1)).toBeLessThan(0.15);
  });

  it("before the attention's share has grown, the prior; no estimate before any progress", () => {
    const eta = new PrefillEta(prefillWork(dense, 0, 131072));
    expect(eta.etaMs()).toBeNull();
    expect(eta.kappa()).toBe(KAPPA_PRIOR);
    eta.add(500, prefillWork(dense, 0, 256));
    eta.add(1000, prefillWork(dense, 0, 512));
    expect(eta.kappa()).toBe(KAPPA_PRIOR);
    // at the rate of the latest quarter of the time: the second chunk
    const left = prefillWork(dense, 512, 131072), last = prefillWork(dense, 256, 512);
    const perMatmulFlop = 500 / (last.matmul + KAPPA_PRIOR * last.attention);
    expect(eta.etaMs()! / (perMatmulFlop * (left.matmul + KAPPA_PRIOR * left.attention))).toBeCloseTo(1, 9);
    // reports that go back or stand still are ignored; the end leaves nothing
    eta.add(900, prefillWork(dense, 0, 768));
    eta.add(1000, prefillWork(dense, 0, 768));
    eta.add(2000, prefillWork(dense, 0, 131072));
    expect(eta.etaMs()).toBe(0);
  });

  it("a read's reports: positions, or in a layer-major part the share of its steps (that share of its work)", () => {
    // a read of [100, 9000) whose document part [100, 6000) goes layer-major
    const timeLeft = readTimeLeft(dense, 100, 9000, 6000);
    const eta = new PrefillEta(prefillWork(dense, 100, 9000));
    const part = prefillWork(dense, 100, 6000);
    const reports: [number, number, { matmul: number; attention: number }][] = [
      [100, 0, { matmul: 0, attention: 0 }],
      [3050, 4000, { matmul: part.matmul / 2, attention: part.attention / 2 }], // half its (layer, chunk) steps
      [6000, 8000, part],
      [7000, 9000, prefillWork(dense, 100, 7000)],
    ];
    for (const [at, ms, work] of reports) {
      eta.add(ms, work);
      expect(timeLeft(at, ms)).toBe(eta.etaMs());
    }
    // a read without a layer-major part: positions throughout
    const plain = readTimeLeft(dense, 0, 8192), byHand = new PrefillEta(prefillWork(dense, 0, 8192));
    for (const [at, ms] of [[0, 0], [1024, 700], [4096, 3300]]) {
      byHand.add(ms, prefillWork(dense, 0, at));
      expect(plain(at, ms)).toBe(byHand.etaMs());
    }
  });
});
