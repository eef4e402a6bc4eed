// RoarGraphIndex against the exact top-k (FlatIndex / knn_batch) on seeded data,
// with stated recall thresholds, as hnswlib and faiss test their indexes.
// Measured on the development machine (seeded, so every run gives the same
// recall; only times vary), with margins below the measured values (searches
// navigate by the int8 codes, nav_codes.h, 8 expansions per round):
//   in-distribution (Gaussian, decaying spectrum, 16K keys, d 64):
//       recall@10 0.950 at ef 60 scanning 6.9% of the keys  -> assert >= 0.92, <= 10%
//   OOD (synthetic_workload.h, 16K keys, d 128, 16K training queries):
//       graph recall@100 0.982 at ef 200 scanning 5.2%        -> assert >= 0.95, <= 10%
//       ivf (k-means over keys) at >= that scan (7.6%): 0.19  -> assert < 0.5
//       ivf needs 91% of the keys for recall 0.95             -> assert >= 30%
#include <algorithm>
#include <chrono>
#include <cmath>

#include "cpu/thread_pool.h"
#include "retrieval/dot_kernels.h"
#include "retrieval/graph_prune.h"
#include "retrieval/graph_search.h"
#include "retrieval/ivf_index.h"
#include "retrieval/knn_batch.h"
#include "retrieval/roar_graph.h"
#include "retrieval/synthetic_workload.h"
#include "retrieval_test_util.h"

using namespace tome;

namespace {

struct Quality {
  double recall = 0, scanned_frac = 0;
};

Quality measure(const KeyIndex& ix, const Workload& w, const std::vector<int32_t>& truth, int k, SearchParams p) {
  Quality q;
  SearchResult r;
  for (int64_t i = 0; i < w.n_test; ++i) {
    ix.search(w.test.data() + size_t(i) * w.d, p, r);
    q.recall += recall_at_k(r.ids.data(), int64_t(r.ids.size()), truth.data() + size_t(i) * k, k);
    q.scanned_frac += double(r.keys_scanned) / double(ix.size());
  }
  q.recall /= double(w.n_test);
  q.scanned_frac /= double(w.n_test);
  return q;
}

std::vector<int32_t> exact_topk(const Workload& w, int64_t n_keys, int k, ThreadPool* pool) {
  std::vector<int32_t> truth(size_t(w.n_test) * k);
  knn_batch(w.test.data(), w.n_test, size_t(w.d), w.keys.data(), n_keys, size_t(w.d), w.d, k, nullptr, truth.data(),
            nullptr, pool);
  return truth;
}

void report(const char* what, const Quality& q) {
  std::printf("     %s: recall %.4f, scanned %.2f%%\n", what, q.recall, 100.0 * q.scanned_frac);
}

}  // namespace

TEST(graph_recall_in_distribution_gaussian) {
  ThreadPool pool(2);
  const Workload w = make_gaussian_workload(16384, 16384, 200, 64, 7, 16.0f);
  const int k = 10;
  const auto truth = exact_topk(w, w.n_keys, k, &pool);
  GraphBuildParams gp;
  GraphBuildStats st;
  auto g = RoarGraphIndex::build(w.keys.data(), w.n_keys, size_t(w.d), w.d, w.train.data(), w.n_train,
                                 size_t(w.d), gp, &pool, &st);
  CHECK_EQ(g->size(), w.n_keys);
  CHECK_EQ(g->reachable_count(), w.n_keys);
  for (int64_t v = 0; v < g->size(); ++v) CHECK(g->degree(int32_t(v)) <= g->max_degree());
  SearchParams p;
  p.k = k;
  p.ef = 60;
  const Quality q = measure(*g, w, truth, k, p);
  report("gaussian recall@10 ef 60", q);
  CHECK(q.recall >= 0.92);
  CHECK(q.scanned_frac <= 0.10);
}

TEST(graph_recall_out_of_distribution_beats_ivf) {
  ThreadPool pool(2);
  const Workload w = rt::ood_workload(16384, 16384, 200, 128);
  const int k = 100;
  const auto truth = exact_topk(w, w.n_keys, k, &pool);
  GraphBuildStats st;
  auto g = RoarGraphIndex::build(w.keys.data(), w.n_keys, size_t(w.d), w.d, w.train.data(), w.n_train,
                                 size_t(w.d), GraphBuildParams{}, &pool, &st);
  CHECK_EQ(g->reachable_count(), w.n_keys);
  SearchParams p;
  p.k = k;
  p.ef = 200;
  const Quality qg = measure(*g, w, truth, k, p);
  report("ood graph recall@100 ef 200", qg);
  CHECK(qg.recall >= 0.95);
  CHECK(qg.scanned_frac <= 0.10);
  // the quality monitor's widening multiplies the beam: ef 100 widened 2x is ef 200
  SearchParams pw = p;
  pw.ef = 100;
  pw.widen = 2;
  const Quality qw = measure(*g, w, truth, k, pw);
  CHECK_EQ(qw.recall, qg.recall);
  CHECK_EQ(qw.scanned_frac, qg.scanned_frac);

  // IVF on the keys alone, probing until it scans at least what the graph did.
  auto ivf = IvfIndex::build(w.keys.data(), w.n_keys, size_t(w.d), w.d, IvfParams{}, &pool);
  SearchParams pi;
  pi.k = k;
  Quality at_graph_budget, at_095;
  bool budget_seen = false, reached = false;
  const int step = std::max(1, ivf->nlist() / 32);
  for (int nprobe = 1; nprobe <= ivf->nlist(); nprobe = nprobe < 4 * step ? nprobe * 2 : nprobe + step) {
    pi.nprobe = nprobe;
    const Quality qi = measure(*ivf, w, truth, k, pi);
    if (!budget_seen && qi.scanned_frac >= qg.scanned_frac) {
      at_graph_budget = qi;
      budget_seen = true;
    }
    if (qi.recall >= 0.95) {
      at_095 = qi;
      reached = true;
      break;
    }
  }
  report("ood ivf at the graph's scan budget", at_graph_budget);
  report("ood ivf at recall >= 0.95", at_095);
  CHECK(budget_seen && reached);
  CHECK(at_graph_budget.recall < 0.5);
  CHECK(at_095.scanned_frac >= 0.30);
}

TEST(graph_inserted_key_comes_back) {
  ThreadPool pool(2);
  const Workload w = rt::ood_workload(4096, 4096, 20, 64);
  auto g = RoarGraphIndex::build(w.keys.data(), w.n_keys, size_t(w.d), w.d, w.train.data(), w.n_train,
                                 size_t(w.d), GraphBuildParams{}, &pool);
  SearchParams p;
  p.k = 10;
  SearchResult r;
  for (int i = 0; i < 20; ++i) {
    // A key close to test query i (its direction, slightly perturbed) with a
    // norm that makes it that query's exact top-1 by a margin.
    const float* q = w.test.data() + size_t(i) * w.d;
    const double best = rt::naive_topk(q, g->keys().to_f32().data(), g->size(), w.d, 1)[0].first;
    double qq = 0;
    for (int t = 0; t < w.d; ++t) qq += double(q[t]) * q[t];
    const float scale = float(1.5 * std::max(best, 1.0) / qq);
    std::vector<float> key(q, q + w.d);
    const auto noise = rt::gaussian(size_t(w.d), 500 + i, 0.05f);
    for (int t = 0; t < w.d; ++t) key[size_t(t)] = scale * key[size_t(t)] + noise[size_t(t)];
    const int32_t id = i % 2 ? g->insert(key.data()) : g->insert_with_query(key.data(), q);
    CHECK_EQ(id, int32_t(w.n_keys + i));
    // Precondition: the new key is the exact top-1 of q.
    const auto exact = rt::naive_topk(q, g->keys().to_f32().data(), g->size(), w.d, 1);
    CHECK_EQ(exact[0].second, id);
    g->search(q, p, r);
    CHECK(!r.ids.empty());
    CHECK_EQ(r.ids[0], id);
  }
  CHECK_EQ(g->size(), w.n_keys + 20);
}

// prune_occlusion against its rule (graph_prune.h) written out here, nearest
// candidate first, one kept neighbour at a time: the same lists, id for id,
// with and without neighbours kept beforehand, alpha 1 and 1.2, max_out below
// and above what survives (a guard for faster bodies of the pruning).
TEST(prune_occlusion_keeps_what_the_pairwise_rule_keeps) {
  for (int d : {7, 64, 128}) {
    const int64_t n = 300;
    const std::vector<float> kf = rt::gaussian_f16(size_t(n) * d, uint64_t(d));
    std::vector<uint16_t> keys(kf.size());
    for (size_t i = 0; i < kf.size(); ++i) keys[i] = fp32_to_fp16(kf[i]);
    for (int trial = 0; trial < 6; ++trial) {
      const float alpha = trial % 2 ? 1.2f : 1.0f;
      const int max_out = trial < 2 ? 8 : (trial < 4 ? 32 : 200);
      const int pre = trial % 3;  // neighbours kept beforehand
      const float* pivot = kf.data() + size_t(trial) * d;
      std::vector<int32_t> ids;
      for (int32_t v = 10; v < n; ++v) ids.push_back(v);
      std::vector<DistId> sorted;
      sort_by_distance(keys.data(), d, pivot, ids.data(), int64_t(ids.size()), sorted);
      std::vector<int32_t> got(size_t(max_out) + 3, -1), want(got.size(), -1);
      for (int j = 0; j < pre; ++j) got[size_t(j)] = want[size_t(j)] = 6 + j;
      const int n_got = prune_occlusion(keys.data(), d, sorted.data(), int64_t(sorted.size()), max_out, alpha,
                                        got.data(), pre);
      int n_want = pre;
      for (const DistId& c : sorted) {
        if (n_want >= max_out) break;
        bool occluded = false;
        for (int j = 0; j < n_want && !occluded; ++j)
          occluded = alpha * alpha * l2_sq_h(kf.data() + size_t(c.id) * d, keys.data() + size_t(want[size_t(j)]) * d, d) <
                     c.dist;
        if (!occluded) want[size_t(n_want++)] = c.id;
      }
      CHECK_EQ(n_got, n_want);
      CHECK(got == want);
      CHECK(n_got > pre);
    }
  }
}

TEST(graph_growing_context_keeps_recall) {
  // Build over the first 3/4 of the keys, insert the rest one by one (as keys
  // leave the decode window), then search over everything.
  // Measured: recall@100 0.982 overall, 0.974 on the inserted keys (ef 200);
  // without the anchor queries (graph_anchors.h) the inserted keys got 0.85.
  ThreadPool pool(2);
  const Workload w = rt::ood_workload(16384, 16384, 200, 128);
  const int64_t n0 = 12288;
  const int k = 100;
  auto g = RoarGraphIndex::build(w.keys.data(), n0, size_t(w.d), w.d, w.train.data(), w.n_train, size_t(w.d),
                                 GraphBuildParams{}, &pool);
  for (int64_t j = n0; j < w.n_keys; ++j) g->insert(w.keys.data() + size_t(j) * w.d);
  g->reconnect(&pool);
  CHECK_EQ(g->reachable_count(), w.n_keys);
  const auto truth = exact_topk(w, w.n_keys, k, &pool);
  SearchParams p;
  p.k = k;
  p.ef = 200;
  SearchResult r;
  double hit_new = 0, n_new = 0, recall = 0;
  for (int64_t i = 0; i < w.n_test; ++i) {
    g->search(w.test.data() + size_t(i) * w.d, p, r);
    recall += recall_at_k(r.ids.data(), int64_t(r.ids.size()), truth.data() + size_t(i) * k, k);
    std::vector<int32_t> f = r.ids;
    std::sort(f.begin(), f.end());
    for (int j = 0; j < k; ++j) {
      const int32_t t = truth[size_t(i) * k + size_t(j)];
      if (t >= n0) {
        n_new += 1;
        hit_new += std::binary_search(f.begin(), f.end(), t);
      }
    }
  }
  recall /= double(w.n_test);
  std::printf("     grown graph recall@100 %.4f, inserted keys found %.4f (%g in the exact top-k)\n", recall,
              hit_new / n_new, n_new);
  CHECK(n_new > 1000);
  CHECK(recall >= 0.95);
  CHECK(hit_new / n_new >= 0.90);
}

TEST(graph_scheduled_reconnect_keeps_every_key_reachable) {
  // Decode inserts one key per step and never stops to repair; an index told
  // to reconnect every 512 keys (phase 100) does it inside the inserts that
  // bring its size to 100 mod 512, after which every key is reachable.
  ThreadPool pool(2);
  const Workload w = rt::ood_workload(8192, 4096, 1, 64);
  const int64_t n0 = 4096;
  auto g = RoarGraphIndex::build(w.keys.data(), n0, size_t(w.d), w.d, w.train.data(), w.n_train, size_t(w.d),
                                 GraphBuildParams{}, &pool);
  g->reconnect_every(512, 100);
  int64_t points = 0;
  for (int64_t j = n0; j < w.n_keys; ++j) {
    g->insert(w.keys.data() + size_t(j) * w.d);
    if (g->size() % 512 == 100) {
      ++points;
      CHECK_EQ(g->reconnects(), points);
      CHECK_EQ(g->reachable_count(), g->size());
    }
  }
  CHECK_EQ(points, int64_t(8));
  std::printf("     %lld keys had lost every in-edge by the scheduled points\n", (long long)g->reconnect_edges());
}

// mark_reachable walks level by level with its rows requested ahead; the keys
// it reaches are those a plain depth-first walk of the same lists reaches. The
// graph (with inserted keys, so lists run into tail rows) has some lists cut
// to nothing in a copy of its degrees, which strands keys.
TEST(reachable_keys_are_those_a_depth_first_walk_reaches) {
  ThreadPool pool(2);
  const Workload w = rt::ood_workload(6144, 2048, 1, 32);
  auto g = RoarGraphIndex::build(w.keys.data(), 4096, size_t(w.d), w.d, w.train.data(), w.n_train, size_t(w.d),
                                 GraphBuildParams{}, &pool);
  for (int64_t j = 4096; j < w.n_keys; ++j) g->insert(w.keys.data() + size_t(j) * w.d);
  GraphView v = g->view();
  std::vector<uint16_t> deg(v.deg, v.deg + v.n);
  int64_t with_tail = 0;
  for (int64_t u = 0; u < v.n; ++u) {
    with_tail += deg[size_t(u)] > AdjacencyRows::kHead;
    if (u % 3 == 0) deg[size_t(u)] = 0;
  }
  v.deg = deg.data();
  CHECK(with_tail > 0);
  std::vector<uint8_t> expect(size_t(v.n), 0), got;
  std::vector<int32_t> stack;
  int64_t n_expect = 0;
  auto reach = [&](int32_t u) {
    if (!expect[size_t(u)]) expect[size_t(u)] = 1, ++n_expect, stack.push_back(u);
  };
  for (int e = 0; e < v.n_entries; ++e) reach(v.entries[e]);
  while (!stack.empty()) {
    const int32_t u = stack.back();
    stack.pop_back();
    const int32_t* row = v.adj + size_t(u) * size_t(v.stride);
    const ListParts p = AdjacencyRows::parts(row, deg[size_t(u)], v.tails, v.tail_stride);
    for (int i = 0; i < p.n_row; ++i) reach(row[i]);
    for (int i = 0; i < p.n_tail; ++i) reach(p.tail[i]);
  }
  CHECK_EQ(mark_reachable(v, got), n_expect);
  CHECK(got == expect);
  CHECK(n_expect < v.n);
  std::printf("     %lld of %lld keys reached, %lld lists with a tail row\n", (long long)n_expect, (long long)v.n,
              (long long)with_tail);
}

TEST(graph_without_queries_is_a_key_only_graph) {
  const Workload w = make_gaussian_workload(3000, 0, 50, 32, 9, 8.0f);
  auto g = RoarGraphIndex::build(w.keys.data(), w.n_keys, size_t(w.d), w.d, nullptr, 0, size_t(w.d),
                                 GraphBuildParams{}, nullptr);
  CHECK_EQ(g->size(), w.n_keys);
  g->reconnect(nullptr);
  CHECK_EQ(g->reachable_count(), w.n_keys);
  const auto truth = exact_topk(w, w.n_keys, 10, nullptr);
  SearchParams p;
  p.k = 10;
  p.ef = 100;
  const Quality q = measure(*g, w, truth, 10, p);
  report("key-only graph recall@10 ef 100", q);
  CHECK(q.recall >= 0.8);
}

TEST(graph_group_search_unions_heads) {
  ThreadPool pool(2);
  const Workload w = make_gaussian_workload(4000, 4000, 4, 32, 13, 8.0f);
  auto g = RoarGraphIndex::build(w.keys.data(), w.n_keys, size_t(w.d), w.d, w.train.data(), w.n_train,
                                 size_t(w.d), GraphBuildParams{}, &pool);
  SearchParams p;
  p.k = 20;
  SearchResult group, one;
  g->search_group(w.test.data(), 4, p, group);
  std::vector<int32_t> expect;
  int64_t scanned = 0;
  for (int h = 0; h < 4; ++h) {
    g->search(w.test.data() + size_t(h) * w.d, p, one);
    expect.insert(expect.end(), one.ids.begin(), one.ids.end());
    scanned += one.keys_scanned;
  }
  std::sort(expect.begin(), expect.end());
  expect.erase(std::unique(expect.begin(), expect.end()), expect.end());
  std::vector<int32_t> got = group.ids;
  std::sort(got.begin(), got.end());
  CHECK(got == expect);
  CHECK_EQ(group.keys_scanned, scanned);
}

// kJoint: the heads of a group in one traversal. Each head's list must be as
// good as its own search's (recall against the exact top-k, exact scores),
// the result is the union of the lists, and heads that look at the same
// region (correlated queries, as a GQA group's are) share the scanning.
// Measured (OOD, 16K keys, d 128, groups of 4, ef 200, 40 groups):
//   correlated heads   joint recall@100 0.976 scanning 7.8% once (166 us);
//                      per head 0.965 scanning 4 x 5.5% (124 us for the 4)
//   independent heads  joint 0.986 scanning 14.9% (265 us); per head 0.983, 4 x 5.1% (125 us)
// -> assert recall >= 0.95 and within 0.01 of per head; correlated: <= 60% of
// the keys the per-head searches scan. Fewer keys, but not less time: every
// key the traversal visits is scored for every head (more head-key scores
// than the per-head searches make), so joint is an option, not the default.
TEST(graph_joint_group_search_keeps_each_heads_top_k) {
  ThreadPool pool(2);
  const Workload w = rt::ood_workload(16384, 16384, 160, 128);
  const int k = 100, n_q = 4, d = w.d;
  auto g = RoarGraphIndex::build(w.keys.data(), w.n_keys, size_t(d), d, w.train.data(), w.n_train, size_t(d),
                                 GraphBuildParams{}, &pool);
  // correlated groups: each head is its group's test query plus 30% noise
  std::vector<float> correlated(w.test.size());
  const std::vector<float> noise = rt::gaussian(w.test.size(), 99);
  for (int64_t i = 0; i < w.n_test; ++i) {
    const float* base = w.test.data() + size_t(i / n_q * n_q) * d;
    double norm = 0;
    for (int j = 0; j < d; ++j) norm += double(base[j]) * base[j];
    const float s = 0.3f * float(std::sqrt(norm / d));
    for (int j = 0; j < d; ++j) correlated[size_t(i) * d + j] = base[j] + s * noise[size_t(i) * d + j];
  }
  SearchParams p;
  p.k = k;
  p.ef = 200;
  SearchParams pj = p;
  pj.group = GroupMode::kJoint;
  for (const bool corr : {true, false}) {
    const std::vector<float>& qs = corr ? correlated : w.test;
    std::vector<int32_t> truth(size_t(w.n_test) * k);
    knn_batch(qs.data(), w.n_test, size_t(d), w.keys.data(), w.n_keys, size_t(d), d, k, nullptr, truth.data(),
              nullptr, &pool);
    double recall_joint = 0, recall_head = 0, us_joint = 0, us_heads = 0;
    int64_t scanned_joint = 0, scanned_heads = 0;
    SearchResult joint, one;
    for (int64_t grp = 0; grp + n_q <= w.n_test; grp += n_q) {
      const float* q = qs.data() + size_t(grp) * d;
      auto t0 = std::chrono::steady_clock::now();
      g->search_group(q, n_q, pj, joint);
      us_joint += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      scanned_joint += joint.keys_scanned;
      // every head's exact top-k, as far as found, is in the union with its exact score
      for (int h = 0; h < n_q; ++h) {
        const int32_t* t = truth.data() + size_t(grp + h) * k;
        int hit = 0;
        for (int i = 0; i < k; ++i) hit += std::count(joint.ids.begin(), joint.ids.end(), t[i]) > 0;
        recall_joint += double(hit) / k;
        t0 = std::chrono::steady_clock::now();
        g->search(q + size_t(h) * d, p, one);
        us_heads += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
        recall_head += recall_at_k(one.ids.data(), int64_t(one.ids.size()), t, k);
        scanned_heads += one.keys_scanned;
      }
      // scores: exact (one head's q . k: the best of the heads that found the
      // key), best first; ids unique
      for (size_t i = 0; i < joint.ids.size(); ++i) {
        bool matches = false;
        for (int h = 0; h < n_q; ++h) {
          float s = 0;
          dots_gather_h(q + size_t(h) * d, g->keys().data(), size_t(d), &joint.ids[i], 1, d, &s);
          matches |= std::fabs(joint.scores[i] - s) <= 1e-4f * std::max(1.0f, std::fabs(s));
        }
        CHECK(matches);
        if (i > 0) CHECK(joint.scores[i] <= joint.scores[i - 1]);
      }
      std::vector<int32_t> ids = joint.ids;
      std::sort(ids.begin(), ids.end());
      CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    }
    const double groups = double(w.n_test / n_q);
    recall_joint /= groups * n_q;
    recall_head /= groups * n_q;
    const double frac_joint = double(scanned_joint) / groups / double(w.n_keys);
    const double frac_heads = double(scanned_heads) / groups / double(w.n_keys);
    std::printf("     %s heads: joint recall@100 %.4f scanning %.2f%% (%.0f us), per head %.4f scanning %.2f%% (%.0f us)\n",
                corr ? "correlated" : "independent", recall_joint, 100 * frac_joint, us_joint / groups, recall_head,
                100 * frac_heads, us_heads / groups);
    CHECK(recall_joint >= 0.95);
    CHECK(recall_joint >= recall_head - 0.01);
    if (corr) CHECK(frac_joint <= 0.6 * frac_heads);
  }
}

TEST(graph_bad_parameters_are_rejected) {
  const float key[4] = {1, 2, 3, 4};
  GraphBuildParams p;
  p.R = p.M - 1;
  CHECK_THROWS_CODE(RoarGraphIndex::build(key, 1, 4, 4, key, 1, 4, p, nullptr), "BAD_ARGUMENT");
  p = GraphBuildParams{};
  p.kq = 0;
  CHECK_THROWS_CODE(RoarGraphIndex::build(key, 1, 4, 4, key, 1, 4, p, nullptr), "BAD_ARGUMENT");
}

TEST(graph_tiny_and_empty) {
  GraphBuildParams p;
  auto g = RoarGraphIndex::build(nullptr, 0, 4, 4, nullptr, 0, 4, p, nullptr);
  SearchParams sp;
  sp.k = 5;
  SearchResult r;
  const float q[4] = {1, 0, 0, 0};
  g->search(q, sp, r);
  CHECK(r.ids.empty());
  const float keys[12] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
  auto h = RoarGraphIndex::build(keys, 3, 4, 4, q, 1, 4, p, nullptr);
  h->search(q, sp, r);
  CHECK_EQ(r.ids.size(), size_t(3));
  CHECK_EQ(r.ids[0], 0);
  CHECK_EQ(h->reachable_count(), 3);
}

TOME_TEST_MAIN()
