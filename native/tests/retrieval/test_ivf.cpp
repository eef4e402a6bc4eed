// IvfIndex and k-means: exact when every list is probed; inserts land in a list.
#include "cpu/thread_pool.h"
#include "retrieval/flat_index.h"
#include "retrieval/ivf_index.h"
#include "retrieval/kmeans.h"
#include "retrieval_test_util.h"

using namespace tome;

TEST(ivf_with_all_lists_probed_equals_flat) {
  ThreadPool pool(2);
  const int d = 64;
  const int64_t n = 6000;
  const auto keys = rt::gaussian_f16(size_t(n) * d, 101);
  const auto qs = rt::gaussian(size_t(30) * d, 102);
  IvfParams ip;
  auto ivf = IvfIndex::build(keys.data(), n, size_t(d), d, ip, &pool);
  CHECK_EQ(ivf->nlist(), 77);  // round(sqrt(6000))
  FlatIndex flat(d);
  flat.add(keys.data(), n, size_t(d));
  SearchParams p;
  p.k = 50;
  p.nprobe = ivf->nlist();
  SearchResult a, b;
  for (int i = 0; i < 30; ++i) {
    const float* q = qs.data() + size_t(i) * d;
    ivf->search(q, p, a);
    flat.search(q, p, b);
    CHECK_EQ(a.keys_scanned, n);
    CHECK_EQ(a.other_dots, int64_t(ivf->nlist()));
    std::vector<std::pair<double, int32_t>> ex;
    for (size_t j = 0; j < b.ids.size(); ++j) ex.push_back({double(b.scores[j]), b.ids[j]});
    rt::check_topk_equal(ex, a.ids.data(), a.scores.data(), a.ids.size(), q, keys.data(), d, 1e-3, "ivf vs flat");
  }
  // Fewer lists scan fewer keys.
  p.nprobe = 4;
  ivf->search(qs.data(), p, a);
  CHECK(a.keys_scanned < n / 4);
  // the quality monitor's widening multiplies the lists probed: 4 widened 2x is 8
  p.widen = 2;
  ivf->search(qs.data(), p, a);
  p.nprobe = 8;
  p.widen = 1;
  ivf->search(qs.data(), p, b);
  CHECK_EQ(a.keys_scanned, b.keys_scanned);
  CHECK(a.ids == b.ids);
}

TEST(ivf_lists_partition_the_keys) {
  const int d = 16;
  const int64_t n = 3000;
  const auto keys = rt::gaussian_f16(size_t(n) * d, 111);
  IvfParams ip;
  ip.nlist = 20;
  auto ivf = IvfIndex::build(keys.data(), n, size_t(d), d, ip, nullptr);
  std::vector<int> seen(static_cast<size_t>(n), 0);
  int64_t total = 0;
  for (int l = 0; l < ivf->nlist(); ++l) {
    for (int32_t id : ivf->list(l)) ++seen[size_t(id)];
    total += int64_t(ivf->list(l).size());
    CHECK(!ivf->list(l).empty());  // Gaussian data: k-means leaves no list empty
  }
  CHECK_EQ(total, n);
  for (int x : seen) CHECK_EQ(x, 1);
}

TEST(kmeans_is_deterministic_for_a_seed) {
  const int d = 8;
  const int64_t n = 2000;
  const auto x = rt::gaussian(size_t(n) * d, 121);
  KMeansParams kp;
  kp.k = 10;
  kp.seed = 7;
  ThreadPool pool(2);
  const auto a = kmeans_l2(x.data(), n, size_t(d), d, kp, nullptr);
  const auto b = kmeans_l2(x.data(), n, size_t(d), d, kp, &pool);
  CHECK(a == b);
  kp.seed = 8;
  CHECK(kmeans_l2(x.data(), n, size_t(d), d, kp, nullptr) != a);
}

TEST(ivf_inserted_key_is_found) {
  const int d = 32;
  const int64_t n = 2000;
  const auto keys = rt::gaussian_f16(size_t(n) * d, 131);
  auto ivf = IvfIndex::build(keys.data(), n, size_t(d), d, IvfParams{}, nullptr);
  auto key = rt::gaussian(d, 132, 3.0f);  // large norm: the top-1 of a query along it
  const int32_t id = ivf->insert(key.data());
  CHECK_EQ(id, int32_t(n));
  CHECK_EQ(ivf->size(), n + 1);
  SearchParams p;
  p.k = 5;
  p.nprobe = ivf->nlist();
  SearchResult r;
  ivf->search(key.data(), p, r);
  CHECK_EQ(r.ids[0], id);
}

TEST(ivf_empty_and_tiny) {
  const int d = 4;
  auto ivf = IvfIndex::build(nullptr, 0, size_t(d), d, IvfParams{}, nullptr);
  SearchParams p;
  p.k = 3;
  SearchResult r;
  const float q[4] = {1, 2, 3, 4};
  ivf->search(q, p, r);
  CHECK(r.ids.empty());
  ivf->insert(q);
  ivf->search(q, p, r);
  CHECK_EQ(r.ids.size(), size_t(1));
}

TOME_TEST_MAIN()
