// Exact top-k keys of sampled queries against a double-precision flat scan:
// the scores are sorted and right, every returned key truly belongs to the top-k
// (up to f32 near-ties at the k-th score), no key twice, -1 tails when n_keys < k.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "common/fp16.h"
#include "cuda/topk_keys.h"
#include "gpu_test_util.h"

using namespace tome;
using namespace tome::cuda;
using namespace gpu_test;

namespace {

void run(int64_t n_q, int64_t n_keys, int hd, int k) {
  std::mt19937 g(seed() + uint32_t(n_q + n_keys + k));
  const int64_t q_stride = hd + 2, key_stride = hd + 8;  // rows with gaps
  std::vector<float> q(size_t(n_q * q_stride));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& x : q) x = nd(g);
  std::vector<uint16_t> keys(size_t(std::max<int64_t>(n_keys, 1) * key_stride));
  for (auto& x : keys) x = fp32_to_fp16(nd(g));
  // a few exact duplicates of key rows: equal scores, lower index must come first
  for (int64_t j = 10; j + 1 < n_keys && j < 40; j += 10)
    std::copy_n(keys.begin() + j * key_stride, hd, keys.begin() + (j + 1) * key_stride);

  auto dq = upload(q);
  auto dk = upload(keys);
  DeviceBuffer<int32_t> didx(size_t(n_q * k));
  DeviceBuffer<float> dsc(size_t(n_q * k));
  poison(didx);
  poison(dsc);
  TopkKeysArgs a;
  a.q = dq.get();
  a.n_q = n_q;
  a.q_stride = q_stride;
  a.keys = dk.get();
  a.n_keys = n_keys;
  a.key_stride = key_stride;
  a.hd = hd;
  a.k = k;
  a.idx = didx.get();
  a.score = dsc.get();
  topk_keys(a, nullptr);
  CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<int32_t> idx = download(didx.get(), size_t(n_q * k));
  const std::vector<float> sc = download(dsc.get(), size_t(n_q * k));

  const std::string what = "topk n_q " + std::to_string(n_q) + " keys " + std::to_string(n_keys) + " hd " +
                           std::to_string(hd) + " k " + std::to_string(k);
  int near_tie_swaps = 0;
  std::vector<double> ref(static_cast<size_t>(n_keys));
  for (int64_t i = 0; i < n_q; ++i) {
    for (int64_t j = 0; j < n_keys; ++j) {
      double s = 0;
      for (int d = 0; d < hd; ++d) s += double(q[size_t(i * q_stride + d)]) * fp16_to_fp32(keys[size_t(j * key_stride + d)]);
      ref[size_t(j)] = s;
    }
    std::vector<int64_t> order(static_cast<size_t>(n_keys));
    for (int64_t j = 0; j < n_keys; ++j) order[size_t(j)] = j;
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return ref[size_t(x)] > ref[size_t(y)]; });
    const int64_t kk = std::min<int64_t>(k, n_keys);
    const double kth = kk > 0 ? ref[size_t(order[size_t(kk - 1)])] : 0.0;
    const double eps = 1e-5 * (1.0 + std::fabs(kth));
    std::set<int32_t> seen;
    for (int r = 0; r < k; ++r) {
      const int32_t j = idx[size_t(i * k + r)];
      const float s = sc[size_t(i * k + r)];
      if (r >= kk) {  // tail when n_keys < k
        CHECK_EQ(j, -1);
        CHECK(s == -INFINITY);
        continue;
      }
      CHECK(j >= 0 && j < n_keys);
      CHECK(seen.insert(j).second);                                  // no key twice
      CHECK_NEAR(s, ref[size_t(j)], 1e-5 * (1.0 + std::fabs(ref[size_t(j)])));  // its score
      if (r > 0) CHECK(s <= sc[size_t(i * k + r - 1)]);             // sorted
      CHECK(ref[size_t(j)] >= kth - eps);                            // in the top-k up to near-ties
      if (j != order[size_t(r)]) {
        // a different key at this rank is only allowed for (near-)equal scores
        CHECK(std::fabs(ref[size_t(j)] - ref[size_t(order[size_t(r)])]) <= eps);
        if (ref[size_t(j)] != ref[size_t(order[size_t(r)])]) ++near_tie_swaps;
      }
    }
  }
  std::printf("     %s: ok (%d near-tie swaps)\n", what.c_str(), near_tie_swaps);
}

}  // namespace

TEST(topk_matches_flat_scan) {
  require_device();
  run(50, 3000, 128, 100);
  run(33, 5000, 64, 256);
  run(70, 257, 128, 16);
  run(5, 1, 128, 1);
}

TEST(topk_fewer_keys_than_k) {
  require_device();
  run(20, 40, 128, 64);
  run(3, 0, 64, 8);
}

TOME_TEST_MAIN()
