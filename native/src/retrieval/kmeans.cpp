#include "retrieval/kmeans.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "retrieval/knn_batch.h"
#include "retrieval/rng.h"

namespace tome {

void assign_nearest_l2(const float* X, int64_t n, size_t ld, const float* C, int k, int d, int32_t* out,
                       ThreadPool* pool) {
  // argmin |x - c|^2 = argmax (x . c - |c|^2 / 2)
  std::vector<float> bias(static_cast<size_t>(k));
  for (int c = 0; c < k; ++c) {
    double s = 0;
    for (int i = 0; i < d; ++i) s += double(C[size_t(c) * d + i]) * C[size_t(c) * d + i];
    bias[size_t(c)] = float(-0.5 * s);
  }
  knn_batch(X, n, ld, C, k, size_t(d), d, 1, bias.data(), out, nullptr, pool);
}

std::vector<float> kmeans_l2(const float* X, int64_t n, size_t ld, int d, const KMeansParams& p, ThreadPool* pool) {
  if (p.k <= 0 || n <= 0) throw Error("BAD_ARGUMENT", "kmeans: needs k > 0 and rows");
  Rng rng(p.seed);
  // Training sample: a seeded random subset (partial Fisher-Yates over ids).
  const int64_t want = p.max_sample > 0 ? p.max_sample : int64_t(p.k) * 64;
  const int64_t s = std::min(n, std::max<int64_t>(want, p.k));
  std::vector<int64_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), int64_t(0));
  for (int64_t i = 0; i < s; ++i) std::swap(ids[size_t(i)], ids[size_t(i + int64_t(rng.below(uint64_t(n - i))))]);
  std::vector<float> S(size_t(s) * d);
  for (int64_t i = 0; i < s; ++i) std::copy(X + size_t(ids[size_t(i)]) * ld, X + size_t(ids[size_t(i)]) * ld + d, &S[size_t(i) * d]);

  const int k = int(std::min<int64_t>(p.k, s));
  std::vector<float> C(size_t(k) * d);
  std::copy(S.begin(), S.begin() + size_t(k) * d, C.begin());  // the sample is already shuffled

  std::vector<int32_t> assign(static_cast<size_t>(s));
  std::vector<double> sum(size_t(k) * d);
  std::vector<int64_t> count(static_cast<size_t>(k));
  for (int it = 0; it < p.iters; ++it) {
    assign_nearest_l2(S.data(), s, size_t(d), C.data(), k, d, assign.data(), pool);
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (int64_t i = 0; i < s; ++i) {
      const int c = assign[size_t(i)];
      ++count[size_t(c)];
      for (int j = 0; j < d; ++j) sum[size_t(c) * d + j] += S[size_t(i) * d + j];
    }
    for (int c = 0; c < k; ++c)
      if (count[size_t(c)] > 0)
        for (int j = 0; j < d; ++j) C[size_t(c) * d + j] = float(sum[size_t(c) * d + j] / double(count[size_t(c)]));
    // Re-seed empty clusters inside the largest one.
    for (int c = 0; c < k; ++c) {
      if (count[size_t(c)] > 0) continue;
      const int big = int(std::max_element(count.begin(), count.end()) - count.begin());
      std::vector<int64_t> members;
      for (int64_t i = 0; i < s; ++i)
        if (assign[size_t(i)] == big) members.push_back(i);
      if (members.size() < 2) break;
      const int64_t pick = members[size_t(rng.below(members.size()))];
      for (int j = 0; j < d; ++j) {
        const float v = S[size_t(pick) * d + j];
        C[size_t(c) * d + j] = v * (1.0f + 1e-3f * (rng.normal()));
      }
      count[size_t(big)] -= int64_t(members.size()) / 2;
      count[size_t(c)] = int64_t(members.size()) / 2;
    }
  }
  return C;
}

}  // namespace tome
