// matmul_multi: equal, bit for bit, to one matmul() call per matrix, for groups
// of matrices with uneven row counts (not multiples of the 4-row tiles or of the
// chunks), of one type and of mixed types (sharing a vec_dot_type or not, some
// repacked by llama.cpp, some not), for thread counts 1, 2, 3, 4 and token counts
// 1 (decode), 3, 4, 17 (prefill, with and without full 4-token groups).
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "cpu/matmul.h"
#include "cpu/thread_pool.h"
#include "cpu_test_util.h"
#include "test_harness.h"

using namespace cpu_test;

namespace {

struct Matrix {
  std::vector<uint8_t> bytes;
  tome::WeightMatrix W;
};

Matrix make_matrix(GgmlType t, int64_t rows, int64_t cols, uint32_t seed) {
  Matrix m;
  m.bytes = random_weights(t, rows, cols, seed);
  m.W = tome::WeightMatrix{t, rows, cols, m.bytes.data(), tome::type_row_bytes(t, cols)};
  return m;
}

struct Group {
  std::string name;
  std::vector<GgmlType> types;
  std::vector<int64_t> rows;
  int64_t cols;
};

// Runs one group both ways on every pool and token count; fails on the first
// element whose bits differ.
void check_group(const Group& g, tome::ThreadPool* pools, int n_pools) {
  std::vector<Matrix> ms;
  for (size_t i = 0; i < g.types.size(); ++i) ms.push_back(make_matrix(g.types[i], g.rows[i], g.cols, uint32_t(11 + i)));
  for (int64_t n_tokens : {1, 3, 4, 17}) {
    const std::vector<float> x = random_row(n_tokens * g.cols, 500 + uint32_t(n_tokens));
    for (int pi = 0; pi < n_pools; ++pi) {
      tome::ThreadPool& pool = pools[pi];
      std::vector<std::vector<float>> want(ms.size()), got(ms.size());
      std::vector<tome::MatmulTarget> targets;
      std::vector<uint8_t> scratch;
      for (size_t i = 0; i < ms.size(); ++i) {
        want[i].assign(size_t(n_tokens * ms[i].W.rows), -1.0f);
        got[i].assign(want[i].size(), -2.0f);
        tome::matmul(ms[i].W, x.data(), n_tokens, want[i].data(), pool, scratch);
        targets.push_back({&ms[i].W, got[i].data()});
      }
      tome::matmul_multi(targets.data(), int(targets.size()), x.data(), n_tokens, pool, scratch);
      for (size_t i = 0; i < ms.size(); ++i)
        for (size_t e = 0; e < want[i].size(); ++e)
          if (bits(got[i][e]) != bits(want[i][e]))
            TOME_FAIL(g.name + ": matrix " + std::to_string(i) + " (" + tname(g.types[i]) + ", " +
                      std::to_string(g.rows[i]) + " rows) tokens " + std::to_string(n_tokens) + " threads " +
                      std::to_string(pool.size()) + " element " + std::to_string(e));
    }
  }
}

}  // namespace

TEST(matmul_multi_equals_separate_calls) {
  tome::ThreadPool pools[4] = {tome::ThreadPool(1), tome::ThreadPool(2), tome::ThreadPool(3), tome::ThreadPool(4)};
  const GgmlType Q8 = GgmlType::Q8_0, Q4 = GgmlType::Q4_0, Q4K = GgmlType::Q4_K, Q5K = GgmlType::Q5_K,
                 Q6K = GgmlType::Q6_K, F16 = GgmlType::F16, F32 = GgmlType::F32, IQ4 = GgmlType::IQ4_NL,
                 MX4 = GgmlType::MXFP4;
  const std::vector<Group> groups = {
      // Q, K, V of one type: GQA-like uneven rows, large enough to run in parallel
      {"qkv q8_0", {Q8, Q8, Q8}, {579, 195, 193}, 512},
      {"gate-up q4_k", {Q4K, Q4K}, {301, 301}, 512},
      // mixed types sharing Q8_0 activations; Q4_0, IQ4_NL and MXFP4 with rows % 8 == 0
      // are repacked by llama.cpp (other kernels), the 203-row Q4_0 and 77-row MXFP4 are not
      {"mixed q8_0 activations", {Q8, Q4, IQ4, Q4, MX4, MX4}, {200, 96, 64, 203, 72, 77}, 512},
      // mixed vec_dot types: Q8_K, Q8_0, F16 and F32 (read in place) in one call
      {"mixed activation types", {Q6K, Q8, Q5K, F16, F32, Q4K}, {131, 70, 257, 33, 45, 96}, 512},
      // small: below the parallel threshold, on the calling thread
      {"small", {Q8, Q6K}, {5, 3}, 256},
      // a matrix with no rows among others
      {"empty member", {Q8, Q8, Q8}, {40, 0, 37}, 256},
  };
  for (bool force_scalar : {false, true}) {
    tome::set_force_scalar(force_scalar);
    for (const Group& g : groups) check_group(g, pools, 4);
  }
  tome::set_force_scalar(false);
}

// mul_mat_id's order (a mixture's experts): each token's row is what a call with that
// token alone gives, bit for bit, where llama.cpp repacks (Q4_K, whose gemm order
// differs from its gemv; Q4_0, IQ4_NL, MXFP4) and where it does not (Q8_0, Q6_K).
TEST(mul_mat_id_order_is_each_tokens_own_call) {
  tome::ThreadPool pool(2);
  const GgmlType types[] = {GgmlType::Q4_K, GgmlType::Q4_0, GgmlType::IQ4_NL, GgmlType::MXFP4, GgmlType::Q8_0,
                            GgmlType::Q6_K};
  for (GgmlType t : types) {
    Matrix m = make_matrix(t, 96, 512, 7);
    for (int64_t n_tokens : {4, 9}) {
      const std::vector<float> x = random_row(n_tokens * 512, 900 + uint32_t(n_tokens));
      std::vector<float> got(size_t(n_tokens * 96)), alone(96);
      std::vector<uint8_t> scratch;
      const tome::MatmulTarget target{&m.W, got.data(), tome::MatmulOrder::kMulMatId};
      tome::matmul_multi(&target, 1, x.data(), n_tokens, pool, scratch);
      for (int64_t k = 0; k < n_tokens; ++k) {
        tome::matmul(m.W, x.data() + k * 512, 1, alone.data(), pool, scratch);
        for (int64_t r = 0; r < 96; ++r)
          if (bits(got[size_t(k * 96 + r)]) != bits(alone[size_t(r)]))
            TOME_FAIL(tname(t) + ": token " + std::to_string(k) + " of " + std::to_string(n_tokens) + ", row " +
                      std::to_string(r));
      }
    }
  }
}

TEST(matmul_multi_rejects_bad_arguments) {
  tome::ThreadPool pool(2);
  const Matrix a = make_matrix(GgmlType::Q8_0, 8, 256, 1), b = make_matrix(GgmlType::Q8_0, 8, 512, 2);
  std::vector<float> x(512), y1(8), y2(8);
  std::vector<uint8_t> scratch;
  const tome::MatmulTarget mixed_cols[2] = {{&a.W, y1.data()}, {&b.W, y2.data()}};
  CHECK_EQ(error_code_of([&] { tome::matmul_multi(mixed_cols, 2, x.data(), 1, pool, scratch); }), "BAD_ARGUMENT");
  const tome::MatmulTarget null_y[1] = {{&a.W, nullptr}};
  CHECK_EQ(error_code_of([&] { tome::matmul_multi(null_y, 1, x.data(), 1, pool, scratch); }), "BAD_ARGUMENT");
  CHECK_EQ(error_code_of([&] { tome::matmul_multi(mixed_cols, 0, x.data(), 1, pool, scratch); }), "BAD_ARGUMENT");
  std::vector<tome::MatmulTarget> many(size_t(tome::kMaxMatmulTargets + 1), tome::MatmulTarget{&a.W, y1.data()});
  CHECK_EQ(error_code_of([&] { tome::matmul_multi(many.data(), int(many.size()), x.data(), 1, pool, scratch); }),
           "BAD_ARGUMENT");
  std::vector<uint8_t> w(4096);
  const tome::WeightMatrix iq2{GgmlType::IQ2_XXS, 2, 256, w.data(), 66};
  const tome::MatmulTarget unsupported[2] = {{&a.W, y1.data()}, {&iq2, y2.data()}};
  CHECK_EQ(error_code_of([&] { tome::matmul_multi(unsupported, 2, x.data(), 1, pool, scratch); }), "UNSUPPORTED_TYPE");
}

TOME_TEST_MAIN()
