// Scalar building blocks of the canonical operation order (see kernels.h), shared
// by the scalar kernels. Plain-ISA code only: never include from *_avx2.cpp.
#pragma once
#include <cmath>

namespace tome {
namespace kernels {

// ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7)): the order of the AVX2 horizontal sum
// (add the 128-bit halves, then movehl, then movehdup).
static inline float hsum8(const float v[8]) {
  const float s0 = v[0] + v[4], s1 = v[1] + v[5], s2 = v[2] + v[6], s3 = v[3] + v[7];
  return (s0 + s2) + (s1 + s3);
}

// Fused multiply-add with one rounding (std::fma is exact by definition; glibc
// uses the FMA instruction where the CPU has one).
static inline float fmaf_exact(float a, float b, float c) { return std::fma(a, b, c); }

}  // namespace kernels
}  // namespace tome
