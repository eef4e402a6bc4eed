// Dot-product and distance kernels of the retrieval indexes, each with a scalar
// body (dot_kernels.cpp) and an AVX2+FMA body (dot_kernels_avx2.cpp) chosen at
// run time through cpu/cpu_features.h (the int8 gather also has an
// AVX512-VNNI body, dot_kernels_vnni.cpp, and an AVX-VNNI one, dot_kernels_avxvnni.cpp).
//   rows:  key rows, row j at base + j * stride (elements)
//   ids:   row numbers to gather (graph neighbours, IVF lists)
#pragma once
#include <cstddef>
#include <cstdint>

namespace tome {

// out[j] = q . row_j for j in [0, n) (consecutive rows).
void dots_rows(const float* q, const float* base, size_t stride, int64_t n, int d, float* out);
// |a - b|^2
float l2_sq(const float* a, const float* b, int d);
// out[j] = |q - row_j|^2 for j in [0, n) (consecutive rows).
void l2_rows(const float* q, const float* base, size_t stride, int64_t n, int d, float* out);

// The same over rows of f16 (how index keys are stored: the KV cache's format,
// so widening is exact), with q / a in f32; and over rows picked by id:
//   dots_gather_h: out[i] = q . row_{ids[i]}, l2_gather_h: |q - row_{ids[i]}|^2.
void dots_rows_h(const float* q, const uint16_t* base, size_t stride, int64_t n, int d, float* out);
void dots_gather_h(const float* q, const uint16_t* base, size_t stride, const int32_t* ids, int64_t n, int d,
                   float* out);
void l2_gather_h(const float* q, const uint16_t* base, size_t stride, const int32_t* ids, int64_t n, int d,
                 float* out);
float l2_sq_h(const float* a, const uint16_t* b, int d);
// out[j] = q . row_j over consecutive rows of bf16 (anchor queries: the
// prefill's query rows are captured as bf16, so they are stored without loss);
// the same sums, in the same order, as dots_rows over the widened rows.
void dots_rows_bf16(const float* q, const uint16_t* base, size_t stride, int64_t n, int d, float* out);

// The int8 navigation codes of a graph index (nav_codes.h): rows of dp codes
// (dp a multiple of 32, rows zero-padded), values in [-127, 127];
// out[i] = sum_j qc[j] * row_{ids[i]}[j], exact (int32), whatever the body.
void dots_gather_i8(const int8_t* qc, const int8_t* base, size_t stride, const int32_t* ids, int64_t n, int dp,
                    int32_t* out);
// The same for n_q query codes qc (n_q rows of dp), each gathered row read
// once: out[h * n + i] = qc_h . row_{ids[i]}.
void dots_gather_i8_multi(const int8_t* qc, int n_q, const int8_t* base, size_t stride, const int32_t* ids, int64_t n,
                          int dp, int32_t* out);

namespace avx2 {
void dots_gather_i8(const int8_t* qc, const int8_t* base, size_t stride, const int32_t* ids, int64_t n, int dp,
                    int32_t* out);
void dots_gather_i8_multi(const int8_t* qc, int n_q, const int8_t* base, size_t stride, const int32_t* ids, int64_t n,
                          int dp, int32_t* out);
void dots_rows(const float* q, const float* base, size_t stride, int64_t n, int d, float* out);
float l2_sq(const float* a, const float* b, int d);
void l2_rows(const float* q, const float* base, size_t stride, int64_t n, int d, float* out);
void dots_rows_h(const float* q, const uint16_t* base, size_t stride, int64_t n, int d, float* out);
void dots_gather_h(const float* q, const uint16_t* base, size_t stride, const int32_t* ids, int64_t n, int d,
                   float* out);
void l2_gather_h(const float* q, const uint16_t* base, size_t stride, const int32_t* ids, int64_t n, int d,
                 float* out);
float l2_sq_h(const float* a, const uint16_t* b, int d);
void dots_rows_bf16(const float* q, const uint16_t* base, size_t stride, int64_t n, int d, float* out);
}  // namespace avx2

namespace vnni {
void dots_gather_i8(const int8_t* qc, const int8_t* base, size_t stride, const int32_t* ids, int64_t n, int dp,
                    int32_t* out);
void dots_gather_i8_multi(const int8_t* qc, int n_q, const int8_t* base, size_t stride, const int32_t* ids, int64_t n,
                          int dp, int32_t* out);
}  // namespace vnni
namespace avxvnni {  // dot_kernels_avxvnni.cpp: CPUs with AVX-VNNI
void dots_gather_i8(const int8_t* qc, const int8_t* base, size_t stride, const int32_t* ids, int64_t n, int dp,
                    int32_t* out);
void dots_gather_i8_multi(const int8_t* qc, int n_q, const int8_t* base, size_t stride, const int32_t* ids, int64_t n,
                          int dp, int32_t* out);
}  // namespace avxvnni

}  // namespace tome
