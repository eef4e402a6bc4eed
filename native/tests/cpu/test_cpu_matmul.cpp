// matmul: equal, bit for bit, to a naive loop of vec_dot over the converted
// activation rows, for every thread count (1, 2, 3), token count (1, 3, 17) and
// both kernel flavours; and close to a double-precision reference.
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "cpu/kernels.h"
#include "cpu/matmul.h"
#include "cpu/thread_pool.h"
#include "cpu_test_util.h"
#include "test_harness.h"

using namespace cpu_test;

namespace {

struct Problem {
  GgmlType type;
  int64_t rows, cols;
  std::vector<uint8_t> w;  // rows x row_bytes
  tome::WeightMatrix W;
};

Problem make_problem(GgmlType t, int64_t rows, int64_t cols, uint32_t seed) {
  Problem p{t, rows, cols, random_weights(t, rows, cols, seed), {}};
  p.W = tome::WeightMatrix{t, rows, cols, p.w.data(), tome::type_row_bytes(t, cols)};
  return p;
}

// y[t][r] = vec_dot(W row r, converted x row t), one call each; where llama.cpp
// would repack W, one 1 x 1 call of its gemm-order kernel for tokens in a group of
// 4 (t < n - n % 4) and of its gemv-order kernel for the rest; where it would run
// its IQ panel (IQ4_XS, 8 tokens or more), of the panel-order kernel.
std::vector<float> naive(const Problem& p, const std::vector<float>& x, int64_t n_tokens) {
  const GgmlType at = tome::vec_dot_type(p.type);
  std::vector<float> y(size_t(n_tokens * p.rows));
  std::vector<uint8_t> a(tome::type_row_bytes(at, p.cols));
  const bool repack = tome::kernels::llama_repacks(p.type, p.rows);
  const bool panel = tome::kernels::llama_iq_panel(p.type, p.rows, n_tokens);
  for (int64_t t = 0; t < n_tokens; ++t) {
    tome::convert_activation_row(at, x.data() + t * p.cols, a.data(), p.cols);
    const tome::kernels::DotFn f = panel ? tome::kernels::select_dot_panel(p.type)
                                         : tome::kernels::select_dot_repack(p.type, t < n_tokens - n_tokens % 4);
    for (int64_t r = 0; r < p.rows; ++r) {
      const uint8_t* w = p.w.data() + size_t(r) * p.W.row_bytes;
      float& out = y[size_t(t * p.rows + r)];
      if (repack || panel) f(tome::kernels::DotTile{w, p.W.row_bytes, 1, a.data(), a.size(), 1, p.cols, &out, 1});
      else out = tome::vec_dot(p.type, w, a.data(), p.cols);
    }
  }
  return y;
}

}  // namespace

TEST(matmul_equals_naive_for_all_threads_tokens_types) {
  struct Shape { int64_t rows, cols; };
  // small shapes run inline; the larger ones cross the parallel threshold
  const Shape shapes32[] = {{5, 32}, {40, 96}, {300, 512}};  // 40: repacked by llama.cpp
  const Shape shapes256[] = {{3, 256}, {24, 512}, {150, 1024}};  // 24: repacked (IQ4_XS: its panel from 8 tokens)
  const Shape shapes1[] = {{5, 33}, {13, 70}, {260, 300}};
  tome::ThreadPool pools[3] = {tome::ThreadPool(1), tome::ThreadPool(2), tome::ThreadPool(3)};
  for (bool force_scalar : {false, true}) {
    tome::set_force_scalar(force_scalar);
    for (GgmlType t : dot_types()) {
      const int64_t bs = tome::type_block_size(t);
      const Shape* shapes = bs == 1 ? shapes1 : bs == 32 ? shapes32 : shapes256;
      for (int s = 0; s < 3; ++s) {
        const Problem p = make_problem(t, shapes[s].rows, shapes[s].cols, uint32_t(s + 1));
        for (int64_t n_tokens : {1, 3, 8, 17}) {
          const std::vector<float> x = random_row(n_tokens * p.cols, 77 + uint32_t(n_tokens));
          const std::vector<float> want = naive(p, x, n_tokens);
          for (tome::ThreadPool& pool : pools) {
            std::vector<float> y(want.size(), -1.0f);
            std::vector<uint8_t> scratch;
            tome::matmul(p.W, x.data(), n_tokens, y.data(), pool, scratch);
            for (size_t i = 0; i < y.size(); ++i)
              if (bits(y[i]) != bits(want[i]))
                TOME_FAIL(tname(t) + " " + std::to_string(p.rows) + "x" + std::to_string(p.cols) + " tokens " +
                          std::to_string(n_tokens) + " threads " + std::to_string(pool.size()) + " index " +
                          std::to_string(i) + (force_scalar ? " scalar" : " simd"));
          }
        }
      }
    }
  }
  tome::set_force_scalar(false);
}

// Kernel flavour does not change matmul output either (canonical order).
TEST(matmul_scalar_and_simd_agree) {
  if (!have_avx2()) SKIP("no AVX2 on this CPU");
  tome::ThreadPool pool(2);
  for (GgmlType t : dot_types()) {
    const int64_t cols = tome::type_block_size(t) == 1 ? 200 : 512;
    const Problem p = make_problem(t, 64, cols, 3);
    const std::vector<float> x = random_row(5 * cols, 4);
    std::vector<float> a(size_t(5 * 64)), b(a.size());
    std::vector<uint8_t> scratch;
    tome::set_force_scalar(true);
    tome::matmul(p.W, x.data(), 5, a.data(), pool, scratch);
    tome::set_force_scalar(false);
    tome::matmul(p.W, x.data(), 5, b.data(), pool, scratch);
    for (size_t i = 0; i < a.size(); ++i) CHECK_EQ(bits(a[i]), bits(b[i]));
  }
}

// Against the exact product of the dequantized weights and converted activations.
TEST(matmul_close_to_double_reference) {
  tome::ThreadPool pool(2);
  for (GgmlType t : dot_types()) {
    const int64_t cols = tome::type_block_size(t) == 1 ? 96 : 256, rows = 20, n_tokens = 3;
    const Problem p = make_problem(t, rows, cols, 8);
    const std::vector<float> x = random_row(n_tokens * cols, 9);
    std::vector<float> y(size_t(n_tokens * rows));
    std::vector<uint8_t> scratch;
    tome::matmul(p.W, x.data(), n_tokens, y.data(), pool, scratch);
    const GgmlType at = tome::vec_dot_type(t);
    for (int64_t tk = 0; tk < n_tokens; ++tk) {
      const std::vector<float> xs(x.begin() + tk * cols, x.begin() + (tk + 1) * cols);
      const std::vector<uint8_t> a = activation(at, xs);
      for (int64_t r = 0; r < rows; ++r) {
        double mag;
        const double ref = reference_dot(t, p.w.data() + size_t(r) * p.W.row_bytes, a.data(), cols, &mag);
        CHECK_NEAR(y[size_t(tk * rows + r)], ref, 1e-5 * mag);
      }
    }
  }
}

TEST(matmul_reuses_scratch_and_handles_empty) {
  tome::ThreadPool pool(2);
  const Problem p = make_problem(GgmlType::Q4_K, 8, 256, 1);
  std::vector<uint8_t> scratch;
  std::vector<float> x = random_row(4 * 256, 2), y(32);
  tome::matmul(p.W, x.data(), 4, y.data(), pool, scratch);
  const size_t cap = scratch.size();
  CHECK(cap >= 4 * tome::type_row_bytes(GgmlType::Q8_K, 256));
  tome::matmul(p.W, x.data(), 1, y.data(), pool, scratch);  // smaller: no regrowth
  CHECK_EQ(scratch.size(), cap);
  tome::matmul(p.W, x.data(), 0, y.data(), pool, scratch);  // no tokens: nothing to do
}

TEST(matmul_rejects_bad_shapes_and_types) {
  tome::ThreadPool pool(1);
  std::vector<uint8_t> scratch, w(4096);
  std::vector<float> x(512), y(64);
  tome::WeightMatrix bad_cols{GgmlType::Q4_K, 2, 100, w.data(), 0};
  CHECK_EQ(error_code_of([&] { tome::matmul(bad_cols, x.data(), 1, y.data(), pool, scratch); }), "BAD_ARGUMENT");
  tome::WeightMatrix bad_bytes{GgmlType::Q8_0, 2, 64, w.data(), 70};
  CHECK_EQ(error_code_of([&] { tome::matmul(bad_bytes, x.data(), 1, y.data(), pool, scratch); }), "BAD_ARGUMENT");
  tome::WeightMatrix iq2{GgmlType::IQ2_XXS, 2, 256, w.data(), 66};
  CHECK_EQ(error_code_of([&] { tome::matmul(iq2, x.data(), 1, y.data(), pool, scratch); }), "UNSUPPORTED_TYPE");
}

TOME_TEST_MAIN()
