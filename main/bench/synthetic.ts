// Synthetic models for benchmarks, made once and kept in a cache folder
// ($TOME_BENCH_DIR, else <tmp>/tome-bench-models).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadAddon, type NativeSession, type StepStats } from "../engine/native";
import { argmax } from "../eval/divergence";
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

/**
 * `steps` greedy decoding steps from `logits` (the last eval's), each token fed
 * back; onStep(stats) sees each step's stats. Returns the mean wall ms a step.
 */
export async function timedGreedySteps(
  session: NativeSession,
  logits: Float32Array,
  steps: number,
  onStep: (stats: StepStats) => void = () => {},
): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    logits = await session.eval(Int32Array.of(argmax(logits)));
    onStep(session.lastStats());
  }
  return (performance.now() - t0) / steps;
}
