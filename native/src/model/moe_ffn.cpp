#include "model/moe_ffn.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "attention/vector_exp.h"
#include "cpu/matmul.h"
#include "cpu/sgemm_f32.h"
#include "model/layer_ops.h"

namespace tome {

namespace {

// llama.cpp's floor for the chosen probabilities' sum (the smallest normal f16)
constexpr float kMinWeightSum = 6.103515625e-5f;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

void router_softmax(float* row, int n) {
  float max = -INFINITY;
  for (int i = 0; i < n; ++i) max = std::max(max, row[i]);
  const int width = exp_lane_width();
  const int whole = n - n % width;
  double sum = whole > 0 ? softmax_exp(row, whole, max, row) : 0.0;
  for (int i = whole; i < n; ++i) {
    const float v = std::exp(row[i] - max);
    sum += double(v);
    row[i] = v;
  }
  const float scale = float(1.0 / sum);
  for (int i = 0; i < n; ++i) row[i] *= scale;
}

void top_experts(const float* p, int n, int k, int32_t* out) {
  std::vector<int32_t> idx;
  top_experts(p, n, k, out, idx);
}

void top_experts(const float* p, int n, int k, int32_t* out, std::vector<int32_t>& idx) {
  idx.resize(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  // NaN (a damaged router) ranks last, so the order stays a strict weak one
  auto key = [p](int32_t i) { return std::isnan(p[i]) ? -INFINITY : p[i]; };
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t a, int32_t b) {
    const float ka = key(a), kb = key(b);
    return ka > kb || (ka == kb && a < b);
  });
  std::copy(idx.begin(), idx.begin() + k, out);
}

// One token's routing (p: its n_expert router logits): softmax probabilities, the K best
// (by the probabilities plus exp_probs_b where the layer has one), their probabilities
// normalized to sum 1 (sum_rows, clamp, div) unless `normalize` is false (qwen2moe).
void MoeFfn::route_softmax(const LayerWeights& L, float* p, int X, int K, int32_t* c, float* w, bool normalize) {
  router_softmax(p, X);
  if (L.exp_probs_b.empty()) {
    top_experts(p, X, K, c, order_);
  } else {  // chosen by the biased probabilities (ggml_add), weighted by the plain ones
    biased_.resize(size_t(X));
    for (int x = 0; x < X; ++x) biased_[size_t(x)] = p[x] + L.exp_probs_b[size_t(x)];
    top_experts(biased_.data(), X, K, c, order_);
  }
  if (!normalize) {  // qwen2moe: the probabilities as they are
    for (int j = 0; j < K; ++j) w[j] = p[c[j]];
    return;
  }
  double sum = 0.0;
  for (int j = 0; j < K; ++j) sum += double(p[c[j]]);
  const float s = std::max(float(sum), kMinWeightSum);
  for (int j = 0; j < K; ++j) w[j] = p[c[j]] / s;
}

// gpt-oss's (SOFTMAX_WEIGHT): the logits plus the router's bias choose, the softmax of the
// chosen logits weighs.
void MoeFfn::route_oai(const LayerWeights& L, float* p, int X, int K, int32_t* c, float* w) {
  for (int x = 0; x < X; ++x) p[x] += L.router_b[size_t(x)];
  top_experts(p, X, K, c, order_);
  for (int j = 0; j < K; ++j) w[j] = p[c[j]];
  router_softmax(w, K);
}

void MoeFfn::forward(const LayerWeights& L, const HParams& hp, const float* h, int64_t n, float* out,
                     ThreadPool& pool, std::vector<uint8_t>& scratch, double& matmul_ms) {
  const int E = hp.n_embd, X = hp.n_expert, K = hp.n_expert_used, F = hp.n_ff_exp;
  const size_t N = size_t(n);

  // 1. routing: the router's logits, then each token's K experts and their weights (route_*)
  probs_.resize(N * X);
  auto t0 = std::chrono::steady_clock::now();
  // llama.cpp's mul_mat: sgemm's order on a prompt where it runs it, else vec_dot's
  if (L.router.type == GgmlType::F32 && sgemm_f32_applies(X, E, n))
    sgemm_f32(reinterpret_cast<const float*>(L.router.data), X, E, h, n, probs_.data(), pool);
  else
    matmul(L.router, h, n, probs_.data(), pool, scratch);
  matmul_ms += ms_since(t0);
  chosen_.resize(N * K);
  weights_.resize(N * K);
  for (size_t t = 0; t < N; ++t) {
    if (hp.oai_moe) route_oai(L, probs_.data() + t * X, X, K, chosen_.data() + t * K, weights_.data() + t * K);
    else route_softmax(L, probs_.data() + t * X, X, K, chosen_.data() + t * K, weights_.data() + t * K, !hp.qwen2moe);
  }

  // 2. the slots (token, rank) grouped by expert, tokens in order within each
  first_.assign(size_t(X) + 1, 0);
  for (int32_t e : chosen_) ++first_[size_t(e) + 1];
  for (int e = 0; e < X; ++e) first_[size_t(e) + 1] += first_[size_t(e)];
  slots_.resize(N * K);
  {
    std::vector<int64_t> fill(first_.begin(), first_.end() - 1);
    for (size_t s = 0; s < N * K; ++s) slots_[size_t(fill[size_t(chosen_[s])]++)] = int32_t(s);
  }

  // 3. each expert over its tokens: gate and up, SwiGLU, down, times the slot's weight
  weighted_.resize(N * K * E);
  for (int e = 0; e < X; ++e) {
    const int64_t lo = first_[size_t(e)], c = first_[size_t(e) + 1] - lo;
    if (c == 0) continue;
    in_.resize(size_t(c) * E);
    gate_.resize(size_t(c) * F);
    up_.resize(size_t(c) * F);
    down_.resize(size_t(c) * E);
    for (int64_t r = 0; r < c; ++r) {
      const size_t t = size_t(slots_[size_t(lo + r)]) / size_t(K);
      std::copy(h + t * E, h + (t + 1) * E, in_.data() + size_t(r) * E);
    }
    const WeightMatrix gate = expert_rows(L.gate_exps, X, e), up = expert_rows(L.up_exps, X, e),
                       down = expert_rows(L.down_exps, X, e);
    t0 = std::chrono::steady_clock::now();
    const MatmulTarget targets[2] = {{&gate, gate_.data(), MatmulOrder::kMulMatId},
                                     {&up, up_.data(), MatmulOrder::kMulMatId}};
    matmul_multi(targets, 2, in_.data(), c, pool, scratch);
    matmul_ms += ms_since(t0);
    if (hp.oai_moe) {  // ggml_add_id of each expert's biases, then swiglu_oai
      const float* gb = L.gate_exps_b.data() + size_t(e) * F;
      const float* ub = L.up_exps_b.data() + size_t(e) * F;
      for (int64_t r = 0; r < c; ++r) {
        add_inplace(gate_.data() + r * F, gb, F);
        add_inplace(up_.data() + r * F, ub, F);
        swiglu_oai(gate_.data() + r * F, up_.data() + r * F, F);
      }
    } else {
      for (int64_t r = 0; r < c; ++r) swiglu(gate_.data() + r * F, up_.data() + r * F, F);
    }
    t0 = std::chrono::steady_clock::now();
    matmul(down, gate_.data(), c, down_.data(), pool, scratch, MatmulOrder::kMulMatId);
    matmul_ms += ms_since(t0);
    if (hp.oai_moe)
      for (int64_t r = 0; r < c; ++r) add_inplace(down_.data() + r * E, L.down_exps_b.data() + size_t(e) * E, E);
    for (int64_t r = 0; r < c; ++r) {
      const size_t s = size_t(slots_[size_t(lo + r)]);
      const float w = weights_[s];
      const float* d = down_.data() + size_t(r) * E;
      float* o = weighted_.data() + s * E;
      for (int i = 0; i < E; ++i) o[i] = d[i] * w;
    }
  }

  // 4. the slots added in rank order
  for (size_t t = 0; t < N; ++t) {
    float* o = out + t * E;
    const float* first = weighted_.data() + t * K * E;
    std::copy(first, first + E, o);
    for (int j = 1; j < K; ++j) add_inplace(o, first + size_t(j) * E, E);
  }

  // 5. the shared expert (build_ffn: mul_mat's order, SwiGLU), added to the routed sum
  if (hp.n_ff_shexp > 0) {
    const int FS = hp.n_ff_shexp;
    gate_.resize(N * size_t(FS));
    up_.resize(N * size_t(FS));
    down_.resize(N * size_t(E));
    t0 = std::chrono::steady_clock::now();
    const MatmulTarget targets[2] = {{&L.gate_shexp, gate_.data()}, {&L.up_shexp, up_.data()}};
    matmul_multi(targets, 2, h, n, pool, scratch);
    matmul_ms += ms_since(t0);
    for (int64_t r = 0; r < n; ++r) swiglu(gate_.data() + r * FS, up_.data() + r * FS, FS);
    t0 = std::chrono::steady_clock::now();
    matmul(L.down_shexp, gate_.data(), n, down_.data(), pool, scratch);
    if (hp.qwen2moe) {  // times sigmoid(g), g = gate_inp_shexp . h, as ggml_div(ggml_silu(g), g)
      shexp_gate_.resize(N);
      matmul(L.gate_inp_shexp, h, n, shexp_gate_.data(), pool, scratch);
      for (size_t t = 0; t < N; ++t) {
        const float g = shexp_gate_[t], s = (g / (1.0f + std::exp(-g))) / g;
        for (float *d = down_.data() + t * E, *end = d + E; d < end; ++d) *d *= s;
      }
    }
    matmul_ms += ms_since(t0);
    add_inplace(out, down_.data(), n * E);
  }
}

}  // namespace tome
