// Decode attention over the device-resident static set (sinks + window), split
// over the KV length (flash-decoding), returning what attention/partial_attention.h
// attend_rows returns for each KV group, so the CPU's retrieved part merges with
// it exactly:
//   s_j = scale * q . k_j (j < n),  lse = log sum_j exp(s_j),  out = sum_j exp(s_j - lse) v_j
// n == 0 gives out = 0, lse = -inf (the identity of the merge).
//
// A block owns a chunk of up to 256 keys of one KV head and all n_gqa query heads
// of that group (each K/V row is read once per step), computes the chunk's scores,
// its softmax, its weighted V sum and (out, lse) of the chunk; a second kernel
// merges the chunks through their log-sum-exp. q is rounded to the K type
// before the dot products, as attend_rows (and ggml) do; everything else is f32.
// attend_rows also rounds each normalized probability to f16, which this kernel
// does not (its chunks are normalized apart): against attend_rows lse agrees to
// f32 rounding (tests: 1e-5 relative) and out to the f16 rounding of p (tests:
// 3e-3 normwise); against a double reference with the same rounded q, 2e-5.
// head_dim 64 or 128, n_head / n_head_kv <= 8.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "cuda/attention_kv.h"

namespace tome::cuda {

struct DecodeAttentionArgs {
  const float* q = nullptr;  // (n_head, hd): one token
  AttentionKv kv;            // rows [0, n) of each KV head
  int64_t n = 0;
  int n_head = 0, n_head_kv = 0, hd = 0;
  float scale = 0;
  float* out = nullptr;      // (n_head, hd)
  float* lse = nullptr;      // (n_head)
};

// Keys per block for this shape on the current device (a multiple of 32, <= 256).
int decode_attention_chunk(int64_t n, int n_head_kv);
// Bytes of scratch (partial results of the chunks) for this shape.
size_t decode_attention_scratch_bytes(int64_t n, int n_head, int n_head_kv, int hd);

// scratch: 16-byte aligned, decode_attention_scratch_bytes() long.
// Throws tome::Error BAD_ARGUMENT, CUDA_ERROR.
void decode_attention(const DecodeAttentionArgs& args, void* scratch, size_t scratch_bytes, cudaStream_t stream);

}  // namespace tome::cuda
