// AVX-512 bodies of batch_kernels.h (compiled with those flags, called only
// where cpu_features().avx512). The same operations as the AVX2 bodies, on
// registers twice as wide: a lane's fma chain over a dot, or a column's chain
// over the keys, is unchanged, so every result has the AVX2 kernels' bits.
//   dots: an accumulator of 16, 32 or 64 lanes is 1, 2 or 4 zmm. Sixteen keys'
//     accumulators are halved together: the zmm of a key first (lanes i and
//     i + 32, then i + 16), then the sixteen 16-lane registers by a butterfly
//     whose every add is one step of ordered_dot's halving (lanes i and i + 8,
//     i + 4, i + 2, i + 1) for several keys at once. The AVX2 kernel halves
//     8 keys with extracts and inserts, about as many instructions as the fmas
//     of a 64-dim dot; the butterfly takes 45 for 16 keys.
//   pv: 16 columns a register, each lane's accumulator row kept in registers
//     across its keys, several lanes side by side (independent fma chains);
//     pv_rows runs four rows of a prefill tile together, so that each V
//     row is loaded once for the four (one load per fma otherwise).
// Key counts past the last whole 16 and column ranges past the last whole 16
// go to the AVX2 bodies (the same order, so the same bits).
// Measured (smol, 8K-token prefill, 2 threads, full attention, alternating
// runs): attention 39.1-39.5 s with the AVX2 bodies, 30.4-32.5 with these, the
// prefill 49.8-50.0 against 41.3-43.5 s, the logits bit for bit the same. By
// perf samples at 2K tokens the dots take half the time they took and pv 29%
// less; a two-query dots kernel (each key loaded once for two rows) gained
// nothing measurable and is not kept.
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own
// _mm512_undefined_* placeholders once inlined (GCC bug 105593, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "attention/batch_kernels.h"

namespace tome::avx512 {

namespace {

// The AVX2 bodies for what is left over (f32 rows lie hd apart, f16 rows stride apart).
inline void avx2_rest_dots(const float* q, const float* keys, size_t, int64_t nb, int hd, int lanes, float scale,
                           float* out) {
  avx2::dots_batch(q, keys, nb, hd, lanes, scale, out);
}
inline void avx2_rest_dots(const float* q, const uint16_t* keys, size_t stride, int64_t nb, int hd, int lanes,
                           float scale, float* out) {
  avx2::dots_batch_h(q, keys, stride, nb, hd, lanes, scale, out);
}
inline void avx2_rest_pv(float* acc, const float* p, const float* v, size_t, int64_t nb, int hd, int lanes, int d0,
                         int d1) {
  avx2::pv_batch_cols(acc, p, v, nb, hd, lanes, d0, d1);
}
inline void avx2_rest_pv(float* acc, const float* p, const uint16_t* v, size_t stride, int64_t nb, int hd, int lanes,
                         int d0, int d1) {
  avx2::pv_batch_cols_h(acc, p, v, stride, nb, hd, lanes, d0, d1);
}

inline __m512 load16(const float* r) { return _mm512_loadu_ps(r); }
inline __m512 load16(const uint16_t* r) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r)));
}

// Halves sixteen 16-lane accumulators a[k] (key k) to one sum each, returned
// in lane k. Each add is a[i] + a[i + h] of ordered_dot's halving (h = 8, 4,
// 2, 1) for several keys, so every sum has its bits:
//   b_k (k < 8)  lanes 0-7: key k halved once, 8-15: key k + 8
//   c_k (k < 4)  128-bit blocks: keys k, k + 8, k + 4, k + 12, halved twice
//   d_k (k < 2)  each block: two lanes of one key, two of another (three times)
//   e            each block: four keys, done
[[gnu::always_inline]] inline __m512 halve16(const __m512* a) {
  __m512 b[8], c[4], d[2];
#pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) {
    const __m512 lo = _mm512_shuffle_f32x4(a[k], a[k + 8], 0x44);  // a_k lanes 0-7 | a_k+8 lanes 0-7
    const __m512 hi = _mm512_shuffle_f32x4(a[k], a[k + 8], 0xee);  // lanes 8-15 of each
    b[k] = _mm512_add_ps(lo, hi);
  }
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    const __m512 x = _mm512_shuffle_f32x4(b[k], b[k + 4], 0x88);  // blocks 0, 2 of each
    const __m512 y = _mm512_shuffle_f32x4(b[k], b[k + 4], 0xdd);  // blocks 1, 3 of each
    c[k] = _mm512_add_ps(x, y);
  }
#pragma GCC unroll 2
  for (int k = 0; k < 2; ++k) {
    const __m512 x = _mm512_shuffle_ps(c[k], c[k + 2], 0x44);  // per block: lanes 0, 1 of each
    const __m512 y = _mm512_shuffle_ps(c[k], c[k + 2], 0xee);  // lanes 2, 3 of each
    d[k] = _mm512_add_ps(x, y);
  }
  const __m512 x = _mm512_shuffle_ps(d[0], d[1], 0x88);  // per block: lanes 0, 2 of each
  const __m512 y = _mm512_shuffle_ps(d[0], d[1], 0xdd);  // lanes 1, 3 of each
  const __m512 e = _mm512_add_ps(x, y);
  // e's lane l holds the sum of key (0 2 1 3 8 10 9 11 4 6 5 7 12 14 13 15)[l], traced through
  // the steps above (the order is its own inverse); back to key order
  const __m512i lane_of_key = _mm512_setr_epi32(0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15);
  return _mm512_permutexvar_ps(lane_of_key, e);
}

// KB keys' accumulators of NZ zmm over all of hd, each halved to 16 lanes
// (lanes i and i + 32, then i + 16: ordered_dot's first halvings) into out[k].
template <int NZ, int KB, int HD, class T>
[[gnu::always_inline]] inline void accumulate(const float* q, const T* keys, size_t stride_, int hd_, __m512* out) {
  // HD > 0: the head dim, and for f32 rows (back to back) the stride, known at compile time, so
  // that a key's rows are one base register and constant offsets (sixteen row pointers spill)
  const int hd = HD > 0 ? HD : hd_;
  const size_t stride = HD > 0 && sizeof(T) == 4 ? size_t(HD) : stride_;
  __m512 acc[KB][NZ];
#pragma GCC unroll 16
  for (int k = 0; k < KB; ++k)
#pragma GCC unroll 4
    for (int z = 0; z < NZ; ++z) acc[k][z] = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int d = 0; d < hd; d += 16 * NZ)
#pragma GCC unroll 4
    for (int z = 0; z < NZ; ++z) {
      const __m512 qd = _mm512_loadu_ps(q + d + 16 * z);
#pragma GCC unroll 16
      for (int k = 0; k < KB; ++k) acc[k][z] = _mm512_fmadd_ps(qd, load16(keys + k * stride + d + 16 * z), acc[k][z]);
    }
#pragma GCC unroll 16
  for (int k = 0; k < KB; ++k) {
    if (NZ == 4) {
      acc[k][0] = _mm512_add_ps(acc[k][0], acc[k][2]);
      acc[k][1] = _mm512_add_ps(acc[k][1], acc[k][3]);
    }
    out[k] = NZ >= 2 ? _mm512_add_ps(acc[k][0], acc[k][1]) : acc[k][0];
  }
}

// Sixteen keys at a time (KB a pass, 16 accumulators in flight), the rest by AVX2.
template <int NZ, int HD, class T>
void dots_z(const float* q, const T* keys, size_t stride, int64_t nb, int hd, float scale, float* out) {
  constexpr int KB = 16 / NZ;
  const __m512 vs = _mm512_set1_ps(scale);
  int64_t j = 0;
  for (; j + 16 <= nb; j += 16) {
    __m512 a[16];
#pragma GCC unroll 4
    for (int k = 0; k < 16; k += KB) accumulate<NZ, KB, HD>(q, keys + (j + k) * stride, stride, hd, a + k);
    _mm512_storeu_ps(out + j, _mm512_mul_ps(vs, halve16(a)));
  }
  if (j < nb) avx2_rest_dots(q, keys + j * stride, stride, nb - j, hd, 16 * NZ, scale, out + j);
}

template <class T>
void dots_any(const float* q, const T* keys, size_t stride, int64_t nb, int hd, int lanes, float scale, float* out) {
  if (lanes == 16 && hd == 64) return dots_z<1, 64>(q, keys, stride, nb, hd, scale, out);
  if (lanes == 16 && hd == 128) return dots_z<1, 128>(q, keys, stride, nb, hd, scale, out);
  if (lanes == 16) return dots_z<1, 0>(q, keys, stride, nb, hd, scale, out);
  if (lanes == 32) return dots_z<2, 0>(q, keys, stride, nb, hd, scale, out);
  if (lanes == 64) return dots_z<4, 0>(q, keys, stride, nb, hd, scale, out);
  avx2_rest_dots(q, keys, stride, nb, hd, lanes, scale, out);  // 8 lanes: one ymm already
}

// pv on columns [d0, d0 + 16 NZ) for LG lanes side by side (lane0 ..
// lane0 + LG - 1, each with keys to add), each lane's NZ registers of
// accumulators kept across its keys, in its keys' order. A lane alone would be
// one chain of dependent fmas per register (4 at head dim 64): LG lanes give
// the core LG times the independent work.
template <int NZ, int LG, int HD, class T>
[[gnu::always_inline]] inline void pv_group(float* acc, const float* p, const T* v, size_t stride_, int64_t nb,
                                            int hd_, int lanes, int lane0, int d0) {
  // HD > 0: as in accumulate(), offsets the compiler can fold (the GPRs otherwise run out)
  const int hd = HD > 0 ? HD : hd_;
  const size_t stride = HD > 0 && sizeof(T) == 4 ? size_t(HD) : stride_;
  __m512 r[LG][NZ];
  float* a = acc + size_t(lane0) * hd + d0;
#pragma GCC unroll 4
  for (int i = 0; i < LG; ++i)
#pragma GCC unroll 8
    for (int c = 0; c < NZ; ++c) r[i][c] = _mm512_loadu_ps(a + size_t(i) * hd + 16 * c);
  int64_t j = lane0;  // key j + i is lane lane0 + i's next
  const T* vj = v + j * stride + d0;
  for (; j + LG <= nb; j += lanes, vj += size_t(lanes) * stride)
#pragma GCC unroll 4
    for (int i = 0; i < LG; ++i) {
      const __m512 pj = _mm512_set1_ps(p[j + i]);
#pragma GCC unroll 8
      for (int c = 0; c < NZ; ++c) r[i][c] = _mm512_fmadd_ps(pj, load16(vj + size_t(i) * stride + 16 * c), r[i][c]);
    }
#pragma GCC unroll 4
  for (int i = 0; i < LG; ++i) {  // a last key for the first lanes
    if (j + i >= nb) break;
    const __m512 pj = _mm512_set1_ps(p[j + i]);
#pragma GCC unroll 8
    for (int c = 0; c < NZ; ++c) r[i][c] = _mm512_fmadd_ps(pj, load16(vj + size_t(i) * stride + 16 * c), r[i][c]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < LG; ++i)
#pragma GCC unroll 8
    for (int c = 0; c < NZ; ++c) _mm512_storeu_ps(a + size_t(i) * hd + 16 * c, r[i][c]);
}

// Every lane with keys, LG at a time (16 accumulator registers), the last ones alone.
template <int NZ, int HD, class T>
void pv_lanes(float* acc, const float* p, const T* v, size_t stride, int64_t nb, int hd, int lanes, int d0) {
  constexpr int LG = NZ <= 4 ? 4 : 2;
  const int used = int(lanes < nb ? lanes : nb);
  int lane = 0;
  for (; lane + LG <= used; lane += LG) pv_group<NZ, LG, HD>(acc, p, v, stride, nb, hd, lanes, lane, d0);
  for (; lane < used; ++lane) pv_group<NZ, 1, HD>(acc, p, v, stride, nb, hd, lanes, lane, d0);
}

template <class T>
void pv_cols(float* acc, const float* p, const T* v, size_t stride, int64_t nb, int hd, int lanes, int d_begin,
             int d_end) {
  int d0 = d_begin;
  // whole rows at the common head dims: compile-time offsets
  if (d_begin == 0 && d_end == hd && hd == 64) return pv_lanes<4, 64>(acc, p, v, stride, nb, hd, lanes, 0);
  if (d_begin == 0 && d_end == hd && hd == 128) return pv_lanes<8, 128>(acc, p, v, stride, nb, hd, lanes, 0);
  for (; d0 + 16 <= d_end; d0 += 128) {  // up to 8 registers of 16 columns a lane
    switch ((d_end - d0 < 128 ? d_end - d0 : 128) / 16) {
      case 8: pv_lanes<8, 0>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 7: pv_lanes<7, 0>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 6: pv_lanes<6, 0>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 5: pv_lanes<5, 0>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 4: pv_lanes<4, 0>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 3: pv_lanes<3, 0>(acc, p, v, stride, nb, hd, lanes, d0); break;
      case 2: pv_lanes<2, 0>(acc, p, v, stride, nb, hd, lanes, d0); break;
      default: pv_lanes<1, 0>(acc, p, v, stride, nb, hd, lanes, d0); break;
    }
  }
  const int whole = d_begin + (d_end - d_begin) / 16 * 16;  // 8 columns may be left
  if (whole < d_end) avx2_rest_pv(acc, p, v, stride, nb, hd, lanes, whole, d_end);
}

// pv for R rows at once over one block (whole 64-column chunks): per lane and
// chunk the rows' R x 4 accumulators stay in registers, each V row is loaded
// once for all R rows (a single row loads one V value per fma).
template <int R>
void pv_rows_z(float* const* acc, const float* const* p, const float* v, int64_t nb, int hd, int lanes) {
  const int used = int(lanes < nb ? lanes : nb);
  for (int lane = 0; lane < used; ++lane)
    for (int d0 = 0; d0 < hd; d0 += 64) {
      __m512 r[R][4];
#pragma GCC unroll 4
      for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
        for (int c = 0; c < 4; ++c) r[i][c] = _mm512_loadu_ps(acc[i] + size_t(lane) * hd + d0 + 16 * c);
      for (int64_t j = lane; j < nb; j += lanes) {
        const float* vj = v + j * hd + d0;
        __m512 vr[4];
#pragma GCC unroll 4
        for (int c = 0; c < 4; ++c) vr[c] = _mm512_loadu_ps(vj + 16 * c);
#pragma GCC unroll 4
        for (int i = 0; i < R; ++i) {
          const __m512 pj = _mm512_set1_ps(p[i][j]);
#pragma GCC unroll 4
          for (int c = 0; c < 4; ++c) r[i][c] = _mm512_fmadd_ps(pj, vr[c], r[i][c]);
        }
      }
#pragma GCC unroll 4
      for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
        for (int c = 0; c < 4; ++c) _mm512_storeu_ps(acc[i] + size_t(lane) * hd + d0 + 16 * c, r[i][c]);
    }
}

void dots_batch(const float* q, const float* keys, int64_t nb, int hd, int lanes, float scale, float* out) {
  dots_any(q, keys, size_t(hd), nb, hd, lanes, scale, out);
}
void dots_batch_h(const float* q, const uint16_t* keys, size_t stride, int64_t nb, int hd, int lanes, float scale,
                  float* out) {
  dots_any(q, keys, stride, nb, hd, lanes, scale, out);
}
void pv_batch(float* acc, const float* p, const float* v, int64_t nb, int hd, int lanes) {
  pv_cols(acc, p, v, size_t(hd), nb, hd, lanes, 0, hd);
}
void pv_batch_cols_h(float* acc, const float* p, const uint16_t* v, size_t stride, int64_t nb, int hd, int lanes,
                     int d_begin, int d_end) {
  pv_cols(acc, p, v, stride, nb, hd, lanes, d_begin, d_end);
}

void pv_batch_rows(float* const* acc, const float* const* p, int n_rows, const float* v, int64_t nb, int hd,
                   int lanes) {
  int i = 0;
  if (hd % 64 == 0)
    for (; i + 4 <= n_rows; i += 4) pv_rows_z<4>(acc + i, p + i, v, nb, hd, lanes);
  for (; i < n_rows; ++i) pv_batch(acc[i], p[i], v, nb, hd, lanes);
}

}  // namespace

const BatchKernels& batch_kernels() {
  static constexpr BatchKernels k{dots_batch, dots_batch_h, pv_batch, pv_batch_cols_h, pv_batch_rows};
  return k;
}

}  // namespace tome::avx512
