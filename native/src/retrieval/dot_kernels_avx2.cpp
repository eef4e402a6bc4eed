// AVX2+FMA(+F16C) bodies of dot_kernels.h; compiled with -mavx2 -mfma -mf16c, called only after
// simd_enabled() confirmed the CPU has them.
#include <immintrin.h>

#include "common/fp16.h"
#include "retrieval/dot_kernels.h"

namespace tome::avx2 {

namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Four horizontal sums at once -> (s0, s1, s2, s3).
inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 e) {
  const __m256 ab = _mm256_hadd_ps(a, b);  // a01 a23 b01 b23 | a45 a67 b45 b67
  const __m256 ce = _mm256_hadd_ps(c, e);
  const __m256 abce = _mm256_hadd_ps(ab, ce);  // a0123 b0123 c0123 e0123 | a4567 ...
  return _mm_add_ps(_mm256_castps256_ps128(abce), _mm256_extractf128_ps(abce, 1));
}

// Rows of f32 or f16 (widened on load: F16C, exact).
inline __m256 load8(const float* r) { return _mm256_loadu_ps(r); }
inline __m256 load8(const uint16_t* r) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r)));
}
// bf16 rows: the f32 value's high half (widening is a shift, exact).
struct Bf16 {
  uint16_t bits;
};
inline __m256 load8(const Bf16* r) {
  const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
}
inline float elem(const float* r, int i) { return r[i]; }
inline float elem(const uint16_t* r, int i) { return _cvtsh_ss(r[i]); }
inline float elem(const Bf16* r, int i) { return bf16_to_fp32(r[i].bits); }

template <class T>
float dot1(const float* q, const T* r, int d) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= d; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load8(r + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), load8(r + i + 8), acc1);
  }
  for (; i + 8 <= d; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load8(r + i), acc0);
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < d; ++i) s += q[i] * elem(r, i);
  return s;
}

// q . r0..r3 in one pass over q (q stays in registers / L1).
template <class T>
void dot4(const float* q, const T* r0, const T* r1, const T* r2, const T* r3, int d, float* out) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(),
         a3 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= d; i += 8) {
    const __m256 vq = _mm256_loadu_ps(q + i);
    a0 = _mm256_fmadd_ps(vq, load8(r0 + i), a0);
    a1 = _mm256_fmadd_ps(vq, load8(r1 + i), a1);
    a2 = _mm256_fmadd_ps(vq, load8(r2 + i), a2);
    a3 = _mm256_fmadd_ps(vq, load8(r3 + i), a3);
  }
  alignas(16) float s[4];
  _mm_store_ps(s, hsum4(a0, a1, a2, a3));
  for (; i < d; ++i) {
    s[0] += q[i] * elem(r0, i);
    s[1] += q[i] * elem(r1, i);
    s[2] += q[i] * elem(r2, i);
    s[3] += q[i] * elem(r3, i);
  }
  out[0] = s[0];
  out[1] = s[1];
  out[2] = s[2];
  out[3] = s[3];
}

template <class T>
float l2_1(const float* a, const T* b, int d) {
  __m256 acc = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= d; i += 8) {
    const __m256 t = _mm256_sub_ps(_mm256_loadu_ps(a + i), load8(b + i));
    acc = _mm256_fmadd_ps(t, t, acc);
  }
  float s = hsum(acc);
  for (; i < d; ++i) {
    const float t = a[i] - elem(b, i);
    s += t * t;
  }
  return s;
}

template <class T>
void l2_4(const float* q, const T* r0, const T* r1, const T* r2, const T* r3, int d, float* out) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(),
         a3 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= d; i += 8) {
    const __m256 vq = _mm256_loadu_ps(q + i);
    __m256 t0 = _mm256_sub_ps(vq, load8(r0 + i));
    __m256 t1 = _mm256_sub_ps(vq, load8(r1 + i));
    __m256 t2 = _mm256_sub_ps(vq, load8(r2 + i));
    __m256 t3 = _mm256_sub_ps(vq, load8(r3 + i));
    a0 = _mm256_fmadd_ps(t0, t0, a0);
    a1 = _mm256_fmadd_ps(t1, t1, a1);
    a2 = _mm256_fmadd_ps(t2, t2, a2);
    a3 = _mm256_fmadd_ps(t3, t3, a3);
  }
  alignas(16) float s[4];
  _mm_store_ps(s, hsum4(a0, a1, a2, a3));
  for (; i < d; ++i) {
    float t;
    t = q[i] - elem(r0, i); s[0] += t * t;
    t = q[i] - elem(r1, i); s[1] += t * t;
    t = q[i] - elem(r2, i); s[2] += t * t;
    t = q[i] - elem(r3, i); s[3] += t * t;
  }
  out[0] = s[0];
  out[1] = s[1];
  out[2] = s[2];
  out[3] = s[3];
}

template <class T>
void prefetch_row(const T* r, int d) {
  const char* p = reinterpret_cast<const char*>(r);
  for (size_t b = 0; b < size_t(d) * sizeof(T); b += 64) _mm_prefetch(p + b, _MM_HINT_T0);
}

// Consecutive rows, four at a time (independent sums), the rest alone: q . row
// (L2 false) or |q - row|^2 (L2 true).
template <bool L2, class T>
void over_rows(const float* q, const T* base, size_t stride, int64_t n, int d, float* out) {
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const T* r = base + size_t(j) * stride;
    if constexpr (L2) l2_4(q, r, r + stride, r + 2 * stride, r + 3 * stride, d, out + j);
    else dot4(q, r, r + stride, r + 2 * stride, r + 3 * stride, d, out + j);
  }
  for (; j < n; ++j) {
    const T* r = base + size_t(j) * stride;
    if constexpr (L2) out[j] = l2_1(q, r, d);
    else out[j] = dot1(q, r, d);
  }
}

// Random rows: prefetch the next group's rows while computing this group's.
template <class T>
void gather_dots(const float* q, const T* base, size_t stride, const int32_t* ids, int64_t n, int d, float* out) {
  for (int64_t i = 0; i < n && i < 4; ++i) prefetch_row(base + size_t(ids[i]) * stride, d);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int64_t p = i + 4; p < n && p < i + 8; ++p) prefetch_row(base + size_t(ids[p]) * stride, d);
    dot4(q, base + size_t(ids[i]) * stride, base + size_t(ids[i + 1]) * stride, base + size_t(ids[i + 2]) * stride,
         base + size_t(ids[i + 3]) * stride, d, out + i);
  }
  for (; i < n; ++i) out[i] = dot1(q, base + size_t(ids[i]) * stride, d);
}

template <class T>
void gather_l2(const float* q, const T* base, size_t stride, const int32_t* ids, int64_t n, int d, float* out) {
  for (int64_t i = 0; i < n && i < 4; ++i) prefetch_row(base + size_t(ids[i]) * stride, d);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int64_t p = i + 4; p < n && p < i + 8; ++p) prefetch_row(base + size_t(ids[p]) * stride, d);
    l2_4(q, base + size_t(ids[i]) * stride, base + size_t(ids[i + 1]) * stride, base + size_t(ids[i + 2]) * stride,
         base + size_t(ids[i + 3]) * stride, d, out + i);
  }
  for (; i < n; ++i) out[i] = l2_1(q, base + size_t(ids[i]) * stride, d);
}

}  // namespace

#include "retrieval/dots_gather_i8_impl.h"  // the int8 gather: dots_gather_i8, dots_gather_i8_multi

void dots_rows(const float* q, const float* base, size_t stride, int64_t n, int d, float* out) {
  over_rows<false>(q, base, stride, n, d, out);
}
float l2_sq(const float* a, const float* b, int d) { return l2_1(a, b, d); }
void l2_rows(const float* q, const float* base, size_t stride, int64_t n, int d, float* out) {
  over_rows<true>(q, base, stride, n, d, out);
}

void dots_rows_h(const float* q, const uint16_t* base, size_t stride, int64_t n, int d, float* out) {
  over_rows<false>(q, base, stride, n, d, out);
}
void dots_gather_h(const float* q, const uint16_t* base, size_t stride, const int32_t* ids, int64_t n, int d,
                   float* out) {
  gather_dots(q, base, stride, ids, n, d, out);
}
void l2_gather_h(const float* q, const uint16_t* base, size_t stride, const int32_t* ids, int64_t n, int d,
                 float* out) {
  gather_l2(q, base, stride, ids, n, d, out);
}
float l2_sq_h(const float* a, const uint16_t* b, int d) { return l2_1(a, b, d); }
void dots_rows_bf16(const float* q, const uint16_t* base, size_t stride, int64_t n, int d, float* out) {
  static_assert(sizeof(Bf16) == sizeof(uint16_t), "bf16 rows are uint16 arrays");
  over_rows<false>(q, reinterpret_cast<const Bf16*>(base), stride, n, d, out);
}

}  // namespace tome::avx2
