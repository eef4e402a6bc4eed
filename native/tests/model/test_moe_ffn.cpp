// The mixture-of-experts FFN (model/moe_ffn.h), against oracles of its own:
//  - router_softmax against a double-precision softmax (n across and below the SIMD
//    chunk: whole chunks by ggml's exp approximation, the tail by expf);
//  - top_experts: the k largest, largest first, equal values in index order;
//  - the block with f32 experts against a plain double-precision mixture (route,
//    normalize, SwiGLU each chosen expert, weigh, add), routing read from the
//    oracle's own probabilities;
//  - a token's output does not depend on the tokens beside it (but for its router's
//    product, which llama.cpp sums in sgemm's order on a prompt): a chunk of tokens,
//    several routed to one expert, gives each token the bits it gets alone (llama.cpp's
//    mul_mat_id runs its gemv per token where it repacks; tome's kMulMatId order), for
//    Q4_K (repacked, whose gemm order differs), Q4_0 and Q8_0 experts.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/matmul.h"
#include "cpu/quant.h"
#include "cpu/thread_pool.h"
#include "model/moe_ffn.h"
#include "model/model_test_util.h"
#include "test_harness.h"

using namespace tome;

namespace {

using model_test::bits;
using model_test::randn;

// A layer's experts: f32 values kept for the oracle, the matrices in `type`.
struct Experts {
  int E, X, K, F;
  GgmlType type;
  std::vector<float> router, gate, up, down;  // f32: (X, E), (X * F, E) x2, (X * E, F)
  std::vector<uint8_t> router_b, gate_b, up_b, down_b;
  LayerWeights L;
  HParams hp;

  Experts(int e, int x, int k, int f, GgmlType t) : E(e), X(x), K(k), F(f), type(t) {
    router = randn(size_t(X) * E, 1, 2.0f / std::sqrt(float(E)));
    gate = randn(size_t(X) * F * E, 2, 1.0f / std::sqrt(float(E)));
    up = randn(size_t(X) * F * E, 3, 1.0f / std::sqrt(float(E)));
    down = randn(size_t(X) * E * F, 4, 1.0f / std::sqrt(float(F)));
    L.router = stack(router, router_b, GgmlType::F32, X, E);
    L.gate_exps = stack(gate, gate_b, t, int64_t(X) * F, E);
    L.up_exps = stack(up, up_b, t, int64_t(X) * F, E);
    L.down_exps = stack(down, down_b, t, int64_t(X) * E, F);
    hp.n_embd = E;
    hp.n_expert = X;
    hp.n_expert_used = K;
    hp.n_ff_exp = F;
  }

  static WeightMatrix stack(std::vector<float>& v, std::vector<uint8_t>& bytes, GgmlType t, int64_t rows, int64_t cols) {
    const size_t rb = type_row_bytes(t, cols);
    bytes.resize(rb * size_t(rows));
    for (int64_t r = 0; r < rows; ++r) {
      if (t == GgmlType::F32) std::memcpy(bytes.data() + size_t(r) * rb, v.data() + size_t(r * cols), rb);
      else quantize_row(t, v.data() + size_t(r * cols), bytes.data() + size_t(r) * rb, cols);
    }
    return WeightMatrix{t, rows, cols, bytes.data(), rb};
  }
};

// The mixture in doubles: softmax, the K best, weights over their sum, SwiGLU experts.
std::vector<double> oracle(const Experts& m, const float* h) {
  const int E = m.E, X = m.X, K = m.K, F = m.F;
  std::vector<double> p(size_t(X), 0.0);
  double max = -INFINITY, sum = 0;
  for (int x = 0; x < X; ++x) {
    for (int i = 0; i < E; ++i) p[size_t(x)] += double(m.router[size_t(x) * E + i]) * h[i];
    max = std::max(max, p[size_t(x)]);
  }
  for (double& v : p) sum += (v = std::exp(v - max));
  for (double& v : p) v /= sum;
  std::vector<int> idx(static_cast<size_t>(X));
  for (int x = 0; x < X; ++x) idx[size_t(x)] = x;
  std::sort(idx.begin(), idx.end(), [&](int a, int b) { return p[size_t(a)] > p[size_t(b)]; });
  double wsum = 0;
  for (int j = 0; j < K; ++j) wsum += p[size_t(idx[size_t(j)])];
  std::vector<double> out(size_t(E), 0.0);
  for (int j = 0; j < K; ++j) {
    const int e = idx[size_t(j)];
    std::vector<double> act(static_cast<size_t>(F));
    for (int f = 0; f < F; ++f) {
      double g = 0, u = 0;
      const size_t row = (size_t(e) * F + f) * E;
      for (int i = 0; i < E; ++i) {
        g += double(m.gate[row + i]) * h[i];
        u += double(m.up[row + i]) * h[i];
      }
      act[size_t(f)] = g / (1 + std::exp(-g)) * u;
    }
    for (int i = 0; i < E; ++i) {
      double d = 0;
      const size_t row = (size_t(e) * E + i) * F;
      for (int f = 0; f < F; ++f) d += double(m.down[row + f]) * act[size_t(f)];
      out[size_t(i)] += d * p[size_t(e)] / wsum;
    }
  }
  return out;
}

}  // namespace

TEST(router_softmax_matches_double_softmax) {
  for (int n : {1, 5, 8, 16, 60, 128}) {
    std::vector<float> row = randn(size_t(n), uint32_t(n), 3.0f);
    std::vector<double> want(row.begin(), row.end());
    double max = -INFINITY, sum = 0;
    for (double v : want) max = std::max(max, v);
    for (double& v : want) sum += (v = std::exp(v - max));
    router_softmax(row.data(), n);
    double total = 0;
    for (int i = 0; i < n; ++i) {
      CHECK_NEAR(row[size_t(i)], want[size_t(i)] / sum, 2e-7);
      total += row[size_t(i)];
    }
    CHECK_NEAR(total, 1.0, 1e-6);
  }
}

TEST(top_experts_largest_first_ties_by_index_nan_last) {
  const float p[8] = {0.1f, 0.3f, 0.05f, 0.3f, 0.2f, 0.0f, 0.05f, 0.0f};
  int32_t out[4];
  top_experts(p, 8, 4, out);
  CHECK_EQ(out[0], 1);
  CHECK_EQ(out[1], 3);
  CHECK_EQ(out[2], 4);
  CHECK_EQ(out[3], 0);
  int32_t all[8];  // k = n: the whole order
  top_experts(p, 8, 8, all);
  CHECK_EQ(all[4], 2);
  CHECK_EQ(all[5], 6);
  CHECK_EQ(all[6], 5);
  CHECK_EQ(all[7], 7);
  const float with_nan[4] = {0.1f, NAN, 0.7f, 0.2f};
  top_experts(with_nan, 4, 4, out);
  CHECK_EQ(out[0], 2);
  CHECK_EQ(out[1], 3);
  CHECK_EQ(out[2], 0);
  CHECK_EQ(out[3], 1);
}

TEST(f32_experts_match_a_double_precision_mixture) {
  ThreadPool pool(2);
  std::vector<uint8_t> scratch;
  for (int K : {1, 2, 3}) {
    Experts m(64, 6, K, 32, GgmlType::F32);
    const int64_t n = 7;
    const std::vector<float> h = randn(size_t(n) * m.E, 9, 1.0f);
    std::vector<float> out(h.size(), NAN);
    MoeFfn moe;
    double matmul_ms = 0;
    moe.forward(m.L, m.hp, h.data(), n, out.data(), pool, scratch, matmul_ms);
    for (int64_t t = 0; t < n; ++t) {
      const std::vector<double> want = oracle(m, h.data() + t * m.E);
      for (int i = 0; i < m.E; ++i) CHECK_NEAR(out[size_t(t * m.E + i)], want[size_t(i)], 1e-5 * (1 + std::fabs(want[size_t(i)])));
    }
  }
}

TEST(a_tokens_output_does_not_depend_on_its_neighbours) {
  ThreadPool pool(2);
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q4_0, GgmlType::Q8_0}) {
    // 6 experts, 2 a token, 40 tokens: every expert serves several (gemm groups of 4 and
    // more); rows of 256 (whole K-quant blocks), rows % 8 == 0 (llama.cpp repacks Q4_0,
    // Q4_K). 6 router rows, not a multiple of 4: its product is vec_dot's in a chunk too
    // (sgemm_f32.h), so the routing is the same both ways and the experts' order is tested.
    Experts m(256, 6, 2, 256, t);
    const int64_t n = 40;
    const std::vector<float> h = randn(size_t(n) * m.E, 11, 1.0f);
    std::vector<float> chunk(h.size()), alone(size_t(m.E));
    std::vector<uint8_t> scratch;
    MoeFfn moe;
    double ms = 0;
    moe.forward(m.L, m.hp, h.data(), n, chunk.data(), pool, scratch, ms);
    for (int64_t tok = 0; tok < n; ++tok) {
      moe.forward(m.L, m.hp, h.data() + tok * m.E, 1, alone.data(), pool, scratch, ms);
      for (int i = 0; i < m.E; ++i)
        if (bits(alone[size_t(i)]) != bits(chunk[size_t(tok * m.E + i)]))
          TOME_FAIL(std::string(ggml_type_name(uint32_t(t))) + ": token " + std::to_string(tok) + " element " +
                    std::to_string(i) + " differs in the chunk");
    }
  }
}

TOME_TEST_MAIN()
