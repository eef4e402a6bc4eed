// Dequantizing matrix-matrix product (prefill, many tokens) on tensor cores:
//   y (n_tokens, rows) = x (n_tokens, cols) . W^T,   W (rows, cols) in GGUF bytes
// Tiles of W are decoded to f16 (bf16 for BF16 weights) in shared memory, tiles
// of x converted likewise, and multiplied with mma.sync (f32 accumulators).
// Error: that of rounding the (dequantized) weights and x to f16 (2^-11 each) or
// bf16 (2^-8): normwise below 2e-3 (f16) / 1.5e-2 (bf16) against the double dot
// of dequantize_row(W) and x; against a double dot of the same rounded values
// f32 rounding only (tests: 1e-5). |x| must stay below 65504 for f16.
// Types: F16, BF16, Q8_0, Q4_K, Q6_K; cols a multiple of 32 (256 for K-quants);
// W, x 16-byte aligned.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "common/ggml_type.h"

namespace tome::cuda {

bool matmul_supports(GgmlType type);

// Throws tome::Error UNSUPPORTED_TYPE, BAD_ARGUMENT, CUDA_ERROR.
void matmul(GgmlType type, const void* w, int64_t rows, int64_t cols, const float* x, int64_t n_tokens, float* y,
            cudaStream_t stream);

}  // namespace tome::cuda
