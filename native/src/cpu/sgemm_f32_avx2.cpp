// sgemm_f32's element in AVX2+FMA: two 8-lane accumulators stand for sgemm's 16 lanes.
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/avx2_util.h"
#include "cpu/sgemm_f32.h"

namespace tome::avx2 {

float sgemm_f32_dot(const float* w, const float* x, int64_t cols, int lanes) {
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
  if (lanes == 16) {
    for (int64_t c = 0; c < cols; c += 16) {
      lo = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), lo);
      hi = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 8), _mm256_loadu_ps(x + c + 8), hi);
    }
    return hsum8_avx(_mm256_add_ps(hi, lo));
  }
  for (int64_t c = 0; c < cols; c += 8) lo = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), lo);
  return hsum8_avx(lo);
}

}  // namespace tome::avx2
#endif
