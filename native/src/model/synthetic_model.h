// Synthetic models for tests and benchmarks: a valid GGUF with seeded random
// weights in the chosen tensor type and the real vocabulary (every tokenizer.*
// key) copied from a vocab GGUF. Shapes:
//   tiny  2 layers,  256 wide,  4 heads, 2 KV heads, FFN  512  (tests)
//   tiny-narrow-q  2 layers, 512 wide, 4 heads of 64 (attention.key_length), 2 KV heads,
//         FFN 512: Q is 256 wide, narrower than the model, as Mistral NeMo's 4096 in 5120
//   smol 30 layers,  576 wide,  9 heads, 3 KV heads, FFN 1536  (SmolLM-135M)
//   1b   16 layers, 2048 wide, 32 heads, 8 KV heads, FFN 8192  (Llama 3.2 1B, tied, rope_freqs)
//   8b   32 layers, 4096 wide, 32 heads, 8 KV heads, FFN 14336 (Llama 3 8B)
//   a3b  (qwen3moe) 12 layers of Qwen3-30B-A3B's: 2048 wide, 32 heads of 128, 4 KV heads,
//        16 experts 768 wide, 8 a token (the model has 48 layers and 128 experts)
// phi3 writes its fused attn_qkv and ffn_up (gate rows first), and its tiny shape
// is 512 wide with 4 heads of 128, 96 of them rotated (Phi-4-mini's partial
// rotation; 1/sqrt(128), the Q scale, is not a power of two). gemma3's tiny shape
// has heads of 128 too (Q 512 wide in a 256-wide model), a sliding window of 16 on
// every other layer, linear RoPE scaling on the global ones and capped logits.
// Matrices whose rows are not whole blocks of the type (576-wide rows and
// 256-element K-quant blocks) fall back as llama.cpp's quantizer does to a
// type that fits: Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, IQ4_XS -> IQ4_NL, and
// Q2_K, Q3_K -> IQ4_NL (as the quantizer behind most published files did;
// node-llama-cpp's build picks Q4_0).
// qwen3moe (and llama with experts > 0, as Mixtral) has a mixture of experts in every
// layer: an f32 router (ffn_gate_inp, as llama.cpp's quantizer keeps it) and the
// experts' gate, up and down matrices stacked in 3-D tensors (ffn_*_exps); qwen3moe's
// experts are half the shape's FFN wide (expert_feed_forward_length), llama's all of it.
// smollm3 is llama's layers with every fourth rotating nothing (its tiny shape has 4
// layers); mistral3 llama's with Ministral 3's YaRN x16 (beta 32/1, log multiplier 1)
// and attention temperature 0.1 over steps of its original context (16 in tiny); granite
// llama's with Granite 3 2B's embedding (12) and residual (0.22) multipliers, logits
// divided by 2 and an attention scale of 1/4 (random weights' attention would be flat at
// its 1/64); ernie4_5 and internlm2 are llama's. mistral3 writes an attention output bias (optional
// there, as in llama). chatglm writes phi3's fused attn_qkv (with a bias) and ffn_up and
// rotates half of each head (NORM pairs). exaone4 has no pre-norms, gemma3's post-norms
// and Q/K norms, and a sliding window (16 in tiny, 3 layers of 4) that only a 64-layer
// model uses (--layers 64), its global layers rotating nothing. cohere2 has LayerNorms
// (attn_norm only, shared by the attention and the FFN), a window (16 in tiny, 4 layers)
// on 3 layers of 4, global layers without RoPE, logits times 0.25 and a tied output.
#pragma once
#include <cstdint>
#include <string>

#include "common/ggml_type.h"
#include "model/kquant_mix.h"

namespace tome {

class ThreadPool;

struct SyntheticModelSpec {
  std::string arch = "llama";   // one of synthetic_model.cpp's kArchs (make-model --help lists them)
  std::string shape = "tiny";   // tiny | smol | 1b | 8b
  GgmlType type = GgmlType::F16;
  // kNone, or llama.cpp's mix of that name (kquant_mix.h; type is then the mix's base type)
  KQuantMix mix = KQuantMix::kNone;
  std::string vocab_path;       // GGUF with tokenizer.* metadata
  std::string out_path;
  uint64_t seed = 1;
  // > 0: YaRN scaling by this factor (rope.scaling.type yarn; context_length and the
  // original context the shape's context over the factor), as Qwen's GGUFs carry it
  float yarn_factor = 0.0f;
  // phi3 and minicpm: LongRoPE as Phi-3.5's GGUFs carry it (rope_factors_short / _long,
  // attn_factor sqrt(1 + ln(s) / ln(orig))), with an original context of 256 so
  // that a test's small sessions rotate by either set
  bool longrope = false;
  // a mixture of experts: qwen3moe always (0: 8, 16 in the a3b shape), llama when > 0;
  // experts_used of them a token (0: 2, 8 in the a3b shape)
  int experts = 0;
  int experts_used = 0;
  // granitemoe: an always-on shared expert (Granite MoE Shared); ernie4_5-moe always has one
  bool shared_expert = false;
  // > 0: this many layers instead of the shape's (a shape's numerics at any depth)
  int layers = 0;
};

// Throws tome::Error BAD_ARGUMENT (unknown shape/arch/type), GGUF_* (vocab file),
// IO_WRITE (disk).
void write_synthetic_model(const SyntheticModelSpec& spec, ThreadPool& pool);

// Parses "q4_k", "Q8_0", "f16", ... into a type tome can write, or "q4_k_m", "q3_k_m",
// "q5_k_m" into a mix and its base type; throws BAD_ARGUMENT.
struct WeightTypeName {
  GgmlType type;
  KQuantMix mix;
};
WeightTypeName parse_weight_type(const std::string& name);

}  // namespace tome
