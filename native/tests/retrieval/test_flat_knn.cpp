// FlatIndex and knn_batch against the double-precision naive top-k.
#include <algorithm>
#include <cstring>

#include "attention/vec_kernels.h"
#include "common/fp16.h"
#include "cpu/cpu_features.h"
#include "cpu/thread_pool.h"
#include "retrieval/flat_index.h"
#include "retrieval/kmeans.h"
#include "retrieval/knn_batch.h"
#include "retrieval/topk.h"
#include "retrieval_test_util.h"

using namespace tome;

TEST(flat_equals_naive_double_topk) {
  for (int d : {64, 67, 128}) {
    const int64_t n = 3000;
    const auto keys = rt::gaussian_f16(size_t(n) * d, 11 + d);
    const auto qs = rt::gaussian(size_t(20) * d, 12 + d);
    ThreadPool pool(2);
    FlatIndex one(d), two(d, &pool);
    one.add(keys.data(), n, size_t(d));
    two.add(keys.data(), n, size_t(d));
    for (int i = 0; i < 20; ++i) {
      const float* q = qs.data() + size_t(i) * d;
      for (int k : {1, 10, 100}) {
        SearchParams p;
        p.k = k;
        SearchResult a, b;
        one.search(q, p, a);
        two.search(q, p, b);
        const auto exact = rt::naive_topk(q, keys.data(), n, d, k);
        rt::check_topk_equal(exact, a.ids.data(), a.scores.data(), a.ids.size(), q, keys.data(), d, 1e-3, "flat");
        CHECK_EQ(a.keys_scanned, n);
        // Threads change nothing: the same kernel scores every row.
        CHECK(a.ids == b.ids);
        CHECK(a.scores == b.scores);
      }
    }
  }
}

TEST(flat_k_larger_than_n_and_empty) {
  const int d = 16;
  FlatIndex f(d);
  SearchParams p;
  p.k = 10;
  SearchResult r;
  const auto q = rt::gaussian(d, 3);
  f.search(q.data(), p, r);
  CHECK(r.ids.empty());
  const auto keys = rt::gaussian_f16(size_t(4) * d, 4);
  f.add(keys.data(), 4, size_t(d));
  f.search(q.data(), p, r);
  CHECK_EQ(r.ids.size(), size_t(4));
}

TEST(knn_batch_equals_per_query_flat) {
  ThreadPool pool(2);
  for (int d : {64, 100, 128}) {
    const int64_t n = 5000, m = 301;  // m not a multiple of the 6-row tile, n not of 16
    const int k = 32;
    const auto keys = rt::gaussian_f16(size_t(n) * d, 21 + d);
    const auto qs = rt::gaussian(size_t(m) * d, 22 + d);
    FlatIndex flat(d);
    flat.add(keys.data(), n, size_t(d));
    std::vector<int32_t> ids(size_t(m) * k);
    std::vector<float> sc(size_t(m) * k);
    knn_batch(qs.data(), m, size_t(d), keys.data(), n, size_t(d), d, k, nullptr, ids.data(), sc.data(), &pool);
    SearchParams p;
    p.k = k;
    SearchResult r;
    for (int64_t i = 0; i < m; ++i) {
      const float* q = qs.data() + size_t(i) * d;
      flat.search(q, p, r);
      std::vector<std::pair<double, int32_t>> as_exact;
      for (size_t j = 0; j < r.ids.size(); ++j) as_exact.push_back({double(r.scores[j]), r.ids[j]});
      rt::check_topk_equal(as_exact, ids.data() + size_t(i) * k, sc.data() + size_t(i) * k, size_t(k), q,
                           keys.data(), d, 1e-3, "knn_batch vs flat");
      rt::check_topk_equal(rt::naive_topk(q, keys.data(), n, d, k), ids.data() + size_t(i) * k,
                           sc.data() + size_t(i) * k, size_t(k), q, keys.data(), d, 1e-3, "knn_batch vs naive");
    }
  }
}

TEST(knn_batch_scalar_path_matches_simd_path) {
  if (!simd_enabled()) SKIP("no AVX2 on this CPU: only the scalar path exists");
  const int d = 72, k = 8;
  const int64_t n = 777, m = 50;
  const auto keys = rt::gaussian_f16(size_t(n) * d, 31);
  const auto qs = rt::gaussian(size_t(m) * d, 32);
  std::vector<int32_t> a(size_t(m) * k), b(size_t(m) * k);
  std::vector<float> sa(size_t(m) * k), sb(size_t(m) * k);
  knn_batch(qs.data(), m, size_t(d), keys.data(), n, size_t(d), d, k, nullptr, a.data(), sa.data(), nullptr);
  set_force_scalar(true);
  knn_batch(qs.data(), m, size_t(d), keys.data(), n, size_t(d), d, k, nullptr, b.data(), sb.data(), nullptr);
  set_force_scalar(false);
  for (int64_t i = 0; i < m; ++i) {
    std::vector<std::pair<double, int32_t>> ex;
    for (int j = 0; j < k; ++j) ex.push_back({double(sa[size_t(i) * k + j]), a[size_t(i) * k + j]});
    rt::check_topk_equal(ex, b.data() + size_t(i) * k, sb.data() + size_t(i) * k, size_t(k),
                         qs.data() + size_t(i) * d, keys.data(), d, 1e-3, "scalar vs avx2");
  }
}

// The AVX-512 tile (12 x 32) sums every score as the AVX2 tile (6 x 16) does:
// same ids and score bits over row remainders (mr 1..12), odd panel counts,
// key counts crossing the L2 blocks, a bias, and ties (duplicated keys).
TEST(knn_batch_avx512_tile_matches_avx2_tile_bit_for_bit) {
  if (!simd_enabled() || !cpu_features().avx512) SKIP("no AVX-512 on this CPU: only the AVX2 tile runs");
  ThreadPool pool(2);
  const int d = 72;
  for (const int64_t n : {int64_t(5), int64_t(16), int64_t(17), int64_t(33), int64_t(777), int64_t(3100)})
    for (const int64_t m : {int64_t(1), int64_t(11), int64_t(12), int64_t(13), int64_t(50)})
      for (const int k : {8, 40}) {
        auto keys = rt::gaussian_f16(size_t(n) * d, uint64_t(31 + n));
        if (n > 20) std::memcpy(keys.data() + size_t(d) * 19, keys.data() + size_t(d) * 3, sizeof(float) * d);
        const auto qs = rt::gaussian(size_t(m) * d, uint64_t(32 + m));
        const auto bias = rt::gaussian(size_t(n), uint64_t(33 + n));
        for (const bool with_bias : {false, true}) {
          const float* b = with_bias ? bias.data() : nullptr;
          std::vector<int32_t> ia(size_t(m) * k), ib(size_t(m) * k);
          std::vector<float> sa(size_t(m) * k), sb(size_t(m) * k);
          knn_batch(qs.data(), m, size_t(d), keys.data(), n, size_t(d), d, k, b, ia.data(), sa.data(), &pool,
                    KnnKernel::kAvx2);
          knn_batch(qs.data(), m, size_t(d), keys.data(), n, size_t(d), d, k, b, ib.data(), sb.data(), &pool,
                    KnnKernel::kAvx512);
          CHECK(ia == ib);
          CHECK(std::memcmp(sa.data(), sb.data(), sa.size() * sizeof(float)) == 0);
        }
      }
}

// select_best (knn_batch's buffer compaction) keeps nth_element's contract:
// b[0, k) are the k best by rank, b[k - 1] the k-th, b a permutation. Scores
// with many ties (ranked by id), random, ascending and descending orders.
TEST(select_best_matches_a_full_sort) {
  uint64_t seed = 7;
  auto next = [&]() { return (seed = seed * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  for (const int n : {1, 2, 33, 34, 100, 200, 257, 1000, 5000})
    for (const int kind : {0, 1, 2, 3})
      for (const int kf : {1, 2, 3, 4}) {
        const int k = std::max(1, kf == 1 ? 1 : kf == 2 ? n / 2 : kf == 3 ? n - 1 : std::min(n, 100));
        std::vector<Scored> b(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) {
          const float v = kind == 0 ? float(next() % 7) : kind == 1 ? float(next() % 100000) * 1e-3f
                          : kind == 2 ? float(i) : float(n - i);
          b[size_t(i)] = Scored{v, int32_t((i * 7919) % n + 3 * n)};  // distinct ids, not in order
        }
        std::vector<Scored> sorted = b;
        std::sort(sorted.begin(), sorted.end(), ranks_before);
        select_best(b.data(), n, k);
        CHECK_EQ(b[size_t(k - 1)].id, sorted[size_t(k - 1)].id);
        std::vector<int32_t> got, want, all_got, all_want;
        for (int i = 0; i < n; ++i) {
          (i < k ? got : all_got).push_back(b[size_t(i)].id);
          (i < k ? want : all_want).push_back(sorted[size_t(i)].id);
        }
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
        std::sort(all_got.begin(), all_got.end());
        std::sort(all_want.begin(), all_want.end());
        CHECK(got == want);
        CHECK(all_got == all_want);
      }
}

TEST(knn_batch_pads_when_fewer_keys_than_k) {
  const int d = 8, k = 5;
  const auto keys = rt::gaussian_f16(size_t(3) * d, 41);
  const auto q = rt::gaussian(d, 42);
  std::vector<int32_t> ids(k);
  std::vector<float> sc(k);
  knn_batch(q.data(), 1, size_t(d), keys.data(), 3, size_t(d), d, k, nullptr, ids.data(), sc.data(), nullptr);
  for (int j = 0; j < 3; ++j) CHECK(ids[j] >= 0 && ids[j] < 3);
  CHECK_EQ(ids[3], -1);
  CHECK_EQ(ids[4], -1);
  CHECK(std::isinf(sc[4]) && sc[4] < 0);
}

TEST(knn_batch_bias_gives_nearest_centroid) {
  const int d = 24, nc = 37;
  const int64_t n = 500;
  const auto x = rt::gaussian(size_t(n) * d, 51);
  const auto c = rt::gaussian(size_t(nc) * d, 52);
  std::vector<int32_t> got(static_cast<size_t>(n));
  assign_nearest_l2(x.data(), n, size_t(d), c.data(), nc, d, got.data(), nullptr);
  for (int64_t i = 0; i < n; ++i) {
    double best = 1e300, second = 1e300;
    int arg = -1;
    for (int j = 0; j < nc; ++j) {
      double s = 0;
      for (int t = 0; t < d; ++t) {
        const double df = double(x[size_t(i) * d + t]) - c[size_t(j) * d + t];
        s += df * df;
      }
      if (s < best) {
        second = best;
        best = s;
        arg = j;
      } else if (s < second) {
        second = s;
      }
    }
    if (second - best > 1e-3) CHECK_EQ(got[size_t(i)], arg);
  }
}

TEST(f16_insert_equals_converted_f32_insert) {
  const int d = 64;
  const auto keys = rt::gaussian_f16(size_t(10) * d, 61);
  std::vector<uint16_t> h(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) h[i] = fp32_to_fp16(keys[i]);
  FlatIndex a(d), b(d), c(d);
  std::vector<float> row(static_cast<size_t>(d));
  for (int j = 0; j < 10; ++j) {
    a.insert_f16(h.data() + size_t(j) * d);
    for (int i = 0; i < d; ++i) row[size_t(i)] = fp16_to_fp32(h[size_t(j) * d + i]);
    b.insert(row.data());
  }
  c.add_f16(h.data(), 10, size_t(d));
  CHECK(std::memcmp(a.keys().data(), b.keys().data(), sizeof(uint16_t) * 10 * d) == 0);
  CHECK(std::memcmp(c.keys().data(), b.keys().data(), sizeof(uint16_t) * 10 * d) == 0);
  CHECK(std::memcmp(c.keys().data(), h.data(), sizeof(uint16_t) * 10 * d) == 0);  // f16 keys kept as they are
}

TEST(group_search_union_and_mean) {
  const int d = 32, n_q = 4;
  const int64_t n = 2000;
  const auto keys = rt::gaussian_f16(size_t(n) * d, 71);
  const auto qs = rt::gaussian(size_t(n_q) * d, 72);
  FlatIndex f(d);
  f.add(keys.data(), n, size_t(d));
  SearchParams p;
  p.k = 20;
  SearchResult group, one;
  f.search_group(qs.data(), n_q, p, group);
  // Union of the heads' top-k, each id once, best score first.
  std::vector<int32_t> expect;
  for (int h = 0; h < n_q; ++h) {
    f.search(qs.data() + size_t(h) * d, p, one);
    expect.insert(expect.end(), one.ids.begin(), one.ids.end());
  }
  std::sort(expect.begin(), expect.end());
  expect.erase(std::unique(expect.begin(), expect.end()), expect.end());
  std::vector<int32_t> got = group.ids;
  std::sort(got.begin(), got.end());
  CHECK(got == expect);
  for (size_t i = 1; i < group.scores.size(); ++i) CHECK(group.scores[i] <= group.scores[i - 1]);
  CHECK_EQ(group.keys_scanned, n * n_q);
  // The base-class union (used by graph and ivf) gives the same set.
  SearchResult base;
  f.KeyIndex::search_group(qs.data(), n_q, p, base);
  std::vector<int32_t> got2 = base.ids;
  std::sort(got2.begin(), got2.end());
  CHECK(got2 == expect);
  // kMean: one search with the mean query.
  p.group = GroupMode::kMean;
  f.search_group(qs.data(), n_q, p, group);
  std::vector<float> mean(static_cast<size_t>(d), 0.0f);
  for (int h = 0; h < n_q; ++h)
    for (int i = 0; i < d; ++i) mean[size_t(i)] += qs[size_t(h) * d + i] / n_q;
  const auto exact = rt::naive_topk(mean.data(), keys.data(), n, d, 20);
  rt::check_topk_equal(exact, group.ids.data(), group.scores.data(), group.ids.size(), mean.data(), keys.data(), d,
                       1e-3, "kMean");
}

TOME_TEST_MAIN()
