// sgemm_f32 (llama.cpp's llamafile order for F32 prompts): the AVX2 body equals the
// scalar reference bit for bit for 8 and 16 lanes, both are within float rounding of
// a double-precision product, and where it applies follows llama.cpp's conditions.
#include <cmath>
#include <vector>

#include "cpu/cpu_features.h"
#include "cpu/sgemm_f32.h"
#include "cpu/thread_pool.h"
#include "cpu_test_util.h"
#include "test_harness.h"

using namespace cpu_test;

TEST(sgemm_f32_applies_where_llamacpp_runs_it) {
  if (tome::sgemm_f32_lanes() == 0) SKIP("no AVX2 here: llama.cpp runs no sgemm tome mirrors");
  const int64_t lanes = tome::sgemm_f32_lanes();
  CHECK(tome::sgemm_f32_applies(8, 4 * lanes, 2));
  CHECK(!tome::sgemm_f32_applies(8, 4 * lanes, 1));   // decode: vec_dot
  CHECK(!tome::sgemm_f32_applies(6, 4 * lanes, 7));   // rows not in fours
  CHECK(!tome::sgemm_f32_applies(8, 4 * lanes + 4, 7));  // a partial vector
}

TEST(sgemm_f32_simd_equals_scalar_and_double) {
  if (tome::sgemm_f32_lanes() == 0 || !tome::cpu_features().avx2) SKIP("no AVX2 here");
  tome::ThreadPool pool(2);
  const int64_t rows = 12, cols = 256, n = 5;
  const std::vector<float> w = random_row(rows * cols, 3), x = random_row(n * cols, 4);
  std::vector<float> simd(size_t(n * rows)), scalar(simd.size());
  tome::sgemm_f32(w.data(), rows, cols, x.data(), n, simd.data(), pool);
  tome::set_force_scalar(true);
  tome::sgemm_f32(w.data(), rows, cols, x.data(), n, scalar.data(), pool);
  tome::set_force_scalar(false);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      const size_t i = size_t(t * rows + r);
      if (bits(simd[i]) != bits(scalar[i])) TOME_FAIL("token " + std::to_string(t) + " row " + std::to_string(r));
      double want = 0, mag = 0;
      for (int64_t c = 0; c < cols; ++c) {
        want += double(w[size_t(r * cols + c)]) * x[size_t(t * cols + c)];
        mag += std::fabs(double(w[size_t(r * cols + c)]) * x[size_t(t * cols + c)]);
      }
      CHECK_NEAR(simd[i], want, 1e-6 * mag);
    }
}

TOME_TEST_MAIN()
