// Synthetic models for benchmarks, made once and kept in a cache folder
// ($TOME_BENCH_DIR, else <tmp>/tome-bench-models).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadAddon, type NativeSession, type SyntheticArch } from "../engine/native";
import { StepAverages } from "./step-averages";
import { requireTestData } from "./test-data";

export function benchDir(): string {
  const d = process.env.TOME_BENCH_DIR ?? path.join(os.tmpdir(), "tome-bench-models");
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export async function syntheticModel(
  arch: SyntheticArch,
  shape: string,
  type: string,
  dir = benchDir(),
  vocabName = "ggml-vocab-llama-spm.gguf",
  variant: { yarnFactor?: number; longrope?: boolean; experts?: number; layers?: number; sharedExpert?: boolean } = {},
): Promise<string> {
  const { yarnFactor = 0, longrope = false, experts = 0, layers = 0, sharedExpert = false } = variant;
  const suffix =
    (yarnFactor > 0 ? `-yarn${yarnFactor}` : "") + (longrope ? "-longrope" : "") + (experts > 0 ? `-moe${experts}` : "") +
    (layers > 0 ? `-l${layers}` : "") + (sharedExpert ? "-shexp" : "");
  const out = path.join(dir, `${arch}-${shape}-${type}${suffix}-${path.basename(vocabName, ".gguf")}.gguf`);
  if (!fs.existsSync(out)) {
    const vocab = path.join(requireTestData(), "models", "vocab", vocabName);
    await loadAddon().writeSyntheticModel({ arch, shape, type, vocab, out, seed: 1, yarnFactor, longrope, experts, layers, sharedExpert });
  }
  return out;
}

/** Deterministic token ids in [lo, hi) (a fixed LCG), the same for every engine. */
export function pseudoTokens(n: number, lo: number, hi: number, seed = 12345): number[] {
  const out: number[] = [];
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + (s % (hi - lo)));
  }
  return out;
}

/** A session with its context in place and its first step run. */
export interface DecodeState {
  session: NativeSession;
  /** The first step's wall ms and the index build it ran (sparse modes), seconds. */
  firstMs: number;
  buildS: number;
  averages: StepAverages;
  /** The tokens timed steps feed, in turn (FEED_SEED's pseudo tokens), and how many went in. */
  feed: number[];
  fed: number;
  /** Every step's logits, one array (evalInto), as the app's decode loop reads them. */
  logits: Float32Array;
}

export interface DecodeRun {
  /** Mean wall ms of the timed steps. */
  msPerToken: number;
  firstMs: number;
  buildS: number;
  averages: StepAverages;
}

/**
 * A ctx-token context: prefilled for real (pseudo tokens), or 64 tokens and
 * then a synthetic KV cache (Session.fillSynthetic, seed 7); then a first
 * step, which builds a sparse mode's indexes.
 */
export async function prepareDecode(
  session: NativeSession,
  o: { ctx: number; nVocab: number; synthetic: boolean },
): Promise<DecodeState> {
  if (!o.synthetic) await session.eval(Int32Array.from(pseudoTokens(o.ctx, 3, o.nVocab)));
  else {
    await session.eval(Int32Array.from(pseudoTokens(64, 3, o.nVocab)));
    session.fillSynthetic(o.ctx, 7);
  }
  const t0 = performance.now();
  await session.eval(Int32Array.of(5));
  const buildS = session.lastStats().ms.indexBuild / 1000;
  const feed = pseudoTokens(FEED_LENGTH, 3, o.nVocab, FEED_SEED);
  return {
    session,
    firstMs: performance.now() - t0,
    buildS,
    averages: new StepAverages(),
    feed,
    fed: 0,
    logits: new Float32Array(o.nVocab),
  };
}

// Timed steps feed pseudo tokens, not the model's greedy choice: a
// random-weight shape's greedy choice is one token at every step (token 5 on
// smol and 1b), a decode no text makes. Measured (smol, retrieval, 64 steps):
// at 4K the two feeds cost the same (21-22 ms/token); at 128K (synthetic) the
// repeated token's searches run long for the first steps after the build
// (blocks of 16: 52.8 / 61.2 / 37.6 / 35.4 ms) where pseudo tokens read 35.1 /
// 32.6 / 31.0 / 41.5.
const FEED_SEED = 777;
const FEED_LENGTH = 4096;

/** `steps` steps fed the state's pseudo tokens, their stats averaged into state; wall ms per step. */
export async function timedSteps(state: DecodeState, steps: number): Promise<number> {
  const t0 = performance.now();
  await feedSteps(state, steps, true);
  return (performance.now() - t0) / steps;
}

/** `steps` steps of the feed, left out of the state's averages (a decode bench turn's re-warm). */
export async function untimedSteps(state: DecodeState, steps: number): Promise<void> {
  await feedSteps(state, steps, false);
}

async function feedSteps(state: DecodeState, steps: number, record: boolean): Promise<void> {
  for (let i = 0; i < steps; i++) {
    const token = state.feed[state.fed++ % state.feed.length];
    await state.session.evalInto(Int32Array.of(token), state.logits);
    if (record) state.averages.add(state.session.lastStats());
  }
}

/** prepareDecode, then `steps` timed steps. */
export async function decodeRun(
  session: NativeSession,
  o: { ctx: number; nVocab: number; synthetic: boolean; steps: number },
): Promise<DecodeRun> {
  const state = await prepareDecode(session, o);
  const msPerToken = await timedSteps(state, o.steps);
  return { msPerToken, firstMs: state.firstMs, buildS: state.buildS, averages: state.averages };
}
