// Quantized tensor formats, bit-exact with ggml's layouts (ggml-common.h), and
// the row-level operations the engine needs on them:
//   dequantize_row:  any supported type -> f32
//   quantize_row:    f32 -> F16, BF16, Q8_0, Q4_0, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL (for
//                    the synthetic-model writer; reference (non-imatrix) quantizers
//                    with the same rounding as ggml's *_ref functions), also F32
//                    (copy) and Q8_K (the activation format)
//   convert_activation_row: f32 activations -> vec_dot_type, byte-exact with
//                    ggml's CPU backend on x86 (Q8_0: round-half-even of x*127/amax,
//                    as its AVX code; Q8_K: quantize_row_q8_K_ref)
//   vec_dot_type:    the type activations are converted to before a dot product
//                    with a weight row of a given type, as ggml's CPU backend does
//                    (F32->F32, F16->F16, BF16->BF16, Q8_0/Q4_0/IQ4_NL->Q8_0,
//                    K-quants->Q8_K), so tome's sums match llama.cpp's closely.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/ggml_type.h"

namespace tome {

// Converts n values of `type` at src to f32. n is a multiple of the block size.
void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);
// Converts n f32 values to `type` at dst. Throws tome::Error UNSUPPORTED_TYPE for
// types without a quantizer.
void quantize_row(GgmlType type, const float* src, void* dst, int64_t n);
bool can_quantize(GgmlType type);

// Throws UNSUPPORTED_TYPE for weight types tome cannot multiply.
GgmlType vec_dot_type(GgmlType weight_type);

// Elements per block and bytes of a row of n elements; unlike ggml_type_traits
// these also know Q8_K (256 elements, 292 bytes).
int64_t type_block_size(GgmlType type);
size_t type_row_bytes(GgmlType type, int64_t n);

// Converts an f32 activation row to act_type (one of F32, F16, BF16, Q8_0, Q8_K,
// i.e. a vec_dot_type), SIMD where available. n is a multiple of the block size.
void convert_activation_row(GgmlType act_type, const float* src, void* dst, int64_t n);

// Dot product of one weight row (type `wtype`, n elements) with one activation
// row already converted to vec_dot_type(wtype). Result in f32.
// Dispatches to the AVX2+FMA kernel when the CPU has it and simd is allowed; both
// flavours follow one order of float operations (cpu/kernels.h), so they agree
// bit for bit. For Q8_0, Q4_0, Q3_K, Q5_K, Q6_K that order is ggml's AVX2 vec_dot.
float vec_dot(GgmlType wtype, const void* w_row, const void* act_row, int64_t n);

// Scalar reference of vec_dot, always compiled, always tested against the SIMD path.
float vec_dot_scalar(GgmlType wtype, const void* w_row, const void* act_row, int64_t n);

}  // namespace tome
