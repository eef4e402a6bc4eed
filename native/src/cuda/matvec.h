// Dequantizing matrix-vector product (decode, one token):
//   y (rows) = W (rows, cols) . x (cols)
// W in its GGUF bytes (ggml row layout of `type`, rows contiguous, 16-byte aligned
// start), x and y f32 in device memory.
//
// F16, BF16: each weight converted to f32, f32 products and sums; relative error
// against a double-precision dot of the same values below 1e-5.
// Q8_0, Q4_K, Q6_K: as ggml's CUDA backend (mmvq) and tome's CPU backend do, x is
// first quantized to int8 in blocks of 32 with an f32 scale (into `scratch`), then
// each block's products are summed exactly as integers (dp4a) and scaled. Against
// the double dot of dequantize_row(W) and x the normwise error is that of the
// int8 activations, a few 1e-3 (tests allow 2e-2); against the double dot with the
// same int8 activations it is f32 rounding (tests allow 1e-5).
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "common/ggml_type.h"

namespace tome::cuda {

bool matvec_supports(GgmlType type);
// Bytes of the scratch matvec needs for a row of `cols` (0 for F16/BF16).
size_t matvec_scratch_bytes(GgmlType type, int64_t cols);
// Bytes of one row of W.
size_t weight_row_bytes(GgmlType type, int64_t cols);

// Throws tome::Error UNSUPPORTED_TYPE (type), BAD_ARGUMENT (cols not a multiple of
// the block size, misaligned W), CUDA_ERROR (launch).
void matvec(GgmlType type, const void* w, int64_t rows, int64_t cols, const float* x, float* y, void* scratch,
            cudaStream_t stream);

}  // namespace tome::cuda
