// RoarGraphIndex::build: the five steps listed in roar_graph.h.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <numeric>

#include "common/error.h"
#include "retrieval/graph_prune.h"
#include "retrieval/graph_search.h"
#include "retrieval/knn_batch.h"
#include "cpu/parallel.h"
#include "retrieval/rng.h"
#include "retrieval/epoch_marks.h"
#include "retrieval/roar_graph.h"

namespace tome {

// Implemented in graph_connect.cpp.
int64_t connect_unreached(RoarGraphIndex& g, ThreadPool* pool);

namespace {

// Wall and process-CPU time of a build phase (CPU time, summed over threads,
// is what a loaded machine cannot inflate).
struct PhaseTimer {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  std::clock_t cpu = std::clock();
  void restart() { *this = PhaseTimer(); }
  double wall_s() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(); }
  double cpu_s() const { return double(std::clock() - cpu) / CLOCKS_PER_SEC; }
};


// Counting sort of items by key: offsets (n_keys + 1), items grouped by key.
void bucket(const std::vector<int32_t>& key_of, int64_t n_keys, std::vector<int64_t>& offsets,
            std::vector<int32_t>& items) {
  offsets.assign(size_t(n_keys) + 1, 0);
  for (int32_t k : key_of)
    if (k >= 0) ++offsets[size_t(k) + 1];
  for (int64_t i = 0; i < n_keys; ++i) offsets[size_t(i) + 1] += offsets[size_t(i)];
  items.resize(size_t(offsets[size_t(n_keys)]));
  std::vector<int64_t> fill(offsets.begin(), offsets.end() - 1);
  for (size_t i = 0; i < key_of.size(); ++i)
    if (key_of[i] >= 0) items[size_t(fill[size_t(key_of[i])]++)] = int32_t(i);
}

}  // namespace

struct GraphBuilder {
  RoarGraphIndex& g;
  const GraphBuildParams& p;
  ThreadPool* pool;
  int64_t n = 0;
  int d = 0;
  const float* kf = nullptr;  // the stored (f16) keys widened, (n, d): pivots and kNN run in f32
  int32_t* dense = nullptr;   // (n, R) rows, first deg[v] valid, until the graph's own rows take them

  int32_t* row(int32_t v) { return dense + size_t(v) * size_t(g.R_); }
  const float* key(int32_t v) const { return kf + size_t(v) * size_t(d); }

  // Step 2: pivots keep at most M of their queries' other top keys.
  int64_t project(const std::vector<int32_t>& top, int64_t m, int kq, const std::vector<int32_t>& pivot_of) {
    std::vector<int64_t> off;
    std::vector<int32_t> queries;
    bucket(pivot_of, n, off, queries);
    std::vector<int32_t> pivots;
    for (int64_t v = 0; v < n; ++v)
      if (off[size_t(v) + 1] > off[size_t(v)]) pivots.push_back(int32_t(v));
    const int T = pool_threads(pool);
    std::vector<EpochMarks> marks(static_cast<size_t>(T));
    std::vector<std::vector<int32_t>> pools(static_cast<size_t>(T));
    std::vector<std::vector<DistId>> sorted(static_cast<size_t>(T));
    parallel_dynamic(pool, int64_t(pivots.size()), 64, [&](int64_t i, int t) {
      const int32_t pv = pivots[size_t(i)];
      EpochMarks& mk = marks[size_t(t)];
      std::vector<int32_t>& cand = pools[size_t(t)];
      mk.begin(n);
      mk.test_and_set(pv);
      cand.clear();
      for (int64_t a = off[size_t(pv)]; a < off[size_t(pv) + 1]; ++a) {
        const int32_t* list = top.data() + size_t(queries[size_t(a)]) * size_t(kq);
        for (int r = 0; r < kq; ++r)
          if (list[r] >= 0 && !mk.test_and_set(list[r])) cand.push_back(list[r]);
      }
      // cand is in query-rank order: the first rank_slots are kept as they are
      // (the keys the queries scored highest), the rest by occlusion.
      const int pre = int(std::min<int64_t>(std::min(p.rank_slots, g.M_), int64_t(cand.size())));
      std::copy(cand.begin(), cand.begin() + pre, row(pv));
      sort_by_distance(g.keys_.data(), d, key(pv), cand.data() + pre, int64_t(cand.size()) - pre,
                       sorted[size_t(t)]);
      g.deg_[size_t(pv)] = uint16_t(prune_occlusion(g.keys_.data(), d, sorted[size_t(t)].data(),
                                                    int64_t(sorted[size_t(t)].size()), g.M_, g.alpha_, row(pv), pre));
    });
    (void)m;
    return int64_t(pivots.size());
  }

  // Entry points: the most frequent top-1 keys of the training queries.
  void choose_entries(const std::vector<int32_t>& top, int64_t m, int kq) {
    const int want = p.n_entry > 0 ? p.n_entry
                                   : int(std::clamp<int64_t>(int64_t(std::sqrt(double(n)) / 4), 8, 64));
    std::vector<int32_t> freq(size_t(n), 0);
    for (int64_t i = 0; i < m * kq; ++i)
      if (top[size_t(i)] >= 0) ++freq[size_t(top[size_t(i)])];
    std::vector<int32_t> cand;
    for (int64_t v = 0; v < n; ++v)
      if (freq[size_t(v)] > 0) cand.push_back(int32_t(v));
    std::sort(cand.begin(), cand.end(), [&](int32_t a, int32_t b) {
      return freq[size_t(a)] > freq[size_t(b)] || (freq[size_t(a)] == freq[size_t(b)] && a < b);
    });
    if (int64_t(cand.size()) > want) cand.resize(size_t(want));
    if (cand.empty()) cand.push_back(0);
    g.entries_ = cand;
  }

  // Keys with no edge in or out after the projection.
  std::vector<int32_t> isolated_keys() {
    std::vector<uint8_t> has_in(size_t(n), 0);
    for (int64_t v = 0; v < n; ++v)
      for (int i = 0; i < g.deg_[size_t(v)]; ++i) has_in[size_t(row(int32_t(v))[i])] = 1;
    for (int32_t e : g.entries_) has_in[size_t(e)] = 1;
    std::vector<int32_t> todo;
    for (int64_t v = 0; v < n; ++v)
      if (!has_in[size_t(v)] && g.deg_[size_t(v)] == 0) todo.push_back(int32_t(v));
    return todo;
  }

  // Step 3 (with queries): an isolated key u joins the top-kq lists of the
  // training queries it comes closest to entering: the r queries with the
  // largest q . u - theta_q (theta_q = the query's kq-th best score), found by
  // one more knn_batch (isolated keys x sampled queries, bias -theta). The
  // union of those queries' top lists, pruned around u, becomes u's edges.
  int64_t link_by_queries(const std::vector<int32_t>& todo, const std::vector<int32_t>& top,
                          const std::vector<float>& top_scores, const float* Q, size_t ldq, int64_t m, int kq) {
    const int r_best = p.link_queries;
    const int64_t stride = std::max<int64_t>(1, (m + p.link_query_sample - 1) / std::max<int64_t>(1, p.link_query_sample));
    std::vector<int32_t> qid;
    for (int64_t i = 0; i < m; i += stride) qid.push_back(int32_t(i));
    const int64_t ms = int64_t(qid.size());
    std::vector<float> Qs(static_cast<size_t>(ms) * size_t(d)), bias(static_cast<size_t>(ms));
    for (int64_t i = 0; i < ms; ++i) {
      std::copy(Q + size_t(qid[size_t(i)]) * ldq, Q + size_t(qid[size_t(i)]) * ldq + d, Qs.data() + size_t(i) * d);
      const float theta = top_scores[size_t(qid[size_t(i)]) * kq + size_t(kq - 1)];
      bias[size_t(i)] = std::isfinite(theta) ? -theta : 0.0f;
    }
    const int64_t ni = int64_t(todo.size());
    std::vector<float> X(size_t(ni) * size_t(d));
    for (int64_t i = 0; i < ni; ++i)
      std::copy(key(todo[size_t(i)]), key(todo[size_t(i)]) + d, X.data() + size_t(i) * d);
    std::vector<int32_t> best(size_t(ni) * size_t(r_best));
    knn_batch(X.data(), ni, size_t(d), Qs.data(), ms, size_t(d), d, r_best, bias.data(), best.data(), nullptr, pool);
    const int T = pool_threads(pool);
    std::vector<EpochMarks> marks(static_cast<size_t>(T));
    std::vector<std::vector<int32_t>> pools(static_cast<size_t>(T));
    std::vector<std::vector<DistId>> sorted(static_cast<size_t>(T));
    parallel_dynamic(pool, ni, 64, [&](int64_t i, int t) {
      const int32_t u = todo[size_t(i)];
      EpochMarks& mk = marks[size_t(t)];
      std::vector<int32_t>& cand = pools[size_t(t)];
      mk.begin(n);
      mk.test_and_set(u);
      cand.clear();
      for (int j = 0; j < r_best; ++j) {
        const int32_t b = best[size_t(i) * r_best + j];
        if (b < 0) continue;
        const int32_t* list = top.data() + size_t(qid[size_t(b)]) * kq;
        for (int r = 0; r < kq; ++r)
          if (list[r] >= 0 && !mk.test_and_set(list[r])) cand.push_back(list[r]);
      }
      sort_by_distance(g.keys_.data(), d, key(u), cand.data(), int64_t(cand.size()), sorted[size_t(t)]);
      g.deg_[size_t(u)] = uint16_t(prune_occlusion(g.keys_.data(), d, sorted[size_t(t)].data(),
                                                   int64_t(sorted[size_t(t)].size()), g.M_, g.alpha_, row(u)));
    });
    return ni;
  }

  // Step 3 (without queries): out-edges from a search with the key itself.
  int64_t link_by_search(const std::vector<int32_t>& todo) {
    // Searches read the graph as it was before this step (isolated keys have
    // deg 0 there, so no search expands a row being written).
    const std::vector<uint16_t> deg_before = g.deg_;
    GraphView view = g.view();
    view.adj = dense;
    view.stride = g.R_;
    view.tails = nullptr;
    view.deg = deg_before.data();
    const SearchMetric metric =
        g.link_metric_ == LinkMetric::kL2 ? SearchMetric::kL2 : SearchMetric::kInnerProduct;
    const int T = pool_threads(pool);
    std::vector<std::vector<Scored>> res(static_cast<size_t>(T));
    std::vector<std::vector<int32_t>> ids(static_cast<size_t>(T));
    std::vector<std::vector<DistId>> sorted(static_cast<size_t>(T));
    parallel_dynamic(pool, int64_t(todo.size()), 32, [&](int64_t i, int t) {
      const int32_t u = todo[size_t(i)];
      int64_t scanned = 0;
      beam_search(view, key(u), metric, g.ef_link_, res[size_t(t)], &scanned);
      ids[size_t(t)].clear();
      for (const Scored& s : res[size_t(t)])
        if (s.id != u) ids[size_t(t)].push_back(s.id);
      sort_by_distance(g.keys_.data(), d, key(u), ids[size_t(t)].data(), int64_t(ids[size_t(t)].size()),
                       sorted[size_t(t)]);
      g.deg_[size_t(u)] = uint16_t(prune_occlusion(g.keys_.data(), d, sorted[size_t(t)].data(),
                                                   int64_t(sorted[size_t(t)].size()), g.M_, g.alpha_, row(u)));
    });
    return int64_t(todo.size());
  }

  // Step 4: every edge u->v proposes v->u; lists over R are re-pruned around v.
  void add_reverse_edges() {
    std::vector<int32_t> src_of_edge, dst_of_edge;
    std::vector<int64_t> off(size_t(n) + 1, 0);
    for (int64_t u = 0; u < n; ++u)
      for (int i = 0; i < g.deg_[size_t(u)]; ++i) ++off[size_t(row(int32_t(u))[i]) + 1];
    for (int64_t v = 0; v < n; ++v) off[size_t(v) + 1] += off[size_t(v)];
    std::vector<int32_t> rev(size_t(off[size_t(n)]));
    {
      std::vector<int64_t> fill(off.begin(), off.end() - 1);
      for (int64_t u = 0; u < n; ++u)
        for (int i = 0; i < g.deg_[size_t(u)]; ++i) rev[size_t(fill[size_t(row(int32_t(u))[i])]++)] = int32_t(u);
    }
    const int T = pool_threads(pool);
    std::vector<EpochMarks> marks(static_cast<size_t>(T));
    std::vector<std::vector<int32_t>> pools(static_cast<size_t>(T));
    std::vector<std::vector<DistId>> sorted(static_cast<size_t>(T));
    parallel_dynamic(pool, n, 256, [&](int64_t vi, int t) {
      const int32_t v = int32_t(vi);
      if (off[size_t(v) + 1] == off[size_t(v)]) return;
      EpochMarks& mk = marks[size_t(t)];
      std::vector<int32_t>& cand = pools[size_t(t)];
      mk.begin(n);
      mk.test_and_set(v);
      cand.clear();
      int32_t* r = row(v);
      for (int i = 0; i < g.deg_[size_t(v)]; ++i)
        if (!mk.test_and_set(r[i])) cand.push_back(r[i]);
      for (int64_t a = off[size_t(v)]; a < off[size_t(v) + 1]; ++a)
        if (!mk.test_and_set(rev[size_t(a)])) cand.push_back(rev[size_t(a)]);
      if (int64_t(cand.size()) <= g.R_) {
        std::copy(cand.begin(), cand.end(), r);
        g.deg_[size_t(v)] = uint16_t(cand.size());
      } else {
        sort_by_distance(g.keys_.data(), d, key(v), cand.data(), int64_t(cand.size()), sorted[size_t(t)]);
        g.deg_[size_t(v)] = uint16_t(prune_occlusion(g.keys_.data(), d, sorted[size_t(t)].data(),
                                                     int64_t(sorted[size_t(t)].size()), g.R_, g.alpha_, r));
      }
    });
  }
};

std::unique_ptr<RoarGraphIndex> RoarGraphIndex::build(const float* keys, int64_t n, size_t key_stride, int d,
                                                      const float* queries, int64_t m, size_t query_stride,
                                                      const GraphBuildParams& p, ThreadPool* pool,
                                                      GraphBuildStats* stats) {
  if (d <= 0 || n < 0 || n > INT32_MAX || m < 0) throw Error("BAD_ARGUMENT", "RoarGraphIndex: bad shape");
  if (p.kq < 1 || p.M < 1 || p.R < p.M || p.R > 65535 || p.pivot_cap < 1 || p.ef_link < 1 || p.ef_link > (1 << 20) ||
      !(p.alpha >= 1.0f && p.alpha <= 100.0f) || p.link_queries < 0 || p.link_query_sample < 1 || p.rank_slots < 0 ||
      p.n_entry < 0 || p.n_anchors < 0 || p.anchor_k < 1 || p.anchor_k > 4096 || p.anchor_links < 0 || p.anchor_links > 64 ||
      p.default_ef < 0 || p.default_ef > (1 << 20) || p.max_queries < 0)
    throw Error("BAD_ARGUMENT", "RoarGraphIndex: bad build parameters");
  const PhaseTimer t_start;
  GraphBuildStats st;
  std::unique_ptr<RoarGraphIndex> gp(new RoarGraphIndex());
  RoarGraphIndex& g = *gp;
  g.keys_ = p.shared_keys ? KeyMatrix::view(p.shared_keys, 0, d) : KeyMatrix(d);  // appends below check a view
  g.M_ = p.M;
  g.R_ = p.R;
  g.adj_.reset(p.R);
  g.ef_link_ = p.ef_link;
  g.default_ef_ = p.default_ef;
  g.alpha_ = p.alpha;
  g.link_metric_ = p.link_metric;
  g.anchor_links_ = p.anchor_links;
  g.anchors_.d = d;
  st.n_keys = n;

  if (m == 0 || n == 0) {
    // No training queries: a key-only graph, inserted one key at a time.
    g.keys_.reserve(n);
    for (int64_t j = 0; j < n; ++j) g.insert(keys + size_t(j) * key_stride);
    st.n_linked = n;
    st.n_edges = g.edge_count();
    st.total_s = t_start.wall_s();
    st.total_cpu_s = t_start.cpu_s();
    if (stats) *stats = st;
    return gp;
  }
  g.keys_.append(keys, n, key_stride);
  g.nav_.assign(g.keys_);
  const std::vector<float> kf = g.keys_.to_f32();  // dropped when the build returns
  // Steps 2-4 write dense rows; the graph's own (by degree) take them before step 5.
  HugeVector<int32_t> dense(size_t(n) * size_t(p.R), -1);
  g.deg_.assign(size_t(n), 0);

  // 1. Training queries: all, or a seeded sample (kept in their original order).
  std::vector<float> sample;
  const float* Q = queries;
  size_t ldq = query_stride;
  if (p.max_queries > 0 && p.max_queries < m) {
    Rng rng(p.seed);
    std::vector<int64_t> ids(static_cast<size_t>(m));
    std::iota(ids.begin(), ids.end(), int64_t(0));
    for (int64_t i = 0; i < p.max_queries; ++i)
      std::swap(ids[size_t(i)], ids[size_t(i + int64_t(rng.below(uint64_t(m - i))))]);
    ids.resize(size_t(p.max_queries));
    std::sort(ids.begin(), ids.end());
    sample.resize(ids.size() * size_t(d));
    for (size_t i = 0; i < ids.size(); ++i)
      std::copy(queries + size_t(ids[i]) * query_stride, queries + size_t(ids[i]) * query_stride + d,
                sample.data() + i * size_t(d));
    Q = sample.data();
    ldq = size_t(d);
    m = p.max_queries;
  }
  st.n_queries = m;
  const int kq = int(std::min<int64_t>(p.kq, n));
  std::vector<int32_t> top(size_t(m) * size_t(kq));
  std::vector<float> top_scores(size_t(m) * size_t(kq));
  PhaseTimer t0;
  knn_batch(Q, m, ldq, kf.data(), n, size_t(d), d, kq, nullptr, top.data(), top_scores.data(), pool);
  st.knn_s = t0.wall_s();
  st.knn_cpu_s = t0.cpu_s();

  // Anchor queries for insert(): an even sample, with the head of their lists.
  if (p.n_anchors > 0) {
    g.anchors_.ka = std::min(kq, std::max(1, p.anchor_k));
    const int64_t A = std::min<int64_t>(p.n_anchors, m);
    for (int64_t a = 0; a < A; ++a) {
      const int64_t i = a * m / A;
      g.anchors_.add(Q + size_t(i) * ldq, top.data() + size_t(i) * kq, top_scores.data() + size_t(i) * kq,
                     g.anchors_.ka);
    }
  }

  // 2. Projection. Pivot of a query: its best-ranked key still under pivot_cap.
  t0.restart();
  GraphBuilder b{g, p, pool, n, d, kf.data(), dense.data()};
  std::vector<int32_t> pivot_of(size_t(m), -1);
  {
    std::vector<int32_t> served(size_t(n), 0);
    for (int64_t i = 0; i < m; ++i) {
      const int32_t* list = top.data() + size_t(i) * kq;
      for (int r = 0; r < kq; ++r)
        if (list[r] >= 0 && served[size_t(list[r])] < p.pivot_cap) {
          pivot_of[size_t(i)] = list[r];
          ++served[size_t(list[r])];
          break;
        }
    }
  }
  st.n_pivots = b.project(top, m, kq, pivot_of);
  b.choose_entries(top, m, kq);
  st.project_s = t0.wall_s();
  st.project_cpu_s = t0.cpu_s();

  // 3. Keys no query connected.
  t0.restart();
  {
    const std::vector<int32_t> todo = b.isolated_keys();
    st.n_linked = p.link_queries > 0 ? b.link_by_queries(todo, top, top_scores, Q, ldq, m, kq) : b.link_by_search(todo);
  }
  st.link_s = t0.wall_s();
  st.link_cpu_s = t0.cpu_s();

  // 4. Reverse edges.
  t0.restart();
  b.add_reverse_edges();
  st.reverse_s = t0.wall_s();
  st.reverse_cpu_s = t0.cpu_s();

  g.adj_.assign_dense(dense.data(), g.deg_.data(), n);
  HugeVector<int32_t>().swap(dense);

  // 5. Connectivity.
  t0.restart();
  st.n_reconnected = connect_unreached(g, pool);
  st.connect_s = t0.wall_s();
  st.connect_cpu_s = t0.cpu_s();

  st.n_edges = g.edge_count();
  st.total_s = t_start.wall_s();
  st.total_cpu_s = t_start.cpu_s();
  if (stats) *stats = st;
  return gp;
}

}  // namespace tome
