#include "retrieval/synthetic_workload.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "retrieval/rng.h"

namespace tome {

namespace {

// d orthonormal rows (d, d), Gram-Schmidt over Gaussian rows.
std::vector<float> random_basis(int d, Rng& rng) {
  std::vector<double> b(size_t(d) * d);
  for (int i = 0; i < d; ++i) {
    double* r = &b[size_t(i) * d];
    for (;;) {
      for (int c = 0; c < d; ++c) r[c] = rng.normal();
      for (int j = 0; j < i; ++j) {
        const double* o = &b[size_t(j) * d];
        double dot = 0;
        for (int c = 0; c < d; ++c) dot += r[c] * o[c];
        for (int c = 0; c < d; ++c) r[c] -= dot * o[c];
      }
      double nrm = 0;
      for (int c = 0; c < d; ++c) nrm += r[c] * r[c];
      nrm = std::sqrt(nrm);
      if (nrm > 1e-6) {
        for (int c = 0; c < d; ++c) r[c] /= nrm;
        break;
      }
    }
  }
  return std::vector<float>(b.begin(), b.end());
}

std::vector<float> random_unit(int d, Rng& rng) {
  std::vector<float> u(static_cast<size_t>(d));
  double n = 0;
  for (float& x : u) {
    x = rng.normal();
    n += double(x) * x;
  }
  for (float& x : u) x = float(x / std::sqrt(n));
  return u;
}

// out += sum_c coef[c] * basis row (first + c)
void add_span(float* out, const float* basis, int d, int first, const float* coef, int count) {
  for (int c = 0; c < count; ++c) {
    const float* row = basis + size_t(first + c) * d;
    for (int i = 0; i < d; ++i) out[i] += coef[c] * row[i];
  }
}

}  // namespace

Workload make_gaussian_workload(int64_t n_keys, int64_t n_train, int64_t n_test, int d, uint64_t seed,
                                float decay_dims) {
  Workload w;
  w.d = d;
  w.n_keys = n_keys;
  w.n_train = n_train;
  w.n_test = n_test;
  Rng rng(seed);
  w.keys.resize(size_t(n_keys) * d);
  w.train.resize(size_t(n_train) * d);
  w.test.resize(size_t(n_test) * d);
  std::vector<float> sd(static_cast<size_t>(d), 1.0f);
  if (decay_dims > 0)
    for (int i = 0; i < d; ++i) sd[size_t(i)] = float(std::exp(-double(i) / decay_dims));
  auto fill = [&](std::vector<float>& v) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = sd[i % size_t(d)] * rng.normal();
  };
  fill(w.keys);
  fill(w.train);
  fill(w.test);
  return w;
}

Workload make_ood_workload(const OodWorkloadParams& p) {
  const int d = p.d, dc = d / 2, ds = d - dc;
  Workload w;
  w.d = d;
  w.n_keys = p.n_keys;
  w.n_train = p.n_train;
  w.n_test = p.n_test;
  Rng rng(p.seed);
  const std::vector<float> basis = random_basis(d, rng);
  const std::vector<float> u_k = random_unit(d, rng), u_q = random_unit(d, rng);
  const int passage = std::max(1, p.passage);
  const int64_t n_passages = std::max<int64_t>(1, (p.n_keys + passage - 1) / passage);
  const int64_t n_topics = p.n_topics > 0 ? std::min<int64_t>(p.n_topics, n_passages) : n_passages;
  std::vector<float> topics(size_t(n_topics) * ds);
  for (float& x : topics) x = p.topic_std * rng.normal();
  // Topic of each passage: a recurring theme, at random positions in the text.
  std::vector<int64_t> topic_of(static_cast<size_t>(n_passages));
  for (int64_t t = 0; t < n_passages; ++t) topic_of[size_t(t)] = t < n_topics ? t : int64_t(rng.below(uint64_t(n_topics)));
  for (int64_t t = n_passages - 1; t > 0; --t) std::swap(topic_of[size_t(t)], topic_of[size_t(rng.below(uint64_t(t + 1)))]);

  std::vector<float> coef(static_cast<size_t>(d));
  w.keys.assign(size_t(p.n_keys) * d, 0.0f);
  for (int64_t j = 0; j < p.n_keys; ++j) {
    float* k = &w.keys[size_t(j) * d];
    for (int i = 0; i < d; ++i) k[i] = p.key_offset * u_k[size_t(i)];
    for (int c = 0; c < dc; ++c) coef[size_t(c)] = p.content_std * rng.normal();
    add_span(k, basis.data(), d, 0, coef.data(), dc);
    const float* tau = &topics[size_t(topic_of[size_t(j / passage)]) * ds];
    for (int c = 0; c < ds; ++c) coef[size_t(c)] = tau[c] + p.key_noise * rng.normal();
    add_span(k, basis.data(), d, dc, coef.data(), ds);
  }
  // Sinks at distinct random ids.
  std::unordered_set<int64_t> sink_ids;
  while (int64_t(sink_ids.size()) < std::min<int64_t>(p.n_sinks, p.n_keys)) sink_ids.insert(int64_t(rng.below(uint64_t(p.n_keys))));
  std::vector<int64_t> sorted_sinks(sink_ids.begin(), sink_ids.end());
  std::sort(sorted_sinks.begin(), sorted_sinks.end());
  for (int64_t j : sorted_sinks) {
    float* k = &w.keys[size_t(j) * d];
    for (int i = 0; i < d; ++i) k[i] = p.key_offset * u_k[size_t(i)] + p.sink_norm * u_q[size_t(i)];
  }

  auto make_queries = [&](std::vector<float>& out, int64_t m) {
    out.assign(size_t(m) * d, 0.0f);
    for (int64_t i = 0; i < m; ++i) {
      float* q = &out[size_t(i) * d];
      for (int c = 0; c < d; ++c) q[c] = p.query_offset * u_q[size_t(c)];
      for (int c = 0; c < dc; ++c) coef[size_t(c)] = p.query_content * rng.normal();
      add_span(q, basis.data(), d, 0, coef.data(), dc);
      const float* tau = &topics[size_t(rng.below(uint64_t(n_topics))) * ds];
      for (int c = 0; c < ds; ++c) coef[size_t(c)] = p.topic_gain * tau[c] + p.query_noise * rng.normal();
      add_span(q, basis.data(), d, dc, coef.data(), ds);
    }
  };
  make_queries(w.train, p.n_train);
  make_queries(w.test, p.n_test);
  return w;
}

double recall_at_k(const int32_t* found, int64_t n_found, const int32_t* truth, int k) {
  if (k <= 0) return 1.0;
  std::unordered_set<int32_t> f(found, found + n_found);
  int hit = 0;
  for (int i = 0; i < k; ++i)
    if (truth[i] >= 0 && f.count(truth[i])) ++hit;
  return double(hit) / double(k);
}

}  // namespace tome
