#include "attention/vec_kernels.h"

#include <algorithm>

#include "common/fp16.h"
#include "cpu/cpu_features.h"

namespace tome {

void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  if (simd_enabled()) return avx2::f16_to_f32_row(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
}

void f32_to_f16_row(const float* src, uint16_t* dst, int64_t n) {
  if (simd_enabled()) return avx2::f32_to_f16_row(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = fp32_to_fp16(src[i]);
}

float dot_f32(const float* a, const float* b, int64_t n) {
  if (simd_enabled()) return avx2::dot_f32(a, b, n);
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy_f32(float* y, float a, const float* x, int64_t n) {
  if (simd_enabled()) return avx2::axpy_f32(y, a, x, n);
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void scale_f32(float* y, float a, int64_t n) {
  if (simd_enabled()) return avx2::scale_f32(y, a, n);
  for (int64_t i = 0; i < n; ++i) y[i] *= a;
}

float max_f32(const float* x, int64_t n) {
  if (simd_enabled()) return avx2::max_f32(x, n);
  return *std::max_element(x, x + n);
}

}  // namespace tome
