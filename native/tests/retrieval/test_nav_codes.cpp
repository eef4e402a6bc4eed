// The int8 navigation codes of the graph index (nav_codes.h) and the search
// that navigates by them (graph_search.h, beam_search_reranked):
//   - codes and query codes within half a step of the values they encode, and
//     the code score t * (qc . c) within the bound those steps imply of q . k;
//   - codes grown by appends equal codes computed at once from the same keys
//     (across the kScaleRows point where the scales freeze, and through
//     requantizations below it), so a restored index navigates as the one
//     that wrote it;
//   - a search returns exact f16 scores, best first; the same ids and scores
//     after an image round trip; with ef = k = n it returns every key (exact
//     top-n); a non-finite query navigates by the keys (no crash, same result
//     as nav_keys).
#include <cmath>
#include <vector>

#include "cpu/thread_pool.h"
#include "retrieval/index_io.h"
#include "retrieval/key_matrix.h"
#include "retrieval/nav_codes.h"
#include "retrieval/roar_graph.h"
#include "retrieval/synthetic_workload.h"
#include "retrieval_test_util.h"
#include "test_harness.h"

using namespace tome;

namespace {

KeyMatrix keys_of(const std::vector<float>& v, int d) {
  KeyMatrix m(d);
  m.append(v.data(), int64_t(v.size() / size_t(d)), size_t(d));
  return m;
}

double dot_exact(const float* q, const KeyMatrix& k, int64_t j) {
  std::vector<float> row(size_t(k.dim()));
  k.row_f32(j, row.data());
  double s = 0;
  for (int i = 0; i < k.dim(); ++i) s += double(q[i]) * row[size_t(i)];
  return s;
}

}  // namespace

TEST(codes_approximate_keys_and_scores) {
  for (int d : {1, 7, 33, 64, 100}) {
    // channels of very different ranges (real keys have outlier channels)
    std::vector<float> v = rt::gaussian(size_t(300) * d, uint64_t(d));
    for (size_t i = 0; i < v.size(); ++i) v[i] *= 0.1f + float(i % size_t(d));
    const KeyMatrix keys = keys_of(v, d);
    NavCodes nc;
    nc.assign(keys);
    CHECK_EQ(nc.rows(), keys.rows());
    CHECK_EQ(nc.stride() % 32, 0);
    CHECK(nc.stride() >= d);
    CHECK_EQ(reinterpret_cast<uintptr_t>(nc.data()) % 64, uintptr_t(0));
    const std::vector<float>& s = nc.scales();
    std::vector<float> row(static_cast<size_t>(d));
    for (int64_t j = 0; j < keys.rows(); ++j) {
      keys.row_f32(j, row.data());
      for (int i = 0; i < d; ++i)
        CHECK(std::fabs(row[size_t(i)] - s[size_t(i)] * nc.row(j)[i]) <= 0.5001 * s[size_t(i)]);
      for (int i = d; i < nc.stride(); ++i) CHECK_EQ(int(nc.row(j)[i]), 0);
    }
    const std::vector<float> q = rt::gaussian(size_t(d), 77 + uint64_t(d), 2.0f);
    std::vector<int8_t> qc(size_t(nc.stride()), 99);
    float t = 0;
    CHECK(nc.encode_query(q.data(), qc.data(), &t));
    for (int i = 0; i < d; ++i) CHECK(std::fabs(q[size_t(i)] * s[size_t(i)] - t * qc[size_t(i)]) <= 0.5001 * t);
    for (int i = d; i < nc.stride(); ++i) CHECK_EQ(int(qc[size_t(i)]), 0);
    for (int64_t j = 0; j < keys.rows(); ++j) {
      double code = 0, bound = 0;
      for (int i = 0; i < d; ++i) {
        code += double(qc[size_t(i)]) * nc.row(j)[i];
        bound += 0.5 * t * std::fabs(double(nc.row(j)[i])) + 0.5 * std::fabs(double(q[size_t(i)])) * s[size_t(i)];
      }
      CHECK(std::fabs(t * code - dot_exact(q.data(), keys, j)) <= 1.001 * bound + 1e-6);
    }
    // a zero query: all codes 0; non-finite: refused
    std::vector<float> z(size_t(d), 0.0f);
    CHECK(nc.encode_query(z.data(), qc.data(), &t));
    for (int i = 0; i < nc.stride(); ++i) CHECK_EQ(int(qc[size_t(i)]), 0);
    z[0] = NAN;
    CHECK(!nc.encode_query(z.data(), qc.data(), &t));
  }
}

TEST(codes_grown_by_appends_equal_codes_computed_at_once) {
  const int d = 64;
  const int64_t n = NavCodes::kScaleRows + 700;
  std::vector<float> v = rt::gaussian(size_t(n) * d, 5);
  // a late key far outside the first rows' range: clamped, not a new scale
  for (int i = 0; i < d; ++i) v[size_t(n - 3) * d + i] *= 40.0f;
  KeyMatrix grown(d);
  NavCodes inc;
  inc.assign(grown);  // empty
  for (int64_t j = 0; j < n;) {
    const int64_t step = std::min<int64_t>(n - j, 1 + j % 37);  // single rows and batches
    grown.append(v.data() + size_t(j) * d, step, size_t(d));
    inc.extend(grown);
    j += step;
  }
  NavCodes once;
  once.assign(grown);
  CHECK_EQ(inc.rows(), n);
  CHECK(inc.scales() == once.scales());
  bool same = true;
  for (int64_t j = 0; j < n; ++j)
    for (int i = 0; i < inc.stride(); ++i) same = same && inc.row(j)[i] == once.row(j)[i];
  CHECK(same);
  int clamped = 0;
  for (int i = 0; i < d; ++i) clamped += std::abs(int(once.row(n - 3)[i])) == 127;
  CHECK(clamped > d / 2);
}

TEST(search_returns_exact_scores_and_survives_a_round_trip) {
  ThreadPool pool(2);
  const Workload w = rt::ood_workload(6000, 6000, 30, 64);
  // built over the first keys, grown by the last 200 (inserted keys get codes too)
  const int64_t n0 = w.n_keys - 200;
  auto g = RoarGraphIndex::build(w.keys.data(), n0, size_t(w.d), w.d, w.train.data(), w.n_train, size_t(w.d),
                                 GraphBuildParams{}, &pool);
  for (int64_t j = n0; j < w.n_keys; ++j) g->insert(w.keys.data() + size_t(j) * w.d);
  CHECK_EQ(g->nav_codes().rows(), g->size());
  const std::vector<uint8_t> image = g->serialize(true);
  auto back = deserialize_index(image.data(), image.size());
  const std::vector<float> kf = g->keys().to_f32();
  SearchParams p;
  p.k = 50;
  SearchResult r, rb, rk;
  double recall_codes = 0, recall_keys = 0;
  for (int64_t t = 0; t < w.n_test; ++t) {
    const float* q = w.test.data() + size_t(t) * w.d;
    g->search(q, p, r);
    CHECK_EQ(r.ids.size(), size_t(p.k));
    for (size_t i = 0; i < r.ids.size(); ++i) {
      const double e = dot_exact(q, g->keys(), r.ids[i]);
      CHECK_NEAR(r.scores[i], e, 1e-4 * (std::fabs(e) + 1.0));
      if (i > 0) CHECK(r.scores[i - 1] > r.scores[i] || (r.scores[i - 1] == r.scores[i] && r.ids[i - 1] < r.ids[i]));
    }
    back->search(q, p, rb);
    CHECK(rb.ids == r.ids);
    CHECK(rb.scores == r.scores);
    CHECK_EQ(rb.keys_scanned, r.keys_scanned);
    SearchParams pk = p;
    pk.nav_keys = true;
    g->search(q, pk, rk);
    const auto exact = rt::naive_topk(q, kf.data(), g->size(), w.d, p.k);
    std::vector<int32_t> truth;
    for (const auto& e : exact) truth.push_back(e.second);
    recall_codes += recall_at_k(r.ids.data(), int64_t(r.ids.size()), truth.data(), p.k) / double(w.n_test);
    recall_keys += recall_at_k(rk.ids.data(), int64_t(rk.ids.size()), truth.data(), p.k) / double(w.n_test);
  }
  std::printf("     recall@50 navigating by codes %.4f, by keys %.4f\n", recall_codes, recall_keys);
  CHECK(recall_codes >= 0.95);
  CHECK(recall_codes >= recall_keys - 0.02);

  // ef = k = n: every key (once all are reachable), exactly ranked
  g->reconnect(&pool);
  CHECK_EQ(g->reachable_count(), g->size());
  p.k = int(g->size());
  p.ef = p.k;
  const float* q = w.test.data();
  g->search(q, p, r);
  const auto all = rt::naive_topk(q, kf.data(), g->size(), w.d, p.k);
  rt::check_topk_equal(all, r.ids.data(), r.scores.data(), r.ids.size(), q, kf.data(), w.d, 1e-4, "k = n");

  // a non-finite query: navigates by the keys
  std::vector<float> bad(q, q + w.d);
  bad[3] = INFINITY;
  p.k = 10;
  p.ef = 0;
  g->search(bad.data(), p, r);
  SearchParams pk = p;
  pk.nav_keys = true;
  g->search(bad.data(), pk, rk);
  CHECK(r.ids == rk.ids);
}

TOME_TEST_MAIN()
