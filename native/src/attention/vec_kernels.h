// Small f32/f16 vector primitives used by attention, each with a scalar body
// and an AVX2+FMA+F16C body (vec_kernels_avx2.cpp) chosen at run time.
#pragma once
#include <cstdint>

namespace tome {

// dst[i] = f32(src[i]) for n halves.
void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n);
// dst[i] = f16(src[i]) (round to nearest even).
void f32_to_f16_row(const float* src, uint16_t* dst, int64_t n);
// sum a[i] * b[i]
float dot_f32(const float* a, const float* b, int64_t n);
// y[i] += a * x[i]
void axpy_f32(float* y, float a, const float* x, int64_t n);
// y[i] *= a
void scale_f32(float* y, float a, int64_t n);
// The value *std::max_element(x, x + n) gives (n >= 1): the largest, NaNs after
// x[0] passed over. The AVX2 body keeps 32 running maxima where the scalar loop
// is one chain of dependent compares (4 cycles an element: a softmax's max took
// as long as its exps).
float max_f32(const float* x, int64_t n);

namespace avx2 {
void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n);
void f32_to_f16_row(const float* src, uint16_t* dst, int64_t n);
float dot_f32(const float* a, const float* b, int64_t n);
void axpy_f32(float* y, float a, const float* x, int64_t n);
void scale_f32(float* y, float a, int64_t n);
float max_f32(const float* x, int64_t n);
}  // namespace avx2

}  // namespace tome
