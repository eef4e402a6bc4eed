// tome bench engine: tome and llama.cpp (node-llama-cpp) on the same synthetic
// GGUF, the same tokens and thread count, alternating in one run.
//   prefill_tok_s: tokens/s evaluating a prompt of ctx - n_decode tokens
//   decode_tok_s:  tokens/s of n_decode single-token steps right after it
// The full suite adds a mixture of experts: qwen3moe's a3b shape (12 layers of
// Qwen3-30B-A3B's, 8 of 16 experts a token) at q4_k. --shape keeps some rows (a3b alone),
// --type sets the rows' weight types (iq4_xs, q2_k, ...; the a3b rows' too).
import * as os from "node:os";
import { loadAddon, type SyntheticArch } from "../engine/native";
import { openLlamaOracle } from "./llama-oracle";
import { pseudoTokens, syntheticModel } from "./synthetic";

export interface EngineRow {
  engine: "tome" | "llama.cpp";
  arch: SyntheticArch;
  shape: string;
  type: string;
  ctx: number;
  prefill_tok_s: number;
  decode_tok_s: number;
}

const N_DECODE = 32;

async function runTome(modelPath: string, prompt: number[], ctx: number, threads: number) {
  const addon = loadAddon();
  const model = new addon.Model(modelPath);
  const session = new addon.Session(model, { ctx, threads, batch: 512 });
  const t0 = performance.now();
  let logits = await session.eval(Int32Array.from(prompt));
  const prefillS = (performance.now() - t0) / 1000;
  const stepLogits = new Float32Array(logits.length); // every step's logits, one array, as the app decodes
  const t1 = performance.now();
  for (let i = 0; i < N_DECODE; i++) {
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
    logits = await session.evalInto(Int32Array.of(best), stepLogits);
  }
  const decodeS = (performance.now() - t1) / 1000;
  return { prefill: prompt.length / prefillS, decode: N_DECODE / decodeS };
}

async function runLlama(modelPath: string, prompt: number[], ctx: number, threads: number) {
  const oracle = await openLlamaOracle();
  try {
    const model = await oracle.loadModel(modelPath);
    const seq = await model.createSequence(ctx, threads);
    const t0 = performance.now();
    await seq.prefill(prompt.slice(0, -1));
    const prefillS = (performance.now() - t0) / 1000;
    // The first step evaluates the last prompt token; time only the steps after it.
    const t1 = performance.now();
    const out = await seq.greedy([prompt[prompt.length - 1]], N_DECODE + 1);
    const decodeS = (performance.now() - t1) / 1000;
    await seq.dispose();
    await model.dispose();
    return { prefill: (prompt.length - 1) / prefillS, decode: out.length / decodeS };
  } finally {
    await oracle.dispose();
  }
}

export async function benchEngine(o: { json: boolean; quick: boolean; threads?: number; shapes?: string[]; types?: string[] }) {
  const threads = o.threads ?? os.cpus().length;
  // the shapes asked for (--quick then shortens their rows), else smol and 1b (quick: smol) and a3b
  const denseShapes = o.shapes ? o.shapes.filter((s) => s !== "a3b") : o.quick ? ["smol"] : ["smol", "1b"];
  const dense = denseShapes.flatMap((shape) =>
    (o.types ?? (o.quick ? ["q8_0"] : ["q8_0", "q4_k"])).map((type) => ({ arch: "llama" as SyntheticArch, shape, type, ctxs: o.quick ? [512] : [512, 4096] })),
  );
  const withMoe = o.shapes ? o.shapes.includes("a3b") : !o.quick;
  const moe = withMoe ? (o.types ?? ["q4_k"]).map((type) => ({ arch: "qwen3moe" as SyntheticArch, shape: "a3b", type, ctxs: [512] })) : [];
  const rows: EngineRow[] = [];
  const ratios: { arch: SyntheticArch; shape: string; type: string; ctx: number; prefill: number; decode: number }[] = [];
  const log = (s: string) => process.stderr.write(s + "\n");
  for (const { arch, shape, type, ctxs } of [...dense, ...moe]) {
    const modelPath = await syntheticModel(arch, shape, type);
    const nVocab = new (loadAddon().Model)(modelPath).info().nVocab;
    for (const ctx of ctxs) {
      const prompt = pseudoTokens(ctx - N_DECODE - 1, 3, nVocab);
      const label = `${arch} ${shape} ${type} ctx ${ctx}`;
      const tome = await runTome(modelPath, prompt, ctx, threads);
      rows.push({ engine: "tome", arch, shape, type, ctx, prefill_tok_s: tome.prefill, decode_tok_s: tome.decode });
      log(`tome      ${label}: prefill ${tome.prefill.toFixed(1)} tok/s, decode ${tome.decode.toFixed(2)} tok/s`);
      const llama = await runLlama(modelPath, prompt, ctx, threads);
      rows.push({ engine: "llama.cpp", arch, shape, type, ctx, prefill_tok_s: llama.prefill, decode_tok_s: llama.decode });
      log(`llama.cpp ${label}: prefill ${llama.prefill.toFixed(1)} tok/s, decode ${llama.decode.toFixed(2)} tok/s`);
      ratios.push({ arch, shape, type, ctx, prefill: tome.prefill / llama.prefill, decode: tome.decode / llama.decode });
    }
  }
  return { suite: "engine", threads, rows, ratios };
}
