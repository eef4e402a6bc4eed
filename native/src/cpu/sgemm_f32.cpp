#include "cpu/sgemm_f32.h"

#include <cmath>

#include "cpu/avx2_entry.h"
#include "cpu/cpu_features.h"
#include "cpu/thread_pool.h"

namespace tome {

namespace {

// The same sums in scalar code (std::fma is exact): the reference the AVX2 body follows.
float dot_scalar(const float* w, const float* x, int64_t cols, int lanes) {
  float acc[16] = {};
  for (int64_t c = 0; c < cols; c += lanes)
    for (int l = 0; l < lanes; ++l) acc[l] = std::fma(w[c + l], x[c + l], acc[l]);
  float v[8];
  for (int j = 0; j < 8; ++j) v[j] = lanes == 16 ? acc[j + 8] + acc[j] : acc[j];
  return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

}  // namespace

int sgemm_f32_lanes() {
  const CpuFeatures& f = cpu_features();
  if (f.avx512) return 16;
  if (f.avx2 && f.fma) return 8;
  return 0;
}

bool sgemm_f32_applies(int64_t rows, int64_t cols, int64_t n_tokens) {
  const int lanes = sgemm_f32_lanes();
  return lanes > 0 && n_tokens >= 2 && cols % lanes == 0 && rows % 4 == 0;
}

void sgemm_f32(const float* W, int64_t rows, int64_t cols, const float* x, int64_t n_tokens, float* y,
               ThreadPool& pool) {
  const int lanes = sgemm_f32_lanes();
#ifdef TOME_HAVE_AVX2_KERNELS
  const bool simd = simd_enabled() && cpu_features().avx2 && cpu_features().fma;
#else
  const bool simd = false;
#endif
  pool.parallel_for(n_tokens, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t r = 0; r < rows; ++r) {
        const float* w = W + r * cols;
        const float* xt = x + t * cols;
#ifdef TOME_HAVE_AVX2_KERNELS
        if (simd) {
          y[t * rows + r] = avx2::sgemm_f32_dot(w, xt, cols, lanes);
          continue;
        }
#endif
        y[t * rows + r] = dot_scalar(w, xt, cols, lanes);
      }
  });
}

}  // namespace tome
