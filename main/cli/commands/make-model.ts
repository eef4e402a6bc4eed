// tome make-model --arch A [--experts N] --shape tiny|smol|1b|8b|a3b [--layers N] --type f16|q8_0|q4_k|... --vocab VOCAB.gguf --out F.gguf [--seed S] [--force]
// Writes a valid GGUF with random weights and the vocabulary of VOCAB.gguf.
// An existing --out file is kept (one line naming it, exit 1) unless --force: the
// file it would replace may be a real model. The check comes before any work.
import * as fs from "node:fs";
import { loadAddon } from "../../engine";
import type { SyntheticArch } from "../../engine/native";
import { intArg, parse, requireArg, UsageError } from "../args";
import { CliError } from "../errors";
import { checkParentDirectory, checkReadableFile } from "../files";

export const ARCHS = ["llama", "qwen2", "qwen3", "phi3", "gemma3", "qwen3moe", "smollm3", "mistral3", "granite", "ernie4_5", "chatglm", "exaone4", "cohere2", "internlm2", "hunyuan-dense", "granitemoe", "olmo2", "ernie4_5-moe", "arcee", "glm4", "exaone", "seed_oss", "minicpm", "phimoe", "gpt-oss", "qwen2moe"] as const;

export const usage =
  "tome make-model --arch A [--experts N] --shape tiny|smol|1b|8b|a3b [--layers N] --type f32|f16|bf16|q8_0|q4_0|q5_0|q4_1|q5_1|q2_k|q3_k|q4_k|q5_k|q6_k|iq4_nl|iq4_xs|mxfp4|q3_k_m|q4_k_m|q5_k_m --vocab VOCAB.gguf --out F.gguf [--seed S] [--force]";

export const flags = `  --arch A               the architecture:
                           llama, ernie4_5, internlm2 (llama's graph)
                           exaone                     (llama's graph with NEOX rotation)
                           seed_oss                   (NEOX rotation, Q/K/V biases, the FFN's norm named
                                                       post_attention_norm)
                           minicpm                    (granite's graph with MiniCPM's default multipliers)
                           phimoe                     (phi3's graph with 8 experts, biases on its norms and logits)
                           qwen2moe                   (qwen2's attention, 8 experts weighted as they are, a shared
                                                       expert gated by a sigmoid)
                           gpt-oss                    (attention sinks, every other layer a window of 16, Q/K/V and
                                                       output biases, 8 experts with OpenAI's gating, biases and
                                                       swiglu_oai)
                           qwen2, qwen3               (Q/K/V biases; per-head Q/K norms)
                           phi3                       (fused QKV and gate-up, partial rotation)
                           gemma3                     (sliding-window layers: 5 of 6, every other one in tiny)
                           qwen3moe                   (qwen3 with a mixture of experts in every layer)
                           smollm3                    (every fourth layer rotates nothing; 4 layers in tiny)
                           mistral3                   (Ministral 3's YaRN x16 and attention temperature)
                           granite                    (embedding, attention, residual and logit multipliers)
                           chatglm                    (fused QKV with a bias, fused gate-up, half of each head rotated)
                           exaone4                    (post-norms only; --layers 64: window layers, global ones
                                                       without RoPE)
                           cohere2                    (LayerNorm, attention and FFN side by side, window layers,
                                                       global ones without RoPE)
                           hunyuan-dense              (Q/K norms after RoPE, an NTK alpha on the RoPE base)
                           granitemoe                 (granite's multipliers with 8 experts, 2 a token)
                           olmo2                      (post-norms only, Q/K norms across all heads; OLMo 3's
                                                       window layers, 3 of 4, rotating without YaRN)
                           ernie4_5-moe               (a dense first layer, then 8 experts with a selection bias
                                                       and a shared expert)
                           arcee                      (an ungated FFN: down(relu(up(x))^2))
                           glm4                       (Q/K/V biases, fused gate-up, half of each head rotated,
                                                       norms before and after the attention and the FFN)
  --experts N            a mixture of N experts (1-256), 2 of them a token: qwen3moe, granitemoe,
                         ernie4_5-moe, phimoe, gpt-oss and qwen2moe (8 when unsaid), or llama as Mixtral (0, dense, when unsaid)
  --shape S              tiny, smol, 1b or 8b; for qwen3moe also a3b (12 layers of Qwen3-30B-A3B's,
                         16 of its experts, 8 a token)
  --layers N             N layers (1-256) instead of the shape's (a3b with 48: the whole model's depth)
  --type T               the weights' type: f32, f16, bf16, q8_0, q4_0, q5_0, q4_1, q5_1, q2_k, q3_k, q4_k,
                         q5_k, q6_k, iq4_nl, iq4_xs or mxfp4; or llama.cpp's mix q3_k_m, q4_k_m or q5_k_m
                         (Q6_K output and, in some layers, attn_v / ffn_down, as its quantizer picks them)
  --vocab FILE           a GGUF whose vocabulary the model takes
  --out FILE             the GGUF to write; an existing file is refused unless --force
  --seed S               seed of the random weights (1)
  --force                overwrite an existing --out file
  -h, --help             this help`;

export const SHAPES = ["tiny", "smol", "1b", "8b", "a3b"] as const;
export const TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0", "q5_0", "q4_1", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl", "iq4_xs", "mxfp4", "q3_k_m", "q4_k_m", "q5_k_m"] as const;

export async function makeModel(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    arch: { type: "string" },
    shape: { type: "string" },
    type: { type: "string" },
    vocab: { type: "string" },
    out: { type: "string" },
    seed: { type: "string" },
    experts: { type: "string" },
    layers: { type: "string" },
    force: { type: "boolean" },
  });
  const arch = requireArg(values.arch, "arch");
  if (!(ARCHS as readonly string[]).includes(arch))
    throw new UsageError(`--arch must be one of ${ARCHS.join(", ")}, got '${arch}'`);
  const shape = requireArg(values.shape, "shape");
  if (!(SHAPES as readonly string[]).includes(shape)) throw new UsageError(`--shape must be one of ${SHAPES.join(", ")}`);
  if (shape === "a3b" && arch !== "qwen3moe") throw new UsageError("--shape a3b is for qwen3moe");
  const type = requireArg(values.type, "type").toLowerCase();
  if (!(TYPES as readonly string[]).includes(type)) throw new UsageError(`--type must be one of ${TYPES.join(", ")}`);
  const vocab = requireArg(values.vocab, "vocab");
  const out = requireArg(values.out, "out");
  const seed = intArg(values.seed, "seed", 1);
  const experts = intArg(values.experts, "experts", 0, 1, 256);
  const layers = intArg(values.layers, "layers", 0, 1, 256);
  if (values.experts !== undefined && arch !== "llama" && arch !== "qwen3moe" && arch !== "granitemoe" && arch !== "ernie4_5-moe" && arch !== "phimoe" && arch !== "gpt-oss" && arch !== "qwen2moe")
    throw new UsageError("--experts is for llama, qwen3moe, qwen2moe, granitemoe, ernie4_5-moe, phimoe and gpt-oss");
  // before the addon loads or a byte is written
  checkReadableFile("--vocab", vocab);
  checkParentDirectory("--out", out);
  if (values.force !== true) refuseExisting(out);
  await loadAddon().writeSyntheticModel({ arch: arch as SyntheticArch, shape, type, vocab, out, seed, experts, layers });
  process.stderr.write(`tome: wrote ${out}\n`);
  return 0;
}

/** One line naming --out and the path when a file is there already (a folder is refused by checkParentDirectory). */
function refuseExisting(out: string): void {
  if (fs.existsSync(out)) throw new CliError(`--out '${out}': the file exists (--force overwrites it)`, "EEXIST");
}
