// Internal kernel tables behind quant.h and matmul.h: one dot-product kernel per
// weight type and one activation converter per vec_dot_type, in a scalar and (on
// x86-64) an AVX2+FMA+F16C flavour. Not part of the public API.
//
// Numerics contract (what makes the two flavours bit-exact and matmul results
// independent of threads and tiling): every kernel follows one canonical order of
// floating-point operations, written out in the scalar kernels and reproduced
// lane for lane by the SIMD kernels:
//   F32/F16/BF16:  32 fused-multiply-add accumulators (element i feeds i % 32),
//                  folded as ((a0+a2)+(a1+a3)) per lane of 8, then hsum8 (below),
//                  then the n % 32 tail fused into the sum in order.
//   Q8_0/Q4_0/IQ4_NL x Q8_0: per block, 8 exact integer partial sums over elements
//                  4l..4l+3; acc[l] = fma(float(partial), dw*da, acc[l]); hsum8(acc).
//                  (This is exactly what ggml's AVX2 kernels compute.)
//   Q4_K/Q5_K x Q8_K: per super-block one exact int32 sum of scale*q*q8 and one
//                  of min*bsum; sum = fma(da*dw, isum, sum) then
//                  sum = fma(-(da*dmin), imin, sum).
//   Q6_K x Q8_K:   per super-block one exact int32 sum of scale*(q-32)*q8;
//                  sum = fma(da*dw, isum, sum).
// hsum8(v) = ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7)).
// Explicit fma everywhere a product meets a sum: nothing is left for the compiler
// to contract differently in the two flavours.
//
// ISA-specific code: *_avx2.cpp files are compiled with -mavx2 -mfma -mf16c. They
// define everything in an anonymous namespace and call no inline function shared
// with plain files (an out-of-line copy of it could be picked by the linker for
// plain code and fault on CPUs without AVX2). Their tables are only asked for
// after cpu_features() says the CPU has AVX2, FMA and F16C.
#pragma once
#include <cstddef>
#include <cstdint>
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#else
#include <cmath>
#endif

#include "common/ggml_type.h"

namespace tome {
namespace kernels {

// Most activation rows one kernel call handles (a tile of tokens in prefill).
constexpr int kMaxActRows = 4;

// out[k] = dot(w_row, act + k * act_stride) for k < n_act (1..kMaxActRows), each
// one exactly the value the kernel gives for that activation row alone.
// w_row: n elements of the weight type; act rows: n elements of its vec_dot_type.
using DotFn = void (*)(const void* w_row, const void* act, size_t act_stride, int n_act,
                       int64_t n, float* out);
// f32 row (n elements) -> n elements of an activation type.
using ConvertFn = void (*)(const float* src, void* dst, int64_t n);

// nullptr where the type has no kernel.
DotFn scalar_dot(GgmlType wtype);
ConvertFn scalar_convert(GgmlType act_type);
// AVX2 flavour; nullptr where none (or not an x86-64 build). Call only when
// cpu_features() reports avx2 && fma && f16c.
DotFn avx2_dot(GgmlType wtype);
ConvertFn avx2_convert(GgmlType act_type);

// The flavour in force now (simd_enabled()), falling back to scalar.
DotFn select_dot(GgmlType wtype);
ConvertFn select_convert(GgmlType act_type);

// Round to nearest, ties to even: ggml's nearest_int (for |v| < 2^22) and what
// _mm256_cvtps_epi32 does under the default MXCSR. static: see above.
static inline int round_even(float v) {
#if defined(__SSE2__) || defined(_M_X64)
  return _mm_cvtss_si32(_mm_set_ss(v));  // uses MXCSR rounding: nearest-even
#else
  return int(std::lrintf(v));  // current rounding mode: nearest-even by default
#endif
}

}  // namespace kernels
}  // namespace tome
