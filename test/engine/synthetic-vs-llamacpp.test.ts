// Oracle: synthetic models of every architecture x tensor type against llama.cpp
// (and YaRN-scaled ones of qwen2 and qwen3, LongRoPE ones of phi3 with either
// set of factors, llama and qwen3 with heads narrower than the model, and mixtures
// of experts: qwen3moe, and llama with Mixtral's experts).
// Teacher-forced over the same tokens; at every position the top-1 token is the
// same (or the two within BOUND[type] of each other in tome's logits) and the
// log-probabilities (relative to llama.cpp's top token, so that they do not depend
// on normalization) differ by at most BOUND[type].
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLlamaOracle, type LlamaOracle } from "../../main/bench/llama-oracle";
import { pseudoTokens, syntheticModel } from "../../main/bench/synthetic";
import { hasData } from "../helpers/data";
import { argmax, openTome } from "../helpers/tome";

// tome follows llama.cpp's numerics (activation quantization, f16 K/V, exp
// approximation, RoPE's fused multiply-adds) and its summation order for every
// path it takes here but three: F32 matmuls on a prompt and F16 ones (llamafile's
// sgemm sums 16 lanes differently: ~1e-7 relative; a token at a time F32 follows
// ggml_vec_dot_f32 bit for bit) and BF16 (llama.cpp's AVX512-BF16 dot instruction,
// whose rounding tome does not emulate). Measured on these models:
// 1e-6 for the bit-exact types (only how the test reads probabilities back; qwen3's
// per-head Q/K norms and phi3's fused matrices, partial rotation, Q scale and
// LongRoPE included; gemma3's scaled embeddings, post-norms, f16 GELU table, sliding
// window and capped logits too: 1.04-1.08e-6), ~1e-3 for f32 (gemma3 1.8e-3) (2.2e-3 for qwen3: its norms rescale every
// head's Q and K, and the matmuls' rounding with them; 2.0-3.0e-3 for phi3), ~5e-3
// for f16 (f16 activations; 6.7e-3 for phi3), 3.3e-2 for bf16 (4.0e-2 for phi3): an
// activation rounded to bf16 has 8 significant bits, so a 1e-7 difference that flips
// one rounding moves it by 2^-9 of its value, and that moves the logits of a
// 256-wide model by a few hundredths. Bounds: 2x the llama figure, at least 1e-4.
// Mixtures of experts (qwen3moe; llama with Mixtral's experts): 1.01-1.07e-6 on every
// quantized type, teacher-forced in one batch, where the experts follow mul_mat_id's
// order (gemv per token where llama.cpp repacks) and the f32 router llamafile sgemm's
// (cpu/sgemm_f32.h); before the router did, its ~1e-7 differences moved one position's
// activations across a rounding in 4 of 14 models (5e-2 to 8e-2, a top token once).
// A token at a time: 0.58-1.07e-6 (the router's F32 product in ggml_vec_dot_f32's order).
const BOUND: Record<string, number> = {
  f32: 5e-3, f16: 1e-2, bf16: 7e-2, q8_0: 1e-4, q4_0: 1e-4, q5_0: 1e-4, q4_1: 1e-4, q5_1: 1e-4, q2_k: 1e-4, q3_k: 1e-4, q4_k: 1e-4, q5_k: 1e-4, q6_k: 1e-4, iq4_nl: 1e-4, iq4_xs: 1e-4,
  mxfp4: 1e-4,
};
const TYPES = Object.keys(BOUND);
const ARCHS = ["llama", "qwen2", "qwen3", "phi3", "gemma3", "qwen3moe", "smollm3", "mistral3", "granite", "ernie4_5", "chatglm", "exaone4", "cohere2", "internlm2", "hunyuan-dense", "granitemoe", "olmo2", "ernie4_5-moe", "arcee", "glm4", "exaone", "seed_oss", "minicpm", "phimoe", "gpt-oss", "qwen2moe"] as const;
// Every type runs on the first six architectures; the others (whose code is theirs only
// before and after the products) on the float paths and one type of each kernel family: the
// Q8_0 blocks, the K-quant super-blocks, the IQ panel (all measured at 1e-6 or better on
// every type when added)
const FIRST_ARCHS = 6;
const typesOf = (arch: (typeof ARCHS)[number]) => (ARCHS.indexOf(arch) < FIRST_ARCHS ? TYPES : ["f32", "f16", "q8_0", "q4_k", "iq4_xs"]);
const N_TOKENS = 48;
// llama.cpp's log-probabilities of every token at the first and last positions (a wrong
// row of the output matrix shows at every position), of its 4096 likeliest elsewhere:
// node-llama-cpp takes ~17 ms a position to hand over 32000 (most of a model's time here)
const SCOPE = { top: 4096, wholeAt: [0, N_TOKENS - 1] };

describe.skipIf(!hasData)("synthetic models: tome vs llama.cpp, teacher-forced", () => {
  let oracle: LlamaOracle;
  let dir: string;
  beforeAll(async () => {
    oracle = await openLlamaOracle();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-synth-"));
  });
  afterAll(async () => {
    await oracle?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * tome and llama.cpp teacher-forced over the same tokens of `file`: the largest logit
   * difference. "batch": every position's logits from one batch; "one by one": both engines
   * decode a token at a time (llama.cpp's decode path throughout); "last": one batch, only
   * the last position's logits asked (both then take only that row past the last layer's
   * attention).
   */
  async function compare(file: string, label: string, bound: number, ctx = 128, feed: "batch" | "one by one" | "last" = "batch") {
    const { model, session } = openTome(file, ctx);
    const nVocab = model.info().nVocab;
    const tokens = [1, ...pseudoTokens(N_TOKENS - 1, 3, nVocab, 7)];
    let all: Float32Array;
    if (feed === "one by one") {
      all = new Float32Array(tokens.length * nVocab);
      for (let i = 0; i < tokens.length; i++) all.set(await session.eval(Int32Array.from([tokens[i]])), i * nVocab);
    } else {
      all = await session.eval(Int32Array.from(tokens), feed === "batch");
    }

    const ref = await oracle.loadModel(file);
    const seq = await ref.createSequence(ctx, 2);
    const refLogp =
      feed === "one by one"
        ? await seq.logProbsOneByOne(tokens, SCOPE)
        : feed === "last"
          ? [await seq.logProbsLast(tokens)]
          : await seq.logProbs(tokens, SCOPE);
    await seq.dispose();
    await ref.dispose();
    const positions = refLogp.length;
    expect(all.length).toBe(positions * nVocab);

    let maxDiff = 0;
    let compared = 0;
    for (let i = 0; i < positions; i++) {
      const row = all.subarray(i * nVocab, (i + 1) * nVocab);
      const top = argmax(row);
      const refMap = refLogp[i];
      let refTop = -1;
      let refTopLp = -Infinity;
      for (const [id, lp] of refMap) if (lp > refTopLp) [refTop, refTopLp] = [id, lp];
      // the same top token, but for a near-tie within the bound (bf16 at 4 layers: gaps of
      // 0.009-0.011 flip, llama's as smollm3's); logits are compared relative to llama.cpp's top
      if (top !== refTop) {
        const gap = row[top] - row[refTop];
        expect({ pos: i, top, refTop, gap, nearTie: gap <= bound }).toEqual({ pos: i, top, refTop, gap, nearTie: true });
      }
      for (const [id, lp] of refMap) {
        const d = Math.abs(row[id] - row[refTop] - (lp - refTopLp));
        if (d > maxDiff) maxDiff = d;
      }
      compared += refMap.size - 1;
    }
    console.log(`${label}: max |logit diff| = ${maxDiff.toExponential(2)} over ${positions} positions, ${compared} logits`);
    // a model so sure of its top token that no other has a normal-float probability would
    // compare nothing (the 1b shape at 2 layers): at least 100 logits a position
    expect(compared).toBeGreaterThanOrEqual(100 * positions);
    expect(maxDiff).toBeLessThanOrEqual(bound);
  }

  for (const arch of ARCHS)
    for (const type of typesOf(arch)) it(`${arch} ${type}`, async () => compare(await syntheticModel(arch, "tiny", type, dir), `${arch} ${type}`, BOUND[type]));

  // the smol shape's depth and heads (30 layers, 576 wide, 9 heads of 64 over 3 KV heads,
  // tied output; 576-wide q4_k rows are Q5_0, q5_k ones Q5_1): logits span ~100 here, so float
  // read-back rounding is ~4e-6 (3.9-4.0e-6 measured, gemma3 1.1e-6)
  for (const [arch, type] of [["llama", "q4_k"], ["qwen2", "q8_0"], ["qwen3", "q4_k"], ["phi3", "q8_0"], ["gemma3", "q6_k"], ["qwen3moe", "q4_k"], ["llama", "q5_k"]] as const)
    it(`${arch} ${type} in the smol shape (30 layers)`, async () =>
      compare(await syntheticModel(arch, "smol", type, dir), `${arch} ${type} smol`, BOUND[type]));
  // llama.cpp's mixes (kquant_mix.h: its quantizer's types, test_kquant_mix checks them): layers
  // of different types in one model, Q6_K / Q8_0 attn_v and ffn_down in some, the tied output
  // in Q6_K's fallback (3.9e-6 measured, as the single types at this depth)
  for (const type of ["q4_k_m", "q3_k_m", "q5_k_m"])
    it(`llama ${type} in the smol shape (30 layers)`, async () =>
      compare(await syntheticModel("llama", "smol", type, dir), `llama ${type} smol`, 1e-4));

  // YaRN (Qwen's long-context GGUFs): interpolated and original angles mixed by a ramp, cos/sin scaled
  for (const arch of ["qwen2", "qwen3"] as const)
    for (const type of ["f32", "q8_0", "q4_k"])
      it(`${arch} ${type} with YaRN x4`, async () =>
        compare(await syntheticModel(arch, "tiny", type, dir, undefined, { yarnFactor: 4 }), `${arch} ${type} yarn x4`, BOUND[type]));

  // OLMo 3's layout with YaRN: its window layers (3 of 4, a window of 16) rotate without it
  for (const type of ["q8_0", "q4_k"])
    it(`olmo2 ${type} with YaRN x4: window layers rotating without it`, async () =>
      compare(await syntheticModel("olmo2", "tiny", type, dir, undefined, { yarnFactor: 4 }), `olmo2 ${type} yarn x4`, BOUND[type]));

  // gpt-oss's layout with YaRN (its files: x32): its window layers (every other one, a window of
  // 16) rotate with it, as the global ones; and its own weight type, MXFP4
  for (const type of ["q8_0", "mxfp4"])
    it(`gpt-oss ${type} with YaRN x4: window layers rotating with it`, async () =>
      compare(await syntheticModel("gpt-oss", "tiny", type, dir, undefined, { yarnFactor: 4 }), `gpt-oss ${type} yarn x4`, BOUND[type]));

  // heads of their own width (attention.key_length: Q is 256 wide in a 512-wide model, as Mistral
  // NeMo's is 4096 in 5120; Qwen3's are wider than the model); llama.cpp's qwen2 has no such heads
  for (const arch of ["llama", "qwen3"] as const)
    for (const type of ["f32", "q8_0", "q4_k"])
      it(`${arch} ${type} with Q narrower than the model`, async () =>
        compare(await syntheticModel(arch, "tiny-narrow-q", type, dir), `${arch} ${type} narrow q`, BOUND[type]));

  // LongRoPE (Phi-3.5's GGUFs; original context 256 here): the short factors for a context of
  // 128 (llama.cpp pads it to 256, not past the original), the long ones for 512
  for (const type of ["f32", "q8_0", "q4_k"])
    for (const ctx of [128, 512])
      it(`phi3 ${type} with LongRoPE at context ${ctx}`, async () =>
        compare(await syntheticModel("phi3", "tiny", type, dir, undefined, { longrope: true }), `phi3 ${type} longrope ctx ${ctx}`, BOUND[type], ctx));

  // MiniCPM: granite's graph with its default multipliers (no keys), in the smol shape (30
  // layers, 576 wide: residuals x1.4/sqrt(30), logits x576/256), and MiniCPM4's LongRoPE
  it("minicpm q8_0 in the smol shape: its default multipliers", async () =>
    compare(await syntheticModel("minicpm", "smol", "q8_0", dir), "minicpm q8_0 smol", BOUND.q8_0));
  for (const ctx of [128, 512])
    it(`minicpm q8_0 with LongRoPE at context ${ctx}`, async () =>
      compare(await syntheticModel("minicpm", "tiny", "q8_0", dir, undefined, { longrope: true }), `minicpm q8_0 longrope ctx ${ctx}`, BOUND.q8_0, ctx));

  // Mixtral's experts in the llama architecture (8 of 512, 2 a token): 48 tokens in one batch, so
  // each expert serves several (llama.cpp's mul_mat_id: per-token gemv where it repacks)
  for (const type of ["f32", "q8_0", "q4_0", "q4_k", "q6_k", "mxfp4"])
    it(`llama ${type} with 8 experts`, async () =>
      compare(await syntheticModel("llama", "tiny", type, dir, undefined, { experts: 8 }), `llama ${type} moe8`, BOUND[type]));

  // decoding: a token at a time, the router's product in vec_dot's order (a prompt's is in sgemm's)
  // (qwen3moe iq4_xs: vec_dot's order a token at a time, where a batch of 8 or more takes the IQ panel's)
  for (const [arch, type] of [["qwen3moe", "q4_k"], ["qwen3moe", "q8_0"], ["llama", "q6_k"], ["llama", "q4_0"], ["qwen3moe", "iq4_xs"], ["llama", "q2_k"], ["granitemoe", "q4_k"], ["ernie4_5-moe", "q4_k"], ["phimoe", "q4_k"], ["qwen3moe", "mxfp4"], ["gpt-oss", "mxfp4"], ["qwen2moe", "q5_1"]] as const)
    it(`${arch} ${type} with experts, decoded a token at a time`, async () => {
      const file = await syntheticModel(arch, "tiny", type, dir, undefined, arch === "llama" ? { experts: 8 } : {});
      await compare(file, `${arch} ${type} experts one by one`, BOUND[type], 128, "one by one");
    });

  // Granite MoE Shared: an always-on expert beside the routed ones, before the residual multiplier
  for (const type of ["q8_0", "q4_k"])
    it(`granitemoe ${type} with a shared expert`, async () =>
      compare(await syntheticModel("granitemoe", "tiny", type, dir, undefined, { sharedExpert: true }), `granitemoe ${type} shared expert`, BOUND[type]));

  // EXAONE 4.0 32B's layout at 64 layers (llama.cpp keys it on the depth): 3 of 4 layers attend
  // a window of 16 (which 48 tokens slide past), the others every position without RoPE
  for (const type of ["q8_0", "q4_k"])
    it(`exaone4 ${type} at 64 layers: sliding-window layers, global ones without RoPE`, async () =>
      compare(await syntheticModel("exaone4", "tiny", type, dir, undefined, { layers: 64 }), `exaone4 ${type} 64 layers`, BOUND[type]));

  // a prompt whose last logits alone are asked, as the app reads one: both engines take only
  // that row past the last layer's attention (llama.cpp's inp_out_ids), so its FFN is a one-row
  // product (gemv), where the batch's rows are in 4-token groups or the IQ panel
  for (const arch of ARCHS)
    for (const type of ["q4_k", "iq4_xs", "q8_0"])
      it(`${arch} ${type}, the last position's logits only`, async () =>
        compare(await syntheticModel(arch, "tiny", type, dir), `${arch} ${type} last only`, BOUND[type], 128, "last"));
});
