// The model's tensors, looked up by GGUF name and checked for shape and type.
// Matrices point into the mmap (no copy), except those the repacked 4-bit kernels read
// with their rows interleaved (weight_interleave.h); norms, biases and rope factors are
// converted to f32 once (they are small and read every token).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/matmul.h"
#include "model/hparams.h"

namespace tome {

class GgufFile;

struct LayerWeights {
  std::vector<float> attn_norm;            // (n_embd); empty for exaone4 (no norm before the attention)
  std::vector<float> attn_norm_b, ffn_norm_b;  // phimoe: (n_embd) added after the norms' gains, or empty
  WeightMatrix wq, wk, wv, wo;             // (q_dim, n_embd) (kv_dim, n_embd) x2 (n_embd, q_dim)
  std::vector<float> bq, bk, bv;           // qwen2 (others where a file has them): (q_dim) (kv_dim) (kv_dim)
  std::vector<float> bo;                   // (n_embd) the attention output's bias, where a file has one
  std::vector<float> q_norm, k_norm;       // qwen3, gemma3: (head_dim) each head's Q / K RMS-norm gains
  std::vector<float> attn_post_norm;       // gemma3, exaone4: (n_embd) the attention output's RMS-norm gains
  std::vector<float> ffn_post_norm;        // gemma3, exaone4: (n_embd) the FFN output's
  std::vector<float> ffn_norm;             // (n_embd); empty for exaone4
  WeightMatrix w_gate, w_up, w_down;       // (n_ff, n_embd) x2, (n_embd, n_ff); dense FFN only
  // phi3: wq, wk, wv are row ranges of one attn_qkv matrix, and w_gate, w_up of one ffn_up
  // A mixture of experts (hp.has_moe()): the router (n_expert, n_embd) and each expert's
  // matrices stacked, expert e's rows [e * rows, (e + 1) * rows) (expert_rows()):
  // gate, up (n_expert * n_ff_exp, n_embd), down (n_expert * n_embd, n_ff_exp)
  WeightMatrix router, gate_exps, up_exps, down_exps;
  std::vector<float> exp_probs_b;          // (n_expert) ernie4_5-moe: added to the probabilities to choose, or empty
  // gpt-oss (hp.oai_moe): the router's bias (n_expert) and each expert's biases, expert e's
  // at [e * rows, (e + 1) * rows): gate, up (n_expert * n_ff_exp), down (n_expert * n_embd)
  std::vector<float> router_b, gate_exps_b, up_exps_b, down_exps_b;
  std::vector<float> attn_sinks;           // gpt-oss (hp.attn_sinks): (n_head) each head's sink logit
  WeightMatrix gate_shexp, up_shexp, down_shexp;  // (n_ff_shexp, n_embd) x2, (n_embd, n_ff_shexp) where hp.n_ff_shexp
  WeightMatrix gate_inp_shexp;             // qwen2moe: (1, n_embd) the shared expert's gate, a one-row F32 product
};

// Expert e's matrix of a stack of n_expert (the same bytes: rows are whole blocks).
WeightMatrix expert_rows(const WeightMatrix& stack, int n_expert, int e);

struct Weights {
  WeightMatrix token_embd;                 // (n_vocab, n_embd), rows read by token id
  std::vector<LayerWeights> layers;
  std::vector<float> output_norm;          // (n_embd)
  std::vector<float> output_norm_b;        // phimoe: (n_embd) added after output_norm, or empty
  std::vector<float> output_b;             // phimoe: (n_vocab) added to the logits, or empty
  WeightMatrix output;                     // (n_vocab, n_embd); token_embd when tied
  bool tied_output = false;
  std::vector<float> rope_freq_factors;    // (n_rot/2) Llama 3.1 rope_freqs, or empty
  // (n_rot/2) phi3's LongRoPE factors, or empty: the short ones for sessions up to
  // n_ctx_orig, the long ones past it (used only when rope_freq_factors is empty)
  std::vector<float> rope_factors_short, rope_factors_long;
  uint64_t weight_bytes = 0;               // bytes of all tensors used
  // The interleaved copies the matrices read where the layout pays (weight_interleave.h),
  // and their bytes
  std::vector<std::shared_ptr<uint8_t>> interleaved;
  uint64_t interleaved_bytes = 0;
};

// Throws tome::Error MODEL_TENSOR (missing / wrong shape) or UNSUPPORTED_TYPE
// (naming the tensor and its type). Every matrix reads the mapping; Model::load then
// interleaves those that pay (weight_interleave.h).
Weights load_weights(const GgufFile& gguf, const HParams& hp);

// The frequency factors a session of n_ctx positions rotates by (llama.cpp's
// choice: rope_freqs, else LongRoPE's long ones when the context, padded to a
// multiple of 256 as llama.cpp pads it, is past the original one, else its
// short ones); empty for none.
const std::vector<float>& rope_factors_for(const Weights& w, const HParams& hp, int64_t n_ctx);

}  // namespace tome
