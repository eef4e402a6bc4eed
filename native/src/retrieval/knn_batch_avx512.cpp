// The AVX-512 flavour of knn_batch's fused score + top-k micro-kernel.
// Compiled with the AVX-512 F/VL/DQ/BW flags; called only when
// cpu_features().avx512 and simd_enabled().
//
// Tile: up to 12 queries x 32 keys (two packed 16-key panels, one zmm each):
// 24 accumulators, two panel loads and 12 broadcasts per dimension. Every
// score is summed as the AVX2 tile sums it (fma over i = 0..d-1 from zero, then
// + bias), so both kernels give the same bits. Measured here (Zen 5, one
// thread): 512-bit FMA throughput is twice the 256-bit one (274 vs 135
// GFLOP/s), so on such a core the wider tile halves the build's kNN.
#include <immintrin.h>

#include <utility>

#include "retrieval/knn_batch.h"
#include "retrieval/knn_tile_epilogue.h"

namespace tome::avx512 {

namespace {

constexpr int kPanel = 16;

// Scores of the MR rows against NP (1 or 2) consecutive panels.
template <int MR, int NP>
inline void tile_block(const float* const* qr, const float* P, const float* bias, int d, int32_t id0,
                       Scored* const* bufs, int* buf_sizes, float* thresholds, int k, int cap) {
  __m512 acc[MR][NP];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r)
    for (int h = 0; h < NP; ++h) acc[r][h] = _mm512_setzero_ps();
  const size_t step = size_t(d) * kPanel;  // floats from one panel to the next
  for (int i = 0; i < d; ++i) {
    __m512 b[NP];
    for (int h = 0; h < NP; ++h) b[h] = _mm512_loadu_ps(P + size_t(h) * step + size_t(i) * kPanel);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512 a = _mm512_set1_ps(qr[r][i]);
      for (int h = 0; h < NP; ++h) acc[r][h] = _mm512_fmadd_ps(a, b[h], acc[r][h]);
    }
  }
  __m512 bv[NP];
  for (int h = 0; h < NP; ++h) bv[h] = _mm512_loadu_ps(bias + h * kPanel);
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    const __m512 t = _mm512_set1_ps(thresholds[r]);
    alignas(64) float tmp[NP * kPanel];
    // Strictly above the k-th best (equal scores with higher ids never enter;
    // -inf padding and NaN never pass). Low bits first: ids ascend.
    uint32_t mask = 0;
    for (int h = 0; h < NP; ++h) {
      const __m512 s = _mm512_add_ps(acc[r][h], bv[h]);
      _mm512_store_ps(tmp + h * kPanel, s);
      mask |= uint32_t(_mm512_cmp_ps_mask(s, t, _CMP_GT_OQ)) << (h * kPanel);
    }
    if (mask) topbuf_push_mask(mask, tmp, id0, bufs[r], buf_sizes[r], k, cap, thresholds[r]);
  }
}

template <int MR>
void tile_rows(const float* const* q, const float* panels, const float* bias_packed, int n_panels, int d,
               int32_t first_id, Scored* const* bufs, int* buf_sizes, float* thresholds, int k, int cap) {
  const float* qr[MR];
  for (int r = 0; r < MR; ++r) qr[r] = q[r];
  int p = 0;
  for (; p + 2 <= n_panels; p += 2)
    tile_block<MR, 2>(qr, panels + size_t(p) * size_t(d) * kPanel, bias_packed + size_t(p) * kPanel, d,
                      first_id + p * kPanel, bufs, buf_sizes, thresholds, k, cap);
  if (p < n_panels)
    tile_block<MR, 1>(qr, panels + size_t(p) * size_t(d) * kPanel, bias_packed + size_t(p) * kPanel, d,
                      first_id + p * kPanel, bufs, buf_sizes, thresholds, k, cap);
}

using TileFn = void (*)(const float* const*, const float*, const float*, int, int, int32_t, Scored* const*, int*,
                        float*, int, int);

template <int... MR>
constexpr TileFn pick(int mr, std::integer_sequence<int, MR...>) {
  TileFn f = tile_rows<1>;
  ((mr == MR + 1 ? (f = tile_rows<MR + 1>, 0) : 0), ...);
  return f;
}

}  // namespace

void knn_tile(const float* const* q, int mr, const float* panels, const float* bias_packed, int n_panels, int d,
              int32_t first_id, Scored* const* bufs, int* buf_sizes, float* thresholds, int k, int cap) {
  pick(mr, std::make_integer_sequence<int, kKnnRowsAvx512>{})(q, panels, bias_packed, n_panels, d, first_id, bufs,
                                                              buf_sizes, thresholds, k, cap);
}

}  // namespace tome::avx512
