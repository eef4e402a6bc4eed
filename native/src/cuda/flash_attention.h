// Causal attention for prefill (a chunk of queries against the cache), as
// attention/causal_attention.h: query token i (position pos0 + i) of head h in KV
// group h / (n_head / n_head_kv) attends keys [0, pos0 + i]:
//   out[i][h] = softmax_j(scale * q[i][h] . k[j]) . v[j]
// Online softmax over key blocks (FlashAttention-2), so no score matrix is stored.
//
// Both paths round q to the KV type first, as the CPU kernels and ggml do.
// TensorCores: Q, K, V and the probabilities P as the KV type (f16 or bf16) on
//   mma.sync, f32 scores, sums and outputs. head_dim 64 or 128. Error normwise
//   against a double reference (same rounded q): below 3e-3 (f16), 2e-2 (bf16).
// F32: one warp per (query, head), every product in f32 on CUDA cores (slow;
//   the precise path). head_dim a multiple of 32, <= 256. Error below 2e-5.
// The CPU's causal_attention also rounds each normalized probability to f16;
// against it both paths agree to that rounding (tests: 3e-3).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "cuda/attention_kv.h"

namespace tome::cuda {

struct PrefillAttentionArgs {
  const float* q = nullptr;  // (n_tokens, n_head, hd)
  float* out = nullptr;      // (n_tokens, n_head, hd)
  AttentionKv kv;            // rows [0, pos0 + n_tokens) present
  int64_t n_tokens = 0;
  int64_t pos0 = 0;
  int n_head = 0, n_head_kv = 0, hd = 0;
  float scale = 0;
};

enum class AttentionCompute { F32, TensorCores };

// Throws tome::Error BAD_ARGUMENT (shapes, alignment), CUDA_ERROR.
void flash_attention(const PrefillAttentionArgs& args, AttentionCompute compute, cudaStream_t stream);

}  // namespace tome::cuda
