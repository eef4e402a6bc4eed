#include "retrieval/dot_kernels.h"

#include <vector>

#include "attention/vec_kernels.h"
#include "common/fp16.h"
#include "cpu/cpu_features.h"

namespace tome {

namespace {

inline float dot_scalar(const float* a, const float* b, int d) {
  float s = 0;
  for (int i = 0; i < d; ++i) s += a[i] * b[i];
  return s;
}

inline float l2_scalar(const float* a, const float* b, int d) {
  float s = 0;
  for (int i = 0; i < d; ++i) {
    const float t = a[i] - b[i];
    s += t * t;
  }
  return s;
}

// An f16 row widened into buf (exact), for the f32 body.
inline const float* widen(const uint16_t* r, int d, float* buf) {
  f16_to_f32_row(r, buf, d);
  return buf;
}

}  // namespace

void dots_rows(const float* q, const float* base, size_t stride, int64_t n, int d, float* out) {
  if (simd_enabled()) return avx2::dots_rows(q, base, stride, n, d, out);
  for (int64_t j = 0; j < n; ++j) out[j] = dot_scalar(q, base + size_t(j) * stride, d);
}

float l2_sq(const float* a, const float* b, int d) {
  if (simd_enabled()) return avx2::l2_sq(a, b, d);
  return l2_scalar(a, b, d);
}

void l2_rows(const float* q, const float* base, size_t stride, int64_t n, int d, float* out) {
  if (simd_enabled()) return avx2::l2_rows(q, base, stride, n, d, out);
  for (int64_t j = 0; j < n; ++j) out[j] = l2_scalar(q, base + size_t(j) * stride, d);
}

void dots_rows_h(const float* q, const uint16_t* base, size_t stride, int64_t n, int d, float* out) {
  if (simd_enabled()) return avx2::dots_rows_h(q, base, stride, n, d, out);
  std::vector<float> buf(static_cast<size_t>(d));
  for (int64_t j = 0; j < n; ++j) out[j] = dot_scalar(q, widen(base + size_t(j) * stride, d, buf.data()), d);
}

void dots_rows_bf16(const float* q, const uint16_t* base, size_t stride, int64_t n, int d, float* out) {
  if (simd_enabled()) return avx2::dots_rows_bf16(q, base, stride, n, d, out);
  std::vector<float> buf(static_cast<size_t>(d));
  for (int64_t j = 0; j < n; ++j) {
    const uint16_t* r = base + size_t(j) * stride;
    for (int i = 0; i < d; ++i) buf[size_t(i)] = bf16_to_fp32(r[i]);
    out[j] = dot_scalar(q, buf.data(), d);
  }
}

void dots_gather_h(const float* q, const uint16_t* base, size_t stride, const int32_t* ids, int64_t n, int d,
                   float* out) {
  if (simd_enabled()) return avx2::dots_gather_h(q, base, stride, ids, n, d, out);
  std::vector<float> buf(static_cast<size_t>(d));
  for (int64_t i = 0; i < n; ++i) out[i] = dot_scalar(q, widen(base + size_t(ids[i]) * stride, d, buf.data()), d);
}

void l2_gather_h(const float* q, const uint16_t* base, size_t stride, const int32_t* ids, int64_t n, int d,
                 float* out) {
  if (simd_enabled()) return avx2::l2_gather_h(q, base, stride, ids, n, d, out);
  std::vector<float> buf(static_cast<size_t>(d));
  for (int64_t i = 0; i < n; ++i) out[i] = l2_scalar(q, widen(base + size_t(ids[i]) * stride, d, buf.data()), d);
}

void dots_gather_i8(const int8_t* qc, const int8_t* base, size_t stride, const int32_t* ids, int64_t n, int dp,
                    int32_t* out) {
  if (simd_enabled()) {
    if (cpu_features().avx512vnni) return vnni::dots_gather_i8(qc, base, stride, ids, n, dp, out);
    if (cpu_features().avxvnni) return avxvnni::dots_gather_i8(qc, base, stride, ids, n, dp, out);
    return avx2::dots_gather_i8(qc, base, stride, ids, n, dp, out);
  }
  for (int64_t i = 0; i < n; ++i) {
    const int8_t* r = base + size_t(ids[i]) * stride;
    int32_t s = 0;
    for (int j = 0; j < dp; ++j) s += int32_t(qc[j]) * int32_t(r[j]);
    out[i] = s;
  }
}

void dots_gather_i8_multi(const int8_t* qc, int n_q, const int8_t* base, size_t stride, const int32_t* ids, int64_t n,
                          int dp, int32_t* out) {
  if (simd_enabled()) {
    if (cpu_features().avx512vnni) return vnni::dots_gather_i8_multi(qc, n_q, base, stride, ids, n, dp, out);
    if (cpu_features().avxvnni) return avxvnni::dots_gather_i8_multi(qc, n_q, base, stride, ids, n, dp, out);
    return avx2::dots_gather_i8_multi(qc, n_q, base, stride, ids, n, dp, out);
  }
  for (int h = 0; h < n_q; ++h)
    dots_gather_i8(qc + size_t(h) * size_t(dp), base, stride, ids, n, dp, out + size_t(h) * size_t(n));
}

float l2_sq_h(const float* a, const uint16_t* b, int d) {
  if (simd_enabled()) return avx2::l2_sq_h(a, b, d);
  std::vector<float> buf(static_cast<size_t>(d));
  return l2_scalar(a, widen(b, d, buf.data()), d);
}

}  // namespace tome
