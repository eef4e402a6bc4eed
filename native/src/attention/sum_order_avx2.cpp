// AVX2+FMA bodies of sum_order.h (compiled with those flags, called only when present).
#include <immintrin.h>

#include "attention/sum_order.h"

namespace tome::avx2 {

float ordered_dot(const float* a, const float* b, int64_t n, int lanes, bool pair_tail) {
  const int nv = lanes / 8;  // 1, 2, 4 or 8 registers of 8 lanes
  const int64_t whole = n - n % lanes;
  double s = 0;
  if (whole > 0) {
    __m256 acc[8];
    for (int v = 0; v < nv; ++v) acc[v] = _mm256_setzero_ps();
    for (int64_t i = 0; i < whole; i += lanes)
      for (int v = 0; v < nv; ++v)
        acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8 * v), _mm256_loadu_ps(b + i + 8 * v), acc[v]);
    for (int h = nv / 2; h >= 1; h /= 2)
      for (int v = 0; v < h; ++v) acc[v] = _mm256_add_ps(acc[v], acc[v + h]);
    // 8 lanes -> 4: (i, i + 4)
    const __m128 t = _mm_add_ps(_mm256_castps256_ps128(acc[0]), _mm256_extractf128_ps(acc[0], 1));
    alignas(16) float l[4];
    _mm_store_ps(l, t);
    s = pair_tail ? double((l[0] + l[1]) + (l[2] + l[3])) : double((l[0] + l[2]) + (l[1] + l[3]));
  }
  for (int64_t i = whole; i < n; ++i) s += double(a[i] * b[i]);
  return float(s);
}

void fma_row(float* acc, float p, const float* v, int hd) {
  const __m256 vp = _mm256_set1_ps(p);
  int d = 0;
  for (; d + 8 <= hd; d += 8)
    _mm256_storeu_ps(acc + d, _mm256_fmadd_ps(vp, _mm256_loadu_ps(v + d), _mm256_loadu_ps(acc + d)));
  for (; d < hd; ++d) acc[d] = __builtin_fmaf(p, v[d], acc[d]);
}

void reduce_lane_rows(float* acc, int lanes, int hd, bool pair_tail, float* out) {
  auto row = [&](int i) { return acc + size_t(i) * size_t(hd); };
  for (int h = lanes / 2; h >= 1; h /= 2) {
    if (pair_tail && h == 2) {
      int d = 0;
      for (; d + 8 <= hd; d += 8) {
        const __m256 s01 = _mm256_add_ps(_mm256_loadu_ps(row(0) + d), _mm256_loadu_ps(row(1) + d));
        const __m256 s23 = _mm256_add_ps(_mm256_loadu_ps(row(2) + d), _mm256_loadu_ps(row(3) + d));
        _mm256_storeu_ps(out + d, _mm256_add_ps(s01, s23));
      }
      for (; d < hd; ++d) out[d] = (row(0)[d] + row(1)[d]) + (row(2)[d] + row(3)[d]);
      return;
    }
    for (int i = 0; i < h; ++i) {
      float* dst = row(i);
      const float* src = row(i + h);
      int d = 0;
      for (; d + 8 <= hd; d += 8) _mm256_storeu_ps(dst + d, _mm256_add_ps(_mm256_loadu_ps(dst + d), _mm256_loadu_ps(src + d)));
      for (; d < hd; ++d) dst[d] += src[d];
    }
  }
  for (int d = 0; d < hd; ++d) out[d] = acc[d];
}

}  // namespace tome::avx2
