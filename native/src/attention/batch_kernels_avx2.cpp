// AVX2+FMA bodies of batch_kernels.h (compiled with those flags, called only when present).
// A 16-lane accumulator is two registers (lanes 0-7, 8-15), as ordered_dot keeps it.
#include <immintrin.h>

#include "attention/batch_kernels.h"
#include "attention/sum_order.h"

namespace tome::avx2 {

namespace {

// Rows of f32, or of f16 widened in registers (F16C: exact, so the same sums).
inline __m256 load8(const float* r) { return _mm256_loadu_ps(r); }
inline __m256 load8(const uint16_t* r) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r)));
}
// A leftover key for ordered_dot: f32 rows as they are, f16 rows widened into buf.
inline const float* as_f32(const float* r, int, float*) { return r; }
inline const float* as_f32(const uint16_t* r, int hd, float* buf) {
  for (int d = 0; d < hd; d += 8) _mm256_storeu_ps(buf + d, load8(r + d));
  return buf;
}

// The 8-lane reduction of ordered_dot for 8 accumulators at once: per
// accumulator a, t = lo(a) + hi(a) (lanes i and i + 4), then (t0 + t2) + (t1 + t3).
// Returns one value per accumulator, in lane k for accumulator k.
// (always inlined, so that its 8 inputs stay in registers)
[[gnu::always_inline]] inline __m256 reduce8(const __m256* a) {
  __m256 u[4];  // u_i = [t of a_i | t of a_(i+4)]
  for (int i = 0; i < 4; ++i) {
    const __m128 ti = _mm_add_ps(_mm256_castps256_ps128(a[i]), _mm256_extractf128_ps(a[i], 1));
    const __m128 tj = _mm_add_ps(_mm256_castps256_ps128(a[i + 4]), _mm256_extractf128_ps(a[i + 4], 1));
    u[i] = _mm256_insertf128_ps(_mm256_castps128_ps256(ti), tj, 1);
  }
  // 4x4 transposes within each 128-bit half: x_c = [t_0[c] .. t_3[c] | t_4[c] .. t_7[c]]
  const __m256 a01lo = _mm256_unpacklo_ps(u[0], u[1]), a01hi = _mm256_unpackhi_ps(u[0], u[1]);
  const __m256 a23lo = _mm256_unpacklo_ps(u[2], u[3]), a23hi = _mm256_unpackhi_ps(u[2], u[3]);
  auto lo = [](__m256 x, __m256 y) { return _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(x), _mm256_castps_pd(y))); };
  auto hi = [](__m256 x, __m256 y) { return _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(x), _mm256_castps_pd(y))); };
  const __m256 x0 = lo(a01lo, a23lo), x1 = hi(a01lo, a23lo), x2 = lo(a01hi, a23hi), x3 = hi(a01hi, a23hi);
  return _mm256_add_ps(_mm256_add_ps(x0, x2), _mm256_add_ps(x1, x3));
}

// Accumulators of keys k0 .. k0 + 3 over all of hd, reduced to 8 lanes
// (16 lanes: lanes i and i + 8 added first, ordered_dot's first halving).
template <int NV, class T>
void four_keys(const float* q, const T* keys, size_t stride, int hd, __m256* out8) {
  __m256 acc[4][NV];
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[k][v] = _mm256_setzero_ps();
  for (int d = 0; d < hd; d += 8 * NV)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const __m256 qd = _mm256_loadu_ps(q + d + 8 * v);
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) acc[k][v] = _mm256_fmadd_ps(qd, load8(keys + k * stride + d + 8 * v), acc[k][v]);
    }
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) out8[k] = NV == 2 ? _mm256_add_ps(acc[k][0], acc[k][NV - 1]) : acc[k][0];
}

// One key's accumulator over all of hd with NV registers (lanes = 8 NV),
// halved down to one register of 8 lanes as ordered_dot does.
// (The constant-count loops are unrolled so that acc stays in registers; GCC's -O2
// otherwise keeps it on the stack, zeroed with rep stos for every key.)
template <int NV, class T>
__m256 one_key(const float* q, const T* k, int hd) {
  __m256 acc[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) acc[v] = _mm256_setzero_ps();
  for (int d = 0; d < hd; d += 8 * NV)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 8 * v), load8(k + d + 8 * v), acc[v]);
#pragma GCC unroll 4
  for (int h = NV / 2; h >= 1; h /= 2)
#pragma GCC unroll 4
    for (int v = 0; v < h; ++v) acc[v] = _mm256_add_ps(acc[v], acc[v + h]);
  return acc[0];
}

// Wide orders (32 or 64 lanes: a decode step): one key at a time, 8 reduced together.
template <int NV, class T>
void dots_wide(const float* q, const T* keys, size_t stride, int64_t nb, int hd, float scale, float* out) {
  const __m256 vs = _mm256_set1_ps(scale);
  int64_t j = 0;
  for (; j + 8 <= nb; j += 8) {
    __m256 a[8];
    for (int k = 0; k < 8; ++k) a[k] = one_key<NV>(q, keys + (j + k) * stride, hd);
    _mm256_storeu_ps(out + j, _mm256_mul_ps(vs, reduce8(a)));
  }
  float buf[1024];  // hd <= 1024 (fast_lanes)
  for (; j < nb; ++j) out[j] = scale * ordered_dot(q, as_f32(keys + j * stride, hd, buf), hd, 8 * NV, false);
}

template <class T>
void dots_any(const float* q, const T* keys, size_t stride, int64_t nb, int hd, int lanes, float scale, float* out) {
  if (lanes == 64) return dots_wide<8>(q, keys, stride, nb, hd, scale, out);
  if (lanes == 32) return dots_wide<4>(q, keys, stride, nb, hd, scale, out);
  const __m256 vs = _mm256_set1_ps(scale);
  int64_t j = 0;
  for (; j + 8 <= nb; j += 8) {
    __m256 a[8];
    if (lanes == 16) {
      four_keys<2>(q, keys + j * stride, stride, hd, a);
      four_keys<2>(q, keys + (j + 4) * stride, stride, hd, a + 4);
    } else {
      four_keys<1>(q, keys + j * stride, stride, hd, a);
      four_keys<1>(q, keys + (j + 4) * stride, stride, hd, a + 4);
    }
    _mm256_storeu_ps(out + j, _mm256_mul_ps(vs, reduce8(a)));
  }
  float buf[1024];
  for (; j < nb; ++j) out[j] = scale * ordered_dot(q, as_f32(keys + j * stride, hd, buf), hd, lanes, false);
}

// pv_batch on columns [d0, d0 + 8 ND) (hd is a multiple of 8: fast_lanes), one
// lane at a time, its ND registers of accumulators kept across all its keys.
template <int ND, class T>
void pv_lanes(float* acc, const float* p, const T* v, size_t stride, int64_t nb, int hd, int lanes, int d0) {
  for (int lane = 0; lane < lanes && lane < nb; ++lane) {
    float* a = acc + size_t(lane) * hd + d0;
    __m256 r[ND];
#pragma GCC unroll 8
    for (int c = 0; c < ND; ++c) r[c] = _mm256_loadu_ps(a + 8 * c);
    for (int64_t j = lane; j < nb; j += lanes) {
      const __m256 pj = _mm256_set1_ps(p[j]);
      const T* vj = v + j * stride + d0;
#pragma GCC unroll 8
      for (int c = 0; c < ND; ++c) r[c] = _mm256_fmadd_ps(pj, load8(vj + 8 * c), r[c]);
    }
#pragma GCC unroll 8
    for (int c = 0; c < ND; ++c) _mm256_storeu_ps(a + 8 * c, r[c]);
  }
}

template <class T>
void pv_cols(float* acc, const float* p, const T* v, size_t stride, int64_t nb, int hd, int lanes, int d_begin,
             int d_end) {
  // d in chunks of 64 (8 registers of a lane's accumulator stay in registers)
  for (int d0 = d_begin; d0 < d_end; d0 += 64) {
    switch ((d_end - d0 < 64 ? d_end - d0 : 64) / 8) {
      case 8: pv_lanes<8>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 7: pv_lanes<7>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 6: pv_lanes<6>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 5: pv_lanes<5>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 4: pv_lanes<4>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 3: pv_lanes<3>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 2: pv_lanes<2>(acc, p, v, stride, nb, hd, lanes, d0); break;
      default: pv_lanes<1>(acc, p, v, stride, nb, hd, lanes, d0); break;
    }
  }
}

}  // namespace

void dots_batch(const float* q, const float* keys, int64_t nb, int hd, int lanes, float scale, float* out) {
  dots_any(q, keys, size_t(hd), nb, hd, lanes, scale, out);
}
void dots_batch_h(const float* q, const uint16_t* keys, size_t stride, int64_t nb, int hd, int lanes, float scale,
                  float* out) {
  dots_any(q, keys, stride, nb, hd, lanes, scale, out);
}
void pv_batch_cols(float* acc, const float* p, const float* v, int64_t nb, int hd, int lanes, int d_begin,
                   int d_end) {
  pv_cols(acc, p, v, size_t(hd), nb, hd, lanes, d_begin, d_end);
}
void pv_batch(float* acc, const float* p, const float* v, int64_t nb, int hd, int lanes) {
  pv_cols(acc, p, v, size_t(hd), nb, hd, lanes, 0, hd);
}
void pv_batch_cols_h(float* acc, const float* p, const uint16_t* v, size_t stride, int64_t nb, int hd, int lanes,
                     int d_begin, int d_end) {
  pv_cols(acc, p, v, stride, nb, hd, lanes, d_begin, d_end);
}

namespace {
void pv_batch_rows(float* const* acc, const float* const* p, int n_rows, const float* v, int64_t nb, int hd,
                   int lanes) {
  for (int i = 0; i < n_rows; ++i) pv_batch(acc[i], p[i], v, nb, hd, lanes);
}
}  // namespace

const BatchKernels& batch_kernels() {
  static constexpr BatchKernels k{dots_batch, dots_batch_h, pv_batch, pv_batch_cols_h, pv_batch_rows};
  return k;
}

}  // namespace tome::avx2
