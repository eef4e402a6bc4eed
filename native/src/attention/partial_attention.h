// Attention over a subset of the context, returning the normalized output and
// the log-sum-exp of the scaled scores, so that partial results over disjoint
// key sets merge exactly (RetrievalAttention's static set + retrieved keys):
//   s_j = scale * q . k_j,  lse = log sum_j exp(s_j),  out = sum_j p_j v_j,  p_j = exp(s_j - lse)
// The n_q query rows share one KV head (a GQA group), so each key row is
// converted and read once for the whole group.
//
// Numerics (attention_math.h): LLAMA_CPP follows llama.cpp's CPU backend, so
// that full attention is comparable with it token for token: q is rounded to
// f16 before the dot products (ggml converts q to the f16 type of the K cache)
// and each p_j is rounded to f16 before weighting V (ggml converts the softmax
// to the type of the V cache); EXACT keeps both in f32.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "attention/attention_math.h"

namespace tome {

struct KvRows {
  const uint16_t* k;  // f16 rows: row j at k + j * stride
  const uint16_t* v;
  size_t stride;      // elements between rows (>= head_dim)
};

// Over rows [0, n). q: (n_q, hd); out: (n_q, hd); lse: (n_q).
// n == 0 gives out = 0 and lse = -inf (the identity of merge).
void attend_rows(const float* q, int n_q, const KvRows& kv, int64_t n, int hd, float scale,
                 float* out, float* lse, std::vector<float>& scratch,
                 AttentionNumerics numerics = AttentionNumerics::LLAMA_CPP);

// Over the rows listed in idx[0..n) (any order, no duplicates). When probs is
// given it receives (n_q, n): each key's probability within this partial set.
void attend_gather(const float* q, int n_q, const KvRows& kv, const int32_t* idx, int64_t n, int hd,
                   float scale, float* out, float* lse, std::vector<float>& scratch, float* probs = nullptr,
                   AttentionNumerics numerics = AttentionNumerics::LLAMA_CPP);

// (out, lse) <- merge of two partial results over disjoint key sets; in place on a.
//   lse = log(exp(lse_a) + exp(lse_b)); out = w_a out_a + w_b out_b, w_x = exp(lse_x - lse)
void merge_partial(float* out_a, float* lse_a, const float* out_b, const float* lse_b, int n_q, int hd);

// q rounded to f16 precision (kept as f32), as the scores use it. n values.
void round_to_f16(const float* src, float* dst, int64_t n);

// Softmax pieces shared with the causal kernels (exp as vector_exp.h):
//   exp_in_place: m = max s; s_j <- exp(s_j - m); sum = sum_j s_j
//   probabilities_f16: e_j <- f16(e_j * inv_sum)
void exp_in_place(float* s, int64_t n, float& m, double& sum);
void probabilities_f16(float* e, int64_t n, float inv_sum);

}  // namespace tome
