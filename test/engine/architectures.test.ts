// Which architectures a model may have: llama (dense, or Mixtral's experts), qwen2, qwen3,
// phi3, gemma3, qwen3moe, smollm3, mistral3, granite, ernie4_5, chatglm, exaone4, cohere2,
// internlm2, hunyuan-dense, granitemoe, olmo2, ernie4_5-moe, arcee, glm4, exaone, seed_oss,
// minicpm, phimoe, gpt-oss and qwen2moe load (each
// checked against llama.cpp in synthetic-vs-llamacpp.test.ts); any other is refused at
// load with MODEL_ARCH, naming it and the ones tome runs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAddon, type NativeModel } from "../../main/engine";
import type { SyntheticArch } from "../../main/engine/native";
import { syntheticModel } from "../../main/bench/synthetic";
import { hasData } from "../helpers/data";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tome-arch-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Entry = Parameters<ReturnType<typeof loadAddon>["writeGguf"]>[0][number];

/** The error a model of these metadata entries (and no tensors) fails to load with, or null. */
function loadError(entries: Entry[], name = "refused.gguf"): { code?: string; message?: string } | null {
  const addon = loadAddon();
  const file = path.join(dir, name);
  addon.writeGguf(entries, file);
  try {
    new addon.Model(file);
  } catch (e) {
    return e as { code?: string; message?: string };
  }
  return null;
}

/** The error a model of `arch` fails to load with: one layer 64 wide (4 heads, FFN 128) and `extra` entries. */
function refusal(arch: string, extra: Entry[]): { code?: string; message?: string } | null {
  return loadError([
    { key: "general.architecture", type: "string", value: arch },
    { key: `${arch}.block_count`, type: "u32", value: 1 },
    { key: `${arch}.embedding_length`, type: "u32", value: 64 },
    { key: `${arch}.feed_forward_length`, type: "u32", value: 128 },
    { key: `${arch}.attention.head_count`, type: "u32", value: 4 },
    ...extra,
  ]);
}

/** A tiny synthetic model of `arch` loaded, with its tensors and their shapes by name. */
async function loaded(arch: SyntheticArch, type: string) {
  const addon = loadAddon();
  const file = await syntheticModel(arch, "tiny", type, dir);
  const tensors = addon.inspectGguf(file).tensors;
  const model = new addon.Model(file);
  return { tensors, shapes: Object.fromEntries(tensors.map((t) => [t.name, t.shape])), model, info: model.info() };
}

/** A prompt's logits come back from a full-attention and a retrieval session of `model`. */
async function decodesInFullAndRetrieval(model: NativeModel) {
  for (const attention of ["full", "retrieval"] as const) {
    const s = new (loadAddon().Session)(model, { ctx: 256, threads: 1, attention, ramBudget: 1 << 30 });
    expect((await s.eval(Int32Array.from([1, 42, 43]))).length).toBe(model.info().nVocab);
    s.close();
  }
}

describe("architectures", () => {
  it("refuses one it does not run (Qwen3-Next's hybrid layers, Gemma 2) with MODEL_ARCH, naming it", () => {
    for (const arch of ["qwen3next", "gemma2"]) {
      const err = loadError([{ key: "general.architecture", type: "string", value: arch }]);
      expect(err?.code).toBe("MODEL_ARCH");
      expect(err?.message).toContain(`'${arch}'`);
      expect(err?.message).toContain("llama, qwen2, qwen3, phi3, gemma3, qwen3moe, smollm3, mistral3, granite, ernie4_5, chatglm, exaone4, cohere2, internlm2, hunyuan-dense, granitemoe, olmo2, ernie4_5-moe, arcee, glm4, exaone, seed_oss, minicpm, phimoe, gpt-oss and qwen2moe");
    }
  });

  it.skipIf(!hasData)("gives a YaRN model's trained context as its original one times the factor", async () => {
    const addon = loadAddon();
    const file = await syntheticModel("qwen2", "tiny", "q8_0", dir, undefined, { yarnFactor: 4 });
    expect(addon.inspectGguf(file).metadata["qwen2.context_length"]).toBe(1024);
    const info = new addon.Model(file).info();
    expect(info.nCtxTrain).toBe(4096);
    expect(info.ropeFreqScale).toBe(0.25);
  });

  it.skipIf(!hasData)("loads phi3 from its fused matrices: Q, K and V from attn_qkv, gate and up from ffn_up, 96 of 128 dims rotated", async () => {
    const addon = loadAddon();
    const file = await syntheticModel("phi3", "tiny", "q8_0", dir, undefined, { longrope: true });
    const meta = addon.inspectGguf(file);
    expect(meta.tensors.map((t) => t.name)).toEqual(expect.arrayContaining(["blk.0.attn_qkv.weight", "rope_factors_long.weight", "rope_factors_short.weight"]));
    expect(meta.tensors.map((t) => t.name)).not.toContain("blk.0.attn_q.weight");
    const info = new addon.Model(file).info();
    expect(info).toMatchObject({ arch: "phi3", headDim: 128, nRot: 96, nFf: 512, nCtxTrain: 4096, ropeFreqScale: 1 });
  });

  it.skipIf(!hasData)("keeps a LongRoPE model's short- and long-factor keys in different stores", async () => {
    // the session's context chooses the factors (original context 256): keys rotated by one set
    // are no use to a session of the other, so the store identity names the set
    const addon = loadAddon();
    const model = new addon.Model(await syntheticModel("phi3", "tiny", "q8_0", dir, undefined, { longrope: true }));
    const settings = (ctx: number) => new addon.Session(model, { ctx, threads: 1 }).storeIdentity().settings;
    expect(settings(128)).toMatch(/;rope=short$/);
    expect(settings(512)).toMatch(/;rope=long$/);
    const plain = new addon.Model(await syntheticModel("phi3", "tiny", "q8_0", dir));
    expect(new addon.Session(plain, { ctx: 512, threads: 1 }).storeIdentity().settings).not.toMatch(/rope=/);
  });

  it.skipIf(!hasData)("loads gemma3 with its local layers' window", async () => {
    const addon = loadAddon();
    const file = await syntheticModel("gemma3", "tiny", "q8_0", dir);
    const meta = addon.inspectGguf(file);
    expect(meta.tensors.map((t) => t.name)).toEqual(
      expect.arrayContaining(["blk.0.attn_q_norm.weight", "blk.0.post_attention_norm.weight", "blk.1.post_ffw_norm.weight"]),
    );
    const model = new addon.Model(file);
    // the global layers' RoPE scaled linearly by 8 (the local ones keep scale 1, base 10000)
    expect(model.info()).toMatchObject({ arch: "gemma3", headDim: 128, slidingWindow: 16, slidingWindowPeriod: 2, ropeFreqScale: 0.125, tiedOutput: true });
    const full = new addon.Session(model, { ctx: 256, threads: 1, attention: "full" });
    expect((await full.eval(Int32Array.from([1, 42, 43]))).length).toBe(model.info().nVocab);
    full.close();
    for (const attention of ["retrieval", "streaming", "flat", "ivf"] as const)
      new addon.Session(model, { ctx: 256, threads: 1, attention, ramBudget: 1 << 30 }).close();
  });

  it.skipIf(!hasData)("loads smollm3 (every fourth layer without RoPE), mistral3 (YaRN x16, attention temperature) granite (multipliers), ernie4_5 (llama's graph), chatglm (fused QKV with a bias, half of each head rotated) , exaone4 (post-norms only; at 64 layers a sliding window) and cohere2 (LayerNorm, parallel attention and FFN)", async () => {
    const addon = loadAddon();
    const smol = new addon.Model(await syntheticModel("smollm3", "tiny", "q8_0", dir));
    expect(smol.info()).toMatchObject({ arch: "smollm3", nLayer: 4, noRopePeriod: 4, attnTempScale: 0 });
    const file = await syntheticModel("mistral3", "tiny", "q8_0", dir);
    expect(addon.inspectGguf(file).metadata).toMatchObject({
      "mistral3.context_length": 256,
      "mistral3.rope.scaling.original_context_length": 16,
      "mistral3.rope.scaling.yarn_log_multiplier": 1,
    });
    const mistral = new addon.Model(file);
    expect(mistral.info()).toMatchObject({ arch: "mistral3", noRopePeriod: 0, ropeFreqScale: 0.0625, attnTempFloor: 16, nCtxTrain: 256 });
    expect(mistral.info().attnTempScale).toBeCloseTo(0.1, 7);
    const granite = new addon.Model(await syntheticModel("granite", "tiny", "q8_0", dir));
    expect(granite.info()).toMatchObject({ arch: "granite", noRopePeriod: 0, attnTempScale: 0 });
    const ernie = new addon.Model(await syntheticModel("ernie4_5", "tiny", "q8_0", dir));
    expect(ernie.info()).toMatchObject({ arch: "ernie4_5", nExpert: 0 });
    const internlm = new addon.Model(await syntheticModel("internlm2", "tiny", "q8_0", dir));
    expect(internlm.info()).toMatchObject({ arch: "internlm2", nExpert: 0, tiedOutput: false });
    const glmFile = await syntheticModel("chatglm", "tiny", "q8_0", dir);
    expect(addon.inspectGguf(glmFile).tensors.map((t) => t.name)).toEqual(expect.arrayContaining(["blk.0.attn_qkv.weight", "blk.0.attn_qkv.bias"]));
    const glm = new addon.Model(glmFile);
    expect(glm.info()).toMatchObject({ arch: "chatglm", headDim: 64, nRot: 32 });
    const exaone = new addon.Model(await syntheticModel("exaone4", "tiny", "q8_0", dir));
    expect(exaone.info()).toMatchObject({ arch: "exaone4", slidingWindow: 0 });
    const exaone64File = await syntheticModel("exaone4", "tiny", "q8_0", dir, undefined, { layers: 64 });
    expect(addon.inspectGguf(exaone64File).tensors.map((t) => t.name)).not.toContain("blk.0.attn_norm.weight");
    const exaone64 = new addon.Model(exaone64File);
    expect(exaone64.info()).toMatchObject({ arch: "exaone4", nLayer: 64, slidingWindow: 16, slidingWindowPeriod: 4 });
    const cohereFile = await syntheticModel("cohere2", "tiny", "q8_0", dir);
    expect(addon.inspectGguf(cohereFile).tensors.map((t) => t.name)).not.toContain("blk.0.ffn_norm.weight");
    const cohere = new addon.Model(cohereFile);
    expect(cohere.info()).toMatchObject({ arch: "cohere2", nLayer: 4, slidingWindow: 16, slidingWindowPeriod: 4, tiedOutput: true });
    for (const model of [smol, mistral, granite, ernie, internlm, glm, exaone, exaone64, cohere]) await decodesInFullAndRetrieval(model);
  });

  it.skipIf(!hasData)("loads hunyuan-dense (Q/K norms after RoPE) with its NTK alpha raising the RoPE base as llama.cpp does", async () => {
    const addon = loadAddon();
    const file = await syntheticModel("hunyuan-dense", "tiny", "q8_0", dir);
    const meta = addon.inspectGguf(file).metadata;
    expect(meta["hunyuan-dense.rope.scaling.alpha"]).toBe(4);
    const model = new addon.Model(file);
    const info = model.info();
    const d = info.headDim;
    // float operations, as llama.cpp's: base * powf(alpha, d / (d - 2))
    expect(info).toMatchObject({ arch: "hunyuan-dense", nRot: d, nExpert: 0 });
    expect(info.ropeFreqBase).toBeCloseTo(Math.fround(meta["hunyuan-dense.rope.freq_base"] as number) * Math.pow(4, d / (d - 2)), -1);
    expect(info.ropeFreqBase).toBeGreaterThan(4 * 10000);
    await decodesInFullAndRetrieval(model);
  });

  it.skipIf(!hasData)("loads gpt-oss (attention sinks, a window on every other layer, biases, OpenAI's experts) and refuses it without its window", async () => {
    const { tensors, shapes, model, info } = await loaded("gpt-oss", "mxfp4");
    expect(info).toMatchObject({ arch: "gpt-oss", slidingWindow: 16, slidingWindowPeriod: 2, nExpert: 8, nExpertUsed: 2 });
    expect(shapes["blk.0.attn_sinks.weight"]).toEqual([info.nHead]);
    expect(shapes["blk.0.ffn_gate_inp.bias"]).toEqual([8]);
    expect(shapes["blk.0.ffn_down_exps.bias"]).toEqual([info.nEmbd, 8]);
    expect(shapes["blk.0.post_attention_norm.weight"]).toEqual([info.nEmbd]);
    expect(tensors.find((t) => t.name === "blk.0.ffn_up_exps.weight")?.type).toBe("MXFP4");
    await decodesInFullAndRetrieval(model);
    const a = "gpt-oss";
    expect(refusal(a, [{ key: `${a}.expert_count`, type: "u32", value: 8 }, { key: `${a}.expert_used_count`, type: "u32", value: 2 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("sliding_window") });
  });

  it.skipIf(!hasData)("loads qwen2moe (qwen2's attention, experts weighted as they are, a shared expert behind a one-row gate)", async () => {
    const { shapes, model, info } = await loaded("qwen2moe", "q4_k");
    expect(info).toMatchObject({ arch: "qwen2moe", nExpert: 8, nExpertUsed: 2, nFfSharedExpert: 256 });
    expect(shapes["blk.0.ffn_gate_inp_shexp.weight"]).toEqual([info.nEmbd]);
    expect(shapes["blk.0.attn_q.bias"]).toEqual([info.nHead * info.headDim]);
    await decodesInFullAndRetrieval(model);
  });

  it.skipIf(!hasData)("loads olmo2 (post-norms only, Q/K norms across all heads, OLMo 3's window layers) and refuses it with experts or a partial rotation", async () => {
    const { shapes, model, info } = await loaded("olmo2", "q8_0");
    expect(info).toMatchObject({ arch: "olmo2", slidingWindow: 16, slidingWindowPeriod: 4, nExpert: 0 });
    expect(shapes["blk.0.attn_q_norm.weight"]).toEqual([info.nHead * info.headDim]);
    expect(shapes["blk.0.attn_k_norm.weight"]).toEqual([info.nHeadKv * info.headDim]);
    expect(shapes["blk.0.attn_norm.weight"]).toBeUndefined();
    await decodesInFullAndRetrieval(model);
    const a = "olmo2";
    expect(refusal(a, [{ key: `${a}.expert_count`, type: "u32", value: 8 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("mixture of experts") });
    expect(refusal(a, [{ key: `${a}.rope.dimension_count`, type: "u32", value: 8 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("whole heads") });
  });

  it.skipIf(!hasData)("loads arcee (an ungated ReLU-squared FFN: no ffn_gate) glm4 (fused gate-up, sandwich norms, half of each head rotated), exaone (llama's graph, NEOX rotation), seed_oss (its FFN norm under another name) and minicpm (granite's graph with defaults, LongRoPE)", async () => {
    const addon = loadAddon();
    const file = await syntheticModel("arcee", "tiny", "q8_0", dir);
    expect(addon.inspectGguf(file).tensors.map((t) => t.name)).not.toContain("blk.0.ffn_gate.weight");
    const model = new addon.Model(file);
    expect(model.info()).toMatchObject({ arch: "arcee", nExpert: 0 });
    await decodesInFullAndRetrieval(model);
    const glmFile = await syntheticModel("glm4", "tiny", "q8_0", dir);
    expect(addon.inspectGguf(glmFile).tensors.map((t) => t.name)).toEqual(
      expect.arrayContaining(["blk.0.attn_norm.weight", "blk.0.post_attention_norm.weight", "blk.0.ffn_norm.weight", "blk.0.post_ffw_norm.weight", "blk.0.attn_q.bias"]));
    const glm = new addon.Model(glmFile);
    expect(glm.info()).toMatchObject({ arch: "glm4", headDim: 64, nRot: 32 });
    await decodesInFullAndRetrieval(glm);
    const exaone35 = new addon.Model(await syntheticModel("exaone", "tiny", "q8_0", dir));
    expect(exaone35.info()).toMatchObject({ arch: "exaone", nExpert: 0 });
    await decodesInFullAndRetrieval(exaone35);
    const seedFile = await syntheticModel("seed_oss", "tiny", "q8_0", dir);
    const seedTensors = addon.inspectGguf(seedFile).tensors.map((t) => t.name);
    expect(seedTensors).toContain("blk.0.post_attention_norm.weight");
    expect(seedTensors).not.toContain("blk.0.ffn_norm.weight");
    const seed = new addon.Model(seedFile);
    expect(seed.info()).toMatchObject({ arch: "seed_oss", nExpert: 0 });
    await decodesInFullAndRetrieval(seed);
    // MiniCPM4: granite's graph, its multipliers left to their defaults (no logit_scale key, which granite requires)
    const cpmFile = await syntheticModel("minicpm", "tiny", "q8_0", dir, undefined, { longrope: true });
    expect(addon.inspectGguf(cpmFile).metadata["minicpm.logit_scale"]).toBeUndefined();
    const cpm = new addon.Model(cpmFile);
    expect(cpm.info()).toMatchObject({ arch: "minicpm", nExpert: 0, nLayer: 4 });
    await decodesInFullAndRetrieval(cpm);
  });

  it("refuses hunyuan-dense with experts, a partial rotation, sectioned RoPE or an alpha out of range (MODEL_HPARAMS)", () => {
    const a = "hunyuan-dense";
    expect(refusal(a, [{ key: `${a}.expert_count`, type: "u32", value: 8 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("mixture of experts") });
    expect(refusal(a, [{ key: `${a}.rope.dimension_count`, type: "u32", value: 8 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("whole heads") });
    expect(refusal(a, [{ key: `${a}.rope.dimension_sections`, type: "i32[]", value: [4, 4, 4, 4] }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("sectioned RoPE") });
    expect(refusal(a, [{ key: `${a}.rope.scaling.alpha`, type: "f32", value: -1 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("alpha out of range") });
    expect(refusal(a, [{ key: `${a}.rope.scaling.alpha`, type: "f32", value: 1e7 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("alpha out of range") });
  });

  it("refuses mistral3, granite, ernie4_5 and exaone4 with a mixture of experts, granite without its logit scale, or without RoPE, as many prediction layers as layers, cohere2 without its window or logit scale, and ernie4_5-moe without its interleave step, with more dense layers than layers or with sectioned RoPE (MODEL_HPARAMS)", () => {
    const experts = { key: "", type: "u32" as const, value: 8 };
    expect(refusal("mistral3", [{ ...experts, key: "mistral3.expert_count" }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("mixture of experts") });
    const logit = { key: "granite.logit_scale", type: "f32" as const, value: 8 };
    expect(refusal("cohere2", [{ key: "cohere2.attention.sliding_window", type: "u32", value: 4096 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("logit_scale") });
    expect(refusal("granite", [logit, { ...experts, key: "granite.expert_count" }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("mixture of experts") });
    // ERNIE 4.5 MoE: its interleave step is required; its VL models' sectioned RoPE is not run
    const ernieExperts = [{ ...experts, key: "ernie4_5-moe.expert_count" }, { key: "ernie4_5-moe.expert_used_count", type: "u32" as const, value: 2 }];
    expect(refusal("ernie4_5-moe", ernieExperts)).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("interleave_moe_layer_step") });
    const step = { key: "ernie4_5-moe.interleave_moe_layer_step", type: "u32" as const, value: 1 };
    expect(refusal("ernie4_5-moe", [...ernieExperts, step, { key: "ernie4_5-moe.leading_dense_block_count", type: "u32", value: 2 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("leading_dense_block_count") });
    expect(refusal("ernie4_5-moe", [...ernieExperts, step, { key: "ernie4_5-moe.rope.dimension_sections", type: "i32[]", value: [2, 2, 2, 2] }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("sectioned RoPE") });
    expect(refusal("glm4", [{ key: "glm4.rope.dimension_sections", type: "i32[]", value: [2, 2, 2, 2] }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("sectioned RoPE") });
    expect(refusal("glm4", [{ ...experts, key: "glm4.expert_count" }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("mixture of experts") });
    expect(refusal("exaone", [{ ...experts, key: "exaone.expert_count" }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("mixture of experts") });
    expect(refusal("seed_oss", [{ ...experts, key: "seed_oss.expert_count" }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("mixture of experts") });
    // only llama, granitemoe, qwen3moe and ernie4_5-moe read experts; any other file that has them is refused
    for (const arch of ["qwen2", "qwen3", "phi3", "smollm3"])
      expect(refusal(arch, [{ ...experts, key: `${arch}.expert_count` }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("mixture of experts") });
    expect(refusal("ernie4_5", [{ ...experts, key: "ernie4_5.expert_count" }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("mixture of experts") });
    expect(refusal("exaone4", [{ ...experts, key: "exaone4.expert_count" }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("mixture of experts") });
    expect(refusal("llama", [{ key: "llama.nextn_predict_layers", type: "u32", value: 1 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("nextn_predict_layers") });
    expect(refusal("cohere2", [logit])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("sliding_window") });
    expect(refusal("granite", [logit, { key: "granite.rope.scaling.finetuned", type: "bool", value: false }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("finetuned") });
    expect(refusal("granite", [])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("granite.logit_scale") });
    expect(refusal("granite", [{ ...logit, value: -1 }])).toMatchObject({ code: "MODEL_HPARAMS", message: expect.stringContaining("out of range") });
  });

  it.skipIf(!hasData)("loads qwen3moe, a Mixtral-style llama, granitemoe (with and without a shared expert), ernie4_5-moe and phimoe with their experts stacked in 3-D tensors", async () => {
    const addon = loadAddon();
    const qwen = await syntheticModel("qwen3moe", "tiny", "q8_0", dir);
    const shapes = Object.fromEntries(addon.inspectGguf(qwen).tensors.map((t) => [t.name, t.shape]));
    expect(shapes["blk.0.ffn_gate_inp.weight"]).toEqual([256, 8]);
    expect(shapes["blk.0.ffn_gate_exps.weight"]).toEqual([256, 256, 8]);
    expect(shapes["blk.0.ffn_down_exps.weight"]).toEqual([256, 256, 8]);
    expect(shapes["blk.0.ffn_gate.weight"]).toBeUndefined();
    expect(new addon.Model(qwen).info()).toMatchObject({ arch: "qwen3moe", nExpert: 8, nExpertUsed: 2, nFfExpert: 256 });
    const mixtral = new addon.Model(await syntheticModel("llama", "tiny", "q8_0", dir, undefined, { experts: 4 }));
    expect(mixtral.info()).toMatchObject({ arch: "llama", nExpert: 4, nExpertUsed: 2, nFfExpert: 512, nFf: 512 });
    const dense = new addon.Model(await syntheticModel("llama", "tiny", "q8_0", dir)).info();
    expect(dense).toMatchObject({ nExpert: 0, nExpertUsed: 0 });
    await decodesInFullAndRetrieval(mixtral);
    // Granite 3.x MoE: granite's multipliers, experts feed_forward_length wide as Mixtral's
    const granite = new addon.Model(await syntheticModel("granitemoe", "tiny", "q8_0", dir));
    expect(granite.info()).toMatchObject({ arch: "granitemoe", nExpert: 8, nExpertUsed: 2, nFfExpert: 512, nFf: 512, nFfSharedExpert: 0 });
    await decodesInFullAndRetrieval(granite);
    const graniteShared = new addon.Model(await syntheticModel("granitemoe", "tiny", "q8_0", dir, undefined, { sharedExpert: true }));
    expect(graniteShared.info()).toMatchObject({ nExpert: 8, nFfSharedExpert: 256 });
    // ERNIE 4.5 MoE: a dense first layer, then experts (half the FFN's width) with a selection bias and a shared expert
    const ernieFile = await syntheticModel("ernie4_5-moe", "tiny", "q8_0", dir);
    const ernieTensors = addon.inspectGguf(ernieFile).tensors.map((t) => t.name);
    expect(ernieTensors).toEqual(expect.arrayContaining(["blk.0.ffn_gate.weight", "blk.1.ffn_gate_exps.weight", "blk.1.exp_probs_b.bias", "blk.1.ffn_up_shexp.weight"]));
    expect(ernieTensors).not.toContain("blk.0.ffn_gate_exps.weight");
    const ernie = new addon.Model(ernieFile);
    expect(ernie.info()).toMatchObject({ arch: "ernie4_5-moe", nExpert: 8, nExpertUsed: 2, nFfExpert: 256, nFfSharedExpert: 256, nDenseLead: 1 });
    await decodesInFullAndRetrieval(ernie);
    // Phi-3.5-MoE: phi3's graph with experts, biases after its norms and on its logits
    const phiFile = await syntheticModel("phimoe", "tiny", "q8_0", dir);
    expect(addon.inspectGguf(phiFile).tensors.map((t) => t.name)).toEqual(
      expect.arrayContaining(["output.bias", "output_norm.bias", "blk.0.attn_norm.bias", "blk.0.ffn_norm.bias", "blk.0.attn_output.bias", "blk.0.ffn_up_exps.weight"]));
    const phi = new addon.Model(phiFile);
    expect(phi.info()).toMatchObject({ arch: "phimoe", nExpert: 8, nExpertUsed: 2, nFfExpert: 512 });
    await decodesInFullAndRetrieval(phi);
  });

  it("refuses expert counts it cannot use with MODEL_HPARAMS (missing, more used than there are, past 1024 experts or 64 used)", () => {
    const base = [
      { key: "general.architecture", type: "string", value: "qwen3moe" },
      { key: "qwen3moe.block_count", type: "u32", value: 1 },
      { key: "qwen3moe.embedding_length", type: "u32", value: 64 },
      { key: "qwen3moe.feed_forward_length", type: "u32", value: 128 },
      { key: "qwen3moe.attention.head_count", type: "u32", value: 4 },
    ] as const;
    const cases: [string, { key: string; type: "u32"; value: number }[]][] = [
      ["expert_count", []],
      ["expert_used_count", [{ key: "qwen3moe.expert_count", type: "u32", value: 8 }]],
      ["expert_used_count", [{ key: "qwen3moe.expert_count", type: "u32", value: 8 }, { key: "qwen3moe.expert_used_count", type: "u32", value: 9 }]],
      ["expert_count", [{ key: "qwen3moe.expert_count", type: "u32", value: 1025 }, { key: "qwen3moe.expert_used_count", type: "u32", value: 2 }]],
      ["expert_used_count", [{ key: "qwen3moe.expert_count", type: "u32", value: 128 }, { key: "qwen3moe.expert_used_count", type: "u32", value: 65 }]],
    ];
    for (const [named, extra] of cases) {
      const err = loadError([...base, ...extra]);
      expect(err?.code).toBe("MODEL_HPARAMS");
      expect(err?.message).toContain(named);
    }
  });

  it.skipIf(!hasData)("writes rows that are not whole 256-element super-blocks as llama.cpp's quantizer does: Q4_K as Q5_0, Q5_K as Q5_1, IQ4_XS as IQ4_NL", async () => {
    // SmolLM's 576-wide rows (Gemma 3 1B's 1152, Qwen2.5 0.5B's 896): a Q4_K_M file holds
    // Q5_0 matrices, a Q5_K_M file Q5_1 ones, which load
    for (const [type, fallback, whole] of [["q4_k", "Q5_0", "Q4_K"], ["q5_k", "Q5_1", "Q5_K"], ["iq4_xs", "IQ4_NL", "IQ4_XS"]] as const) {
      const file = await syntheticModel("llama", "smol", type, dir);
      const types = Object.fromEntries(loadAddon().inspectGguf(file).tensors.map((t) => [t.name, t.type]));
      expect(types["blk.0.attn_q.weight"]).toBe(fallback);
      expect(types["blk.0.ffn_down.weight"]).toBe(whole); // 1536 columns: whole super-blocks
      expect(new (loadAddon().Model)(file).info().nLayer).toBe(30);
    }
  });
});

