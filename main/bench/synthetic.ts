// Synthetic models for benchmarks, made once and kept in a cache folder
// ($TOME_BENCH_DIR, else <tmp>/tome-bench-models).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadAddon, type NativeSession } from "../engine/native";
import { argmax } from "../eval/divergence";
import { StepAverages } from "./step-averages";
import { requireTestData } from "./test-data";

export function benchDir(): string {
  const d = process.env.TOME_BENCH_DIR ?? path.join(os.tmpdir(), "tome-bench-models");
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export async function syntheticModel(
  arch: "llama" | "qwen2",
  shape: string,
  type: string,
  dir = benchDir(),
  vocabName = "ggml-vocab-llama-spm.gguf",
): Promise<string> {
  const out = path.join(dir, `${arch}-${shape}-${type}-${path.basename(vocabName, ".gguf")}.gguf`);
  if (!fs.existsSync(out)) {
    const vocab = path.join(requireTestData(), "models", "vocab", vocabName);
    await loadAddon().writeSyntheticModel({ arch, shape, type, vocab, out, seed: 1 });
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

export interface DecodeRun {
  /** Mean wall ms of the timed steps. */
  msPerToken: number;
  /** The first step's wall ms and the index build it ran (sparse modes), seconds. */
  firstMs: number;
  buildS: number;
  averages: StepAverages;
}

/**
 * A decode run over a ctx-token context: prefilled for real (pseudo tokens),
 * or 64 tokens and then a synthetic KV cache (Session.fillSynthetic, seed 7);
 * then a first step, which builds a sparse mode's indexes, and `steps` timed
 * greedy steps, each token fed back.
 */
export async function decodeRun(
  session: NativeSession,
  o: { ctx: number; nVocab: number; synthetic: boolean; steps: number },
): Promise<DecodeRun> {
  if (!o.synthetic) await session.eval(Int32Array.from(pseudoTokens(o.ctx, 3, o.nVocab)));
  else {
    await session.eval(Int32Array.from(pseudoTokens(64, 3, o.nVocab)));
    session.fillSynthetic(o.ctx, 7);
  }
  const t0 = performance.now();
  let logits = await session.eval(Int32Array.of(5));
  const buildS = session.lastStats().ms.indexBuild / 1000;
  const firstMs = performance.now() - t0;
  const averages = new StepAverages();
  const t1 = performance.now();
  for (let i = 0; i < o.steps; i++) {
    logits = await session.eval(Int32Array.of(argmax(logits)));
    averages.add(session.lastStats());
  }
  return { msPerToken: (performance.now() - t1) / o.steps, firstMs, buildS, averages };
}
