// Exact top-k keys of sampled queries, the part of RetrievalAttention's index
// build the paper puts on the GPU: for each query, the k keys with the largest
// inner product q . key, by a blocked Q.K^T (f32 products of f16 keys) and a
// per-query selection that keeps a sorted list of the best k so far.
// Output sorted by score, descending; equal scores: lower key index first.
// When n_keys < k the tail is idx -1, score -inf.
// Scores are f32 sums in a fixed order; keys whose scores differ from the k-th by
// less than f32 rounding (~1e-6 relative) may rank either way against a
// double-precision oracle.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tome::cuda {

struct TopkKeysArgs {
  const float* q = nullptr;        // (n_q, hd), row i at q + i * q_stride
  int64_t n_q = 0, q_stride = 0;
  const uint16_t* keys = nullptr;  // f16 (n_keys, hd), row j at keys + j * key_stride
  int64_t n_keys = 0, key_stride = 0;
  int hd = 0;                      // even, <= 256
  int k = 0;                       // 1..256
  int32_t* idx = nullptr;          // (n_q, k)
  float* score = nullptr;          // (n_q, k)
};

// Throws tome::Error BAD_ARGUMENT, CUDA_ERROR.
void topk_keys(const TopkKeysArgs& args, cudaStream_t stream);

}  // namespace tome::cuda
