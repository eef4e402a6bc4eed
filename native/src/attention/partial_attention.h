// Attention over a subset of the context, returning the normalized output and
// the log-sum-exp of the scaled scores, so that partial results over disjoint
// key sets merge exactly (RetrievalAttention's static set + retrieved keys):
//   s_j = scale * q . k_j,  lse = log sum_j exp(s_j),  out = sum_j exp(s_j - lse) v_j
// The n_q query rows share one KV head (a GQA group), so each key row is
// converted and read once for the whole group.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tome {

struct KvRows {
  const uint16_t* k;  // f16 rows: row j at k + j * stride
  const uint16_t* v;
  size_t stride;      // elements between rows (>= head_dim)
};

// Over rows [0, n). q: (n_q, hd); out: (n_q, hd); lse: (n_q).
// n == 0 gives out = 0 and lse = -inf (the identity of merge).
void attend_rows(const float* q, int n_q, const KvRows& kv, int64_t n, int hd, float scale,
                 float* out, float* lse, std::vector<float>& scratch);

// Over the rows listed in idx[0..n) (any order, no duplicates).
void attend_gather(const float* q, int n_q, const KvRows& kv, const int32_t* idx, int64_t n, int hd,
                   float scale, float* out, float* lse, std::vector<float>& scratch);

// (out, lse) <- merge of two partial results over disjoint key sets; in place on a.
//   lse = log(exp(lse_a) + exp(lse_b)); out = w_a out_a + w_b out_b, w_x = exp(lse_x - lse)
void merge_partial(float* out_a, float* lse_a, const float* out_b, const float* lse_b, int n_q, int hd);

}  // namespace tome
