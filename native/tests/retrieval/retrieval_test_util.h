// Helpers shared by the retrieval tests: seeded data, the double-precision
// naive top-k (the oracle of the oracle), and a tie-tolerant comparison of
// top-k lists (float sums in a different order may swap keys whose scores
// differ by rounding only).
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/fp16.h"
#include "retrieval/synthetic_workload.h"
#include "retrieval/rng.h"
#include "retrieval/topk.h"
#include "test_harness.h"

namespace rt {

// The OOD workload (synthetic_workload.h) at these sizes, default seed.
inline tome::Workload ood_workload(int64_t n_keys, int64_t n_train, int64_t n_test, int d) {
  tome::OodWorkloadParams op;
  op.n_keys = n_keys;
  op.n_train = n_train;
  op.n_test = n_test;
  op.d = d;
  return tome::make_ood_workload(op);
}

inline std::vector<float> gaussian(size_t count, uint64_t seed, float scale = 1.0f) {
  tome::Rng rng(seed);
  std::vector<float> v(count);
  for (float& x : v) x = scale * rng.normal();
  return v;
}

// Top-k by q . k in double precision, ties -> lower id. Returns (score, id) best first.
// Gaussian values rounded to f16 precision: keys as the KV cache holds them and
// the indexes store them, so exact top-k over these floats is the indexes' truth.
inline std::vector<float> gaussian_f16(size_t count, uint64_t seed, float scale = 1.0f) {
  std::vector<float> v = gaussian(count, seed, scale);
  for (float& x : v) x = tome::fp16_to_fp32(tome::fp32_to_fp16(x));
  return v;
}

inline std::vector<std::pair<double, int32_t>> naive_topk(const float* q, const float* keys, int64_t n, int d,
                                                          int k) {
  std::vector<std::pair<double, int32_t>> all(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    double s = 0;
    for (int i = 0; i < d; ++i) s += double(q[i]) * double(keys[size_t(j) * d + i]);
    all[size_t(j)] = {s, int32_t(j)};
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  all.resize(std::min<size_t>(all.size(), size_t(k)));
  return all;
}

// Checks got (ids best first) against the exact list: same length; every id in
// got is either in the exact list or scores within tol of its k-th score; the
// reported scores (if any) match the exact q . k within tol.
inline void check_topk_equal(const std::vector<std::pair<double, int32_t>>& exact, const int32_t* got_ids,
                             const float* got_scores, size_t n_got, const float* q, const float* keys, int d,
                             double tol, const char* what) {
  if (n_got != exact.size())
    TOME_FAIL(std::string(what) + ": length " + std::to_string(n_got) + " vs " + std::to_string(exact.size()));
  if (exact.empty()) return;
  const double kth = exact.back().first;
  std::vector<int32_t> ex;
  for (const auto& e : exact) ex.push_back(e.second);
  std::sort(ex.begin(), ex.end());
  for (size_t r = 0; r < n_got; ++r) {
    const int32_t id = got_ids[r];
    double s = 0;
    for (int i = 0; i < d; ++i) s += double(q[i]) * double(keys[size_t(id) * d + i]);
    if (got_scores && std::fabs(got_scores[r] - s) > tol)
      TOME_FAIL(std::string(what) + ": score of id " + std::to_string(id) + " is " + std::to_string(got_scores[r]) +
                ", exact " + std::to_string(s));
    if (!std::binary_search(ex.begin(), ex.end(), id) && std::fabs(s - kth) > tol)
      TOME_FAIL(std::string(what) + ": id " + std::to_string(id) + " (score " + std::to_string(s) +
                ") is not in the exact top-k (k-th score " + std::to_string(kth) + ")");
    if (r > 0 && got_scores && got_scores[r] > got_scores[r - 1]) TOME_FAIL(std::string(what) + ": not sorted");
  }
}

inline double mean_recall(const std::vector<std::vector<int32_t>>& found, const std::vector<int32_t>& truth, int k) {
  double r = 0;
  for (size_t i = 0; i < found.size(); ++i) {
    int hit = 0;
    std::vector<int32_t> f = found[i];
    std::sort(f.begin(), f.end());
    for (int j = 0; j < k; ++j) hit += std::binary_search(f.begin(), f.end(), truth[i * size_t(k) + size_t(j)]);
    r += double(hit) / k;
  }
  return found.empty() ? 1.0 : r / double(found.size());
}

}  // namespace rt
