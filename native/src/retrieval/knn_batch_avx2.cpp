// The fused score + top-k micro-kernel of knn_batch (see knn_batch.h).
// Compiled with -mavx2 -mfma; called only when simd_enabled().
#include <immintrin.h>

#include "retrieval/knn_batch.h"
#include "retrieval/knn_tile_epilogue.h"

namespace tome::avx2 {

namespace {

constexpr int kPanel = 16;

// One (MR x 16) tile per panel: acc[r][h] holds q_r . keys (8h .. 8h+7) of the panel.
template <int MR>
void tile_rows(const float* const* q, const float* panels, const float* bias_packed, int n_panels, int d,
               int32_t first_id, Scored* const* bufs, int* buf_sizes, float* thresholds, int k, int cap) {
  alignas(32) float tmp[kPanel];
  const float* qr[MR];
  for (int r = 0; r < MR; ++r) qr[r] = q[r];
  for (int p = 0; p < n_panels; ++p) {
    const float* P = panels + size_t(p) * size_t(d) * kPanel;
    __m256 acc[MR][2];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int i = 0; i < d; ++i) {
      const __m256 b0 = _mm256_loadu_ps(P + size_t(i) * kPanel);
      const __m256 b1 = _mm256_loadu_ps(P + size_t(i) * kPanel + 8);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r) {
        const __m256 a = _mm256_broadcast_ss(qr[r] + i);
        acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
      }
    }
    const __m256 bias0 = _mm256_loadu_ps(bias_packed + size_t(p) * kPanel);
    const __m256 bias1 = _mm256_loadu_ps(bias_packed + size_t(p) * kPanel + 8);
    const int32_t id0 = first_id + p * kPanel;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 s0 = _mm256_add_ps(acc[r][0], bias0);
      const __m256 s1 = _mm256_add_ps(acc[r][1], bias1);
      const __m256 t = _mm256_set1_ps(thresholds[r]);
      // Strictly above the k-th best (equal scores with higher ids never enter;
      // -inf padding and NaN never pass).
      unsigned mask = unsigned(_mm256_movemask_ps(_mm256_cmp_ps(s0, t, _CMP_GT_OQ))) |
                      (unsigned(_mm256_movemask_ps(_mm256_cmp_ps(s1, t, _CMP_GT_OQ))) << 8);
      if (!mask) continue;
      _mm256_store_ps(tmp, s0);
      _mm256_store_ps(tmp + 8, s1);
      topbuf_push_mask(mask, tmp, id0, bufs[r], buf_sizes[r], k, cap, thresholds[r]);
    }
  }
}

}  // namespace

void knn_tile(const float* const* q, int mr, const float* panels, const float* bias_packed, int n_panels, int d,
              int32_t first_id, Scored* const* bufs, int* buf_sizes, float* thresholds, int k, int cap) {
  switch (mr) {
    case 6: return tile_rows<6>(q, panels, bias_packed, n_panels, d, first_id, bufs, buf_sizes, thresholds, k, cap);
    case 5: return tile_rows<5>(q, panels, bias_packed, n_panels, d, first_id, bufs, buf_sizes, thresholds, k, cap);
    case 4: return tile_rows<4>(q, panels, bias_packed, n_panels, d, first_id, bufs, buf_sizes, thresholds, k, cap);
    case 3: return tile_rows<3>(q, panels, bias_packed, n_panels, d, first_id, bufs, buf_sizes, thresholds, k, cap);
    case 2: return tile_rows<2>(q, panels, bias_packed, n_panels, d, first_id, bufs, buf_sizes, thresholds, k, cap);
    default: return tile_rows<1>(q, panels, bias_packed, n_panels, d, first_id, bufs, buf_sizes, thresholds, k, cap);
  }
}

}  // namespace tome::avx2
