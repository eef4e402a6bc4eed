// Hyperparameters of a Llama-family model, read from GGUF metadata
// (<arch>.block_count, <arch>.embedding_length, ...), with llama.cpp's defaults.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>

namespace tome {

class GgufFile;

// QWEN2: Q/K/V biases; QWEN3: no biases, each head's Q and K RMS-normed (gains
// attn_q_norm / attn_k_norm, head_dim wide) before RoPE. PHI3 (Phi-3, Phi-3.5,
// Phi-4): Q, K and V in one matrix (attn_qkv, in that order), the FFN's gate and
// up in one (ffn_up, gate first), Q scaled by 1/sqrt(head_dim) after RoPE and
// attended at scale 1 (llama.cpp's order), LongRoPE frequency factors for
// contexts up to and past the original one (rope_factors_short / _long). GEMMA3:
// embeddings scaled by sqrt(n_embd), Q/K RMS-normed per head (as qwen3), Q scaled
// before attention, the attention and FFN outputs RMS-normed again before their
// residual adds (attn_post_norm, ffn_post_norm), a GELU-gated FFN, and sliding-window
// layers (all but every swa_period-th) that attend only the last n_swa positions and
// rotate by their own RoPE base, unscaled. QWEN3MOE: qwen3's attention, a mixture
// of experts for every layer's FFN. LLAMA with expert_count > 0 (Mixtral) has one too.
// SMOLLM3 (SmolLM3): llama's layers, but every fourth one rotates nothing (NoPE).
// MISTRAL3 (Ministral 3): llama's layers with YaRN's own keys (beta_fast/slow, log_mul)
// and, past the original context, queries scaled up with the log of the position
// (Llama 4's attention temperature: attn_temp()).
// GRANITE (IBM Granite 3): llama's layers with multipliers: embeddings (embed_scale),
// attention scores (attention_scale), the attention and FFN outputs before their residual
// adds (residual_scale), logits (logit_factor, 1 / logit_scale); as "granitemoe" (Granite 3.x
// MoE), the same with a mixture of experts (Mixtral's softmax gating) in every FFN, and a
// shared expert where the file has one (Granite MoE Shared); as "minicpm" (MiniCPM, MiniCPM4),
// granite's graph with MiniCPM's default multipliers and LongRoPE where the file has it.
// PHI3 also runs "phimoe" (Phi-3.5-MoE, 128K context): phi3's graph with experts (Mixtral's
// gating), biases on its norms (RMSNorm x w + b), the attention's output and the logits.
// "ernie4_5-moe" (ERNIE 4.5 21B-A3B, 300B-A47B): llama's layers (Arch::LLAMA) with experts
// past the leading dense layers, a per-expert selection bias (exp_probs_b, added to the
// probabilities only to choose), and shared experts.
// CHATGLM (GLM-4-9B-Chat, -Chat-1M, GLM-Edge): Q, K and V in one matrix with one bias
// (attn_qkv), the FFN's gate and up in one (ffn_up, gate first) as phi3's, NORM rotation
// of the first rope.dimension_count dims (half the head).
// EXAONE4 (EXAONE 4.0): no norm before the attention or the FFN, their outputs RMS-normed
// before the residual adds (gemma3's post norms), Q/K RMS-normed per head; the 64-layer
// model (32B, as llama.cpp keys it) has sliding-window layers (3 of 4) and global ones that
// rotate nothing (nope_global).
// COHERE2 (Command R7B): LayerNorm (no bias) in place of RMSNorm, the attention and the FFN
// side by side on one normed input (x + FFN + attention), 3 layers of 4 sliding-window
// ones (rotating at the model's base and scale) and global ones without RoPE, logits
// multiplied by logit_scale, the output tied to the embeddings.
// HUNYUAN_DENSE (Hunyuan 0.5B-7B, 256K context): llama's layers with NEOX rotation and Q/K
// RMS-normed per head after RoPE (not before, as qwen3's); a rope.scaling.alpha, where a
// file has one, raises the RoPE base to base * alpha^(d / (d - 2)) (NTK-aware, as llama.cpp).
// OLMO2 (OLMo 2, OLMo 3): exaone4's norms (post-norms only) but Q and K RMS-normed across all
// their heads at once (qk_norm_whole(): gains q_dim and kv_dim wide); OLMo 3's files add
// sliding-window layers (3 of 4) that rotate without the model's YaRN (swa_plain_rope).
// ARCEE (Arcee AFM-4.5B, 64K context): llama's layers with an ungated FFN,
// down(relu(up(x))^2) (no ffn_gate).
// LLAMA also runs "ernie4_5", "internlm2", "exaone" (EXAONE 3.5, NEOX rotation) and
// "seed_oss" (Seed-OSS 36B, 512K context: NEOX, its FFN norm named post_attention_norm):
// llama's graph under their names, without experts.
// "qwen2moe" (Qwen1.5-MoE-A2.7B, Qwen2-57B-A14B, 64K with YaRN) runs qwen2's layers with a
// mixture of experts (softmax gating, weights not normalized) and a shared expert gated by a
// sigmoid of one more product (hp.qwen2moe).
// "gpt-oss" (gpt-oss-20b, -120b, 128K context with YaRN) runs llama's layers (Arch::LLAMA)
// with NEOX rotation, Q/K/V and output biases, a learned sink logit per head in every
// softmax (attn_sinks: the softmax's denominator gains exp(sink); ggml_soft_max_add_sinks),
// sliding-window layers (every other one, window 128, rotating as the others), the FFN norm
// stored as post_attention_norm, and OpenAI's mixture of experts (oai_moe: the router's
// bias, softmax over the chosen experts' logits, the experts' biases, swiglu_oai).
// GLM4 (GLM-4-0414 9B and 32B, GLM-Z1): chatglm's layout (Q/K/V with biases, fused gate-up
// ffn_up, NORM rotation of part of each head) with norms before and after the attention
// and the FFN (gemma3's sandwich).
enum class Arch {
  LLAMA, QWEN2, QWEN3, PHI3, GEMMA3, QWEN3MOE, SMOLLM3, MISTRAL3, GRANITE, CHATGLM, EXAONE4, COHERE2, HUNYUAN_DENSE,
  OLMO2, ARCEE, GLM4
};
// NORM rotates adjacent pairs (x[2i], x[2i+1]) (llama; GGUF conversion permutes
// Q/K for it); NEOX rotates (x[i], x[i + n_rot/2]) (qwen2, qwen3, phi3).
enum class RopeStyle { NORM, NEOX };

struct HParams {
  Arch arch = Arch::LLAMA;
  std::string arch_name;   // as the file names it: "llama", "qwen2", ..., "ernie4_5", "internlm2" (hparams.cpp's table)
  int n_layer = 0;
  int n_embd = 0;          // model width
  int n_head = 0;          // query heads
  int n_head_kv = 0;       // key/value heads (GQA: n_head % n_head_kv == 0)
  int head_dim = 0;        // per head (key_length; default n_embd / n_head)
  int n_ff = 0;            // feed-forward width (of a dense FFN)
  // A mixture of experts (n_expert > 0): each token's FFN is the n_expert_used experts
  // its router rates best (softmax gating), weighted by their probabilities
  // normalized to sum 1; each expert a SwiGLU FFN n_ff_exp wide (model/moe_ffn.h)
  int n_expert = 0;
  int n_expert_used = 0;
  int n_ff_exp = 0;
  // ERNIE 4.5 MoE, Granite MoE Shared: an always-on SwiGLU expert n_ff_shexp wide whose
  // output is added to the routed experts' (0: none)
  int n_ff_shexp = 0;
  // ERNIE 4.5 MoE: the first n_layer_dense_lead layers and those whose (l + 1) is not a
  // multiple of moe_layer_step have a dense FFN (is_moe_layer())
  int n_layer_dense_lead = 0;
  int moe_layer_step = 1;
  bool expert_selection_bias = false;  // ernie4_5-moe: exp_probs_b, added to the probabilities to choose
  // gpt-oss: the router's logits plus its bias choose the experts, their weights the softmax of
  // the chosen logits (llama.cpp's SOFTMAX_WEIGHT gating, not normalized); gate, up and down
  // each plus the expert's bias; the activation swiglu_oai (model/moe_ffn.h)
  bool oai_moe = false;
  // qwen2moe: the chosen experts weighted by their probabilities as they are (not normalized),
  // and the shared expert's output times sigmoid(ffn_gate_inp_shexp . h), computed as
  // silu(g) / g as llama.cpp does (model/moe_ffn.h)
  bool qwen2moe = false;
  // gpt-oss: each head's learned sink logit (attn_sinks, n_head) joins every softmax's
  // denominator (its value row is zero), in every attention mode
  bool attn_sinks = false;
  // the FFN norm's tensor (seed_oss stores it as post_attention_norm); phimoe's biases after
  // its norms (RMSNorm x w + b) and on its logits
  const char* ffn_norm_name = "ffn_norm.weight";
  bool norm_biases = false;
  int n_vocab = 0;
  int n_ctx_train = 0;
  // rope.scaling.original_context_length (default n_ctx_train): a session longer than it
  // rotates by LongRoPE's long factors, as llama.cpp chooses them by its context size
  int n_ctx_orig = 0;
  int n_rot = 0;           // rotated dims per head (rope.dimension_count)
  float rms_eps = 1e-5f;   // the norms' eps (cohere2's LayerNorm: attention.layer_norm_epsilon)
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // 1 / the scaling factor (linear or YaRN)
  // YaRN (rope.scaling.type yarn), as llama.cpp applies it: each rotated pair's angle mixes the
  // interpolated (scaled) and the original one by a ramp over the pair's index between the
  // correction dims, and cos/sin are scaled by rope_mscale. Without YaRN ext 0, mscale 1.
  float yarn_ext_factor = 0.0f;
  float yarn_corr_dims[2] = {0.0f, 0.0f};
  float rope_mscale = 1.0f;
  // rope.scaling.type longrope: rotations by rope_factors_short / _long (weights.h; phi3
  // reads them whatever the type, as llama.cpp)
  bool longrope = false;
  RopeStyle rope_style = RopeStyle::NORM;
  // gemma3: sliding-window layers (n_swa > 0): layer l attends positions p - n_swa < j <= p
  // unless l % swa_period == swa_period - 1 (swa_period 0: every layer); they rotate by
  // rope_freq_base_swa at scale rope_freq_scale_swa (llama.cpp's defaults: 10000, 1)
  int n_swa = 0;
  int swa_period = 0;
  float rope_freq_base_swa = 10000.0f;
  float rope_freq_scale_swa = 1.0f;
  bool swa_plain_rope = false;  // olmo2: the sliding-window layers rotate without YaRN (ext 0, mscale 1)
  float embed_scale = 1.0f;          // gemma3: sqrt(n_embd); granite: embedding_scale (ggml_scale)
  float attention_scale = 0.0f;      // gemma3: Q's scale; granite: the scores' (llama.cpp's f_attention_scale)
  float residual_scale = 0.0f;       // granite: the attention and FFN outputs' (0: none)
  float logit_factor = 0.0f;         // logits times this (0: none): granite 1 / logit_scale, cohere2 logit_scale
  bool layer_norm = false;           // cohere2: LayerNorm (ggml_norm) where the others RMS-norm (eps: rms_eps)
  float final_logit_softcap = 0.0f;  // > 0: logits = c * tanh(logits / c)
  // smollm3: layer l rotates nothing when (l + 1) % no_rope_period == 0 (0: every layer rotates)
  int no_rope_period = 0;
  bool nope_global = false;  // exaone4 with sliding-window layers: the global ones rotate nothing
  // mistral3: attention.temperature_scale (0: none) and the positions a step of the
  // temperature spans (the original context, as llama.cpp takes it)
  float attn_temp_scale = 0.0f;
  int attn_temp_floor = 0;

  bool rotates(int layer) const {
    if (nope_global && !is_swa(layer)) return false;
    return no_rope_period == 0 || (layer + 1) % no_rope_period != 0;
  }
  bool has_attn_temp() const { return attn_temp_scale != 0.0f; }
  // The factor a query at `pos` is multiplied by after RoPE, in llama.cpp's operations
  // (llm_graph_input_attn_temp: float position and floor, double log and sum)
  float attn_temp(int64_t pos) const {
    const float p = float(pos);
    return float(std::log(std::floor(p / float(attn_temp_floor)) + 1.0) * attn_temp_scale + 1.0);
  }

  bool is_swa(int layer) const { return n_swa > 0 && (swa_period == 0 || layer % swa_period < swa_period - 1); }
  bool has_swa() const { return n_swa > 0; }
  bool has_moe() const { return n_expert > 0; }
  bool is_moe_layer(int layer) const {
    return n_expert > 0 && layer >= n_layer_dense_lead && (layer + 1) % moe_layer_step == 0;
  }
  // Q, K and V from one attn_qkv matrix (and bias), gate and up from one ffn_up (gate rows first)
  bool fused_qkv_ffn() const { return arch == Arch::PHI3 || arch == Arch::CHATGLM || arch == Arch::GLM4; }
  // Q and K RMS-normed per head (attn_q_norm, attn_k_norm), before RoPE but for
  // qk_norm_after_rope()
  bool has_qk_norm() const {
    return arch == Arch::QWEN3 || arch == Arch::QWEN3MOE || arch == Arch::GEMMA3 || arch == Arch::EXAONE4 ||
           arch == Arch::HUNYUAN_DENSE || arch == Arch::OLMO2;
  }
  bool qk_norm_after_rope() const { return arch == Arch::HUNYUAN_DENSE; }
  // Q and K each RMS-normed as one row (q_dim, kv_dim wide) rather than head by head
  bool qk_norm_whole() const { return arch == Arch::OLMO2; }
  // the attention and FFN outputs RMS-normed before their residual adds (attn_post_norm, ffn_post_norm)
  bool has_post_norms() const {
    return arch == Arch::GEMMA3 || arch == Arch::EXAONE4 || arch == Arch::OLMO2 || arch == Arch::GLM4;
  }
  // a norm before the attention (attn_norm) and before the FFN (ffn_norm); exaone4 has neither,
  // cohere2 only the one, whose output both take (parallel_block())
  bool has_attn_norm() const { return arch != Arch::EXAONE4 && arch != Arch::OLMO2; }
  bool has_ffn_norm() const { return arch != Arch::EXAONE4 && arch != Arch::COHERE2 && arch != Arch::OLMO2; }

  bool parallel_block() const { return arch == Arch::COHERE2; }
  // the FFN ungated: down(relu(up(x))^2), no ffn_gate (arcee)
  bool ffn_relu_sqr() const { return arch == Arch::ARCEE; }
  int n_gqa() const { return n_head / n_head_kv; }
  int q_dim() const { return n_head * head_dim; }
  int kv_dim() const { return n_head_kv * head_dim; }
  // Attention scores are kq_scale() * (q_scale() * q) . k: phi3 scales Q first (one f32
  // multiply, as ggml_scale), the others the dot products.
  // gemma3 scales Q too (by attention_scale).
  float q_scale() const {
    return arch == Arch::PHI3 ? 1.0f / std::sqrt(float(head_dim)) : arch == Arch::GEMMA3 ? attention_scale : 1.0f;
  }
  float kq_scale() const {
    if (arch == Arch::GRANITE && attention_scale != 0.0f) return attention_scale;
    return arch == Arch::PHI3 || arch == Arch::GEMMA3 ? 1.0f : 1.0f / std::sqrt(float(head_dim));
  }
};

// ernie4_5 (ERNIE 4.5's dense models) and internlm2 are llama's graph: Arch::LLAMA, named as
// the file names them.
// Throws tome::Error MODEL_ARCH for architectures other than those of hparams.cpp's kArchNames and
// MODEL_HPARAMS for missing or inconsistent values (named in the message).
HParams read_hparams(const GgufFile& gguf);

}  // namespace tome
