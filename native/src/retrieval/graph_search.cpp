// Best-first beam search (graph_search.h) and decode-time RoarGraphIndex::search.
//   candidates: max-heap of discovered, not yet expanded keys (best first)
//   results:    bounded heap of the ef best keys seen (front = worst)
// A round expands the `width` best candidates: their unvisited neighbours are
// scored in one gathered batch (the kernels prefetch the rows), and those that
// beat the worst result are pushed. Stop when the best candidate cannot improve
// a full result set. A search is bound by the latency of cold memory (each
// expanded key's adjacency row and degree, then its neighbours' rows), so
// expanding several keys per round puts all their loads in flight together:
// one round of waiting where width = 1 waits width times. Measured (bench_index
// --n 131072 --d 64 --cold 24, ef 300, int8 navigation, 4-ary heaps): width
// 1 / 4 / 8 / 16: 190 / 145 / 135 / 143 us per search, recall@100 0.9165 /
// 0.9169 / 0.9172 / 0.9194, 2.90% / 2.91% / 2.93% / 3.03% scanned; at 4K keys
// width 8 is also the fastest (122 us at 4, 112 at 8). Build, insertion and
// connectivity searches use width 1 (insertion 4, graph_insert.cpp).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <limits>

#include "retrieval/beam_heaps.h"
#include "retrieval/dot_kernels.h"
#include "retrieval/graph_search.h"
#include "retrieval/nav_codes.h"
#include "retrieval/roar_graph.h"

namespace tome {

namespace {

using namespace beam;

struct Scratch {
  VisitedBits visited;
  std::vector<uint64_t> cand;  // heap of packed keys (beam_heaps.h), best at front
  std::vector<uint64_t> res;   // heap of packed keys, worst at front
  std::vector<int32_t> ids;    // a round's keys to score
  std::vector<uint32_t> ord;   // their scores, order-mapped
  std::vector<float> s;        // f16 scores / rerank
  std::vector<int32_t> si;     // int8 navigation: exact code sums
  std::vector<int8_t> qc;      // int8 navigation: the query's codes
};

thread_local Scratch t_scratch;

// The calling thread's scratch, taken once per search. A thread_local named in
// the search's loop costs a __tls_get_addr call per use in a shared library,
// and so does a plain reference to it where GCC can see what it binds:
// propagating &t_scratch into navigate()'s clone, it re-derived the address
// at every heap operation. noipa keeps the reference opaque to the callers.
[[gnu::noipa]] Scratch& thread_scratch() { return t_scratch; }

constexpr int kMaxWidth = 16;
std::atomic<int> g_decode_width{8};  // expansions per round of decode-time searches

// Scorers: score(ids, n, ord, S) -> ord[i] = the order-mapped score of key
// ids[i]; value(ord) -> the score as a float.
struct KeyScorer {  // f16 keys, q . k or -|q - k|^2
  const GraphView& g;
  const float* q;
  SearchMetric metric;
  void operator()(const int32_t* ids, int64_t n, uint32_t* ord, Scratch& S) const {
    float* out = S.s.data();
    if (metric == SearchMetric::kInnerProduct) {
      key_dots(g, q, ids, n, out);
      for (int64_t i = 0; i < n; ++i) ord[i] = ord_of(out[i]);
    } else {
      key_l2(g, q, ids, n, out);
      for (int64_t i = 0; i < n; ++i) ord[i] = ord_of(-out[i]);
    }
  }
  static float value(uint32_t o) { return score_of(o); }
};
struct CodeScorer {  // int8 codes (in RAM or paged): the exact int32 sum
  const NavCodes& codes;
  const int8_t* qc;
  void operator()(const int32_t* ids, int64_t n, uint32_t* ord, Scratch& S) const {
    int32_t* tmp = S.si.data();
    codes.dots(qc, 1, ids, n, tmp);
    for (int64_t i = 0; i < n; ++i) ord[i] = ord_of(tmp[i]);
  }
  static float value(uint32_t o) { return float(int32_t(o ^ 0x80000000u)); }
};

// The beam search; leaves its results (packed keys, a heap, worst at front)
// in S.res[0, return).
template <class Scorer>
int beam_search_impl(const GraphView& g, const Scorer& score, int ef, int width, int64_t* scanned, Scratch& S) {
  width = std::min(std::max(width, 1), kMaxWidth);
  S.visited.clear(g.n);
  VisitedBits& visited = S.visited;
  std::vector<uint64_t>& cand = S.cand;
  cand.clear();
  S.res.resize(size_t(ef));
  uint64_t* const res = S.res.data();
  int res_size = 0;
  const size_t batch = size_t(std::max(width * g.R, g.n_entries));
  S.ids.resize(batch);
  S.ord.resize(batch);
  S.s.resize(std::max(S.s.size(), batch));
  S.si.resize(std::max(S.si.size(), batch));
  int32_t* const ids = S.ids.data();
  uint32_t* const ord = S.ord.data();

  auto offer = [&](int64_t cnt) {
    score(ids, cnt, ord, S);
    *scanned += cnt;
    for (int64_t i = 0; i < cnt; ++i) {
      const uint64_t x = pack(ord[i], ids[i]);
      if (keep_best(res, res_size, ef, x)) {
        cand_push(cand, x);
      }
    }
  };

  int64_t cnt = 0;
  for (int e = 0; e < g.n_entries; ++e)
    if (!visited.test_and_set(g.entries[e])) ids[cnt++] = g.entries[e];
  offer(cnt);

  int32_t round[kMaxWidth];
  while (!cand.empty()) {
    // the round: up to `width` best candidates that can still improve the results
    int nr = 0;
    while (nr < width && !cand.empty()) {
      const uint64_t c = cand.front();
      if (res_size == ef && res[0] > c) break;  // c (and every later one) cannot enter any more
      cand_pop(cand);
      const int32_t id = id_of(c);
      round[nr++] = id;
      if (width > 1 && g.adj) {  // start the loads of the round's rows together
        __builtin_prefetch(g.adj + size_t(id) * size_t(g.stride));
        __builtin_prefetch(g.deg + id);
      }
    }
    if (nr == 0) break;
    cnt = gather_unvisited(g, round, nr, visited, ids);
    // the next candidate's adjacency row is (mostly) a cache miss: start it
    // before it is needed
    if (g.adj && !cand.empty()) __builtin_prefetch(g.adj + size_t(id_of(cand.front())) * size_t(g.stride));
    if (cnt > 0) offer(cnt);
  }
  return res_size;
}

// The results of beam_search_impl as Scored, best first.
template <class Scorer>
void sorted_results(const Scratch& S, int m, std::vector<Scored>& out) {
  out.resize(size_t(m));
  for (int i = 0; i < m; ++i) out[size_t(i)] = Scored{Scorer::value(ord_part(S.res[size_t(i)])), id_of(S.res[size_t(i)])};
  topk_sort(out.data(), m);
}

}  // namespace

void set_decode_search_width(int width) { g_decode_width.store(std::min(std::max(width, 1), kMaxWidth)); }
int decode_search_width() { return g_decode_width.load(std::memory_order_relaxed); }

void beam_search(const GraphView& g, const float* q, SearchMetric metric, int ef, std::vector<Scored>& out,
                 int64_t* scanned) {
  out.clear();
  if (g.n == 0 || g.n_entries == 0 || ef <= 0) return;
  Scratch& S = thread_scratch();
  const int m = beam_search_impl(g, KeyScorer{g, q, metric}, ef, 1, scanned, S);
  sorted_results<KeyScorer>(S, m, out);
}

namespace {
// Navigation by the codes when they cover the graph and can encode q (else by
// the keys: *by_keys). Codes may run past the view: an insert searches the
// graph without its new key (g.n = u), whose code is already appended. Leaves
// the beam in S.res; returns its size.
int navigate(const GraphView& g, const NavCodes* codes, const float* q, int ef, int width, int64_t* scanned,
             Scratch& S, bool* by_keys) {
  float t = 0;
  S.qc.resize(codes ? size_t(codes->stride()) : 0);
  *by_keys = !codes || codes->rows() < g.n || !codes->encode_query(q, S.qc.data(), &t);
  if (*by_keys) return beam_search_impl(g, KeyScorer{g, q, SearchMetric::kInnerProduct}, ef, width, scanned, S);
  return beam_search_impl(g, CodeScorer{*codes, S.qc.data()}, ef, width, scanned, S);
}
}  // namespace

void beam_search_nav(const GraphView& g, const NavCodes* codes, const float* q, int ef, int width,
                     std::vector<int32_t>& ids, int64_t* scanned) {
  ids.clear();
  if (g.n == 0 || g.n_entries == 0 || ef <= 0) return;
  Scratch& S = thread_scratch();
  bool by_keys = false;
  const int m = navigate(g, codes, q, ef, width, scanned, S, &by_keys);
  ids.resize(size_t(m));
  for (int i = 0; i < m; ++i) ids[size_t(i)] = id_of(S.res[size_t(i)]);
}

void beam_search_reranked(const GraphView& g, const NavCodes* codes, const float* q, int ef, int k,
                          std::vector<Scored>& out, int64_t* scanned) {
  out.clear();
  if (g.n == 0 || g.n_entries == 0 || ef <= 0 || k <= 0) return;
  Scratch& S = thread_scratch();
  bool by_keys = false;
  const int m = navigate(g, codes, q, ef, decode_search_width(), scanned, S, &by_keys);
  if (m == 0) return;
  if (by_keys) {  // the scores are exact already
    sorted_results<KeyScorer>(S, m, out);
    if (out.size() > size_t(k)) out.resize(size_t(k));
    return;
  }
  // Rerank the beam by the exact f16 scores (keys already navigated once: not
  // counted again in *scanned); keep the k best.
  S.ids.resize(std::max(S.ids.size(), size_t(m)));
  S.s.resize(std::max(S.s.size(), size_t(m)));
  for (int i = 0; i < m; ++i) S.ids[size_t(i)] = id_of(S.res[size_t(i)]);
  key_dots(g, q, S.ids.data(), m, S.s.data());
  for (int i = 0; i < m; ++i) S.res[size_t(i)] = pack(ord_of(S.s[size_t(i)]), S.ids[size_t(i)]);
  const int kk = std::min(k, m);
  auto best_first = [](uint64_t a, uint64_t b) { return a > b; };
  std::nth_element(S.res.begin(), S.res.begin() + (kk - 1), S.res.begin() + m, best_first);
  std::sort(S.res.begin(), S.res.begin() + kk, best_first);
  out.resize(size_t(kk));
  for (int i = 0; i < kk; ++i) out[size_t(i)] = Scored{score_of(ord_part(S.res[size_t(i)])), id_of(S.res[size_t(i)])};
}

namespace {
// The keys of ids copied out of a paged graph's pager, as rows 0..n-1 of a
// buffer, with ids 0..n-1 to gather them by: the gather kernels score them, as
// they score a resident graph's keys, so a paged search's scores are its bits.
const uint16_t* paged_keys(const GraphView& g, const int32_t* ids, int64_t n, const int32_t** at) {
  thread_local std::vector<uint16_t> rows;
  thread_local std::vector<int32_t> seq;
  rows.resize(size_t(n) * size_t(g.d));
  g.pager->read_keys(ids, n, rows.data());
  for (int64_t i = int64_t(seq.size()); i < n; ++i) seq.push_back(int32_t(i));
  *at = seq.data();
  return rows.data();
}
}  // namespace

void key_dots(const GraphView& g, const float* q, const int32_t* ids, int64_t n, float* out) {
  if (!g.pager) return dots_gather_h(q, g.keys, size_t(g.d), ids, n, g.d, out);
  const int32_t* at = nullptr;
  const uint16_t* rows = paged_keys(g, ids, n, &at);
  dots_gather_h(q, rows, size_t(g.d), at, n, g.d, out);
}

void key_l2(const GraphView& g, const float* q, const int32_t* ids, int64_t n, float* out) {
  if (!g.pager) return l2_gather_h(q, g.keys, size_t(g.d), ids, n, g.d, out);
  const int32_t* at = nullptr;
  const uint16_t* rows = paged_keys(g, ids, n, &at);
  l2_gather_h(q, rows, size_t(g.d), at, n, g.d, out);
}

// Level by level, so that the rows of a level's keys can be requested ahead
// of their reading: the decode's connectivity pass (every reconnect_every
// inserts an index) reads every adjacency row of a graph whose rows are cold,
// one random line each. A depth-first walk read them one miss at a time:
// bench_index --n 131072 --d 64 --inserts 200 --cold 60 (reconnect_ms_cold).
// Which keys are reached does not depend on the order.
int64_t mark_reachable(const GraphView& g, std::vector<uint8_t>& reached) {
  reached.assign(size_t(g.n), 0);
  std::vector<int32_t> rows;  // a paged graph's adjacency, every row (scanned past its cache), dense
  if (g.pager) {
    rows.resize(size_t(g.n) * size_t(g.R));
    g.pager->scan_adjacency(0, g.n, rows.data());
  }
  const int32_t* adj = g.pager ? rows.data() : g.adj;
  const int stride = g.pager ? g.R : g.stride;
  std::vector<int32_t> level, next;
  std::vector<ListParts> level_tails;
  int64_t count = 0;
  auto reach = [&](int32_t u) {
    if (!reached[size_t(u)]) {
      reached[size_t(u)] = 1;
      ++count;
      next.push_back(u);
    }
  };
  for (int e = 0; e < g.n_entries; ++e) reach(g.entries[e]);
  constexpr size_t kAhead = 16;  // rows requested ahead of the one read
  while (!next.empty()) {
    level.swap(next);
    next.clear();
    for (size_t i = 0; i < level.size(); ++i) {
      if (i + kAhead < level.size()) {
        const int32_t w = level[i + kAhead];
        __builtin_prefetch(adj + size_t(w) * size_t(stride));
        __builtin_prefetch(g.deg + w);
      }
      const int32_t v = level[i];
      const int32_t* row = adj + size_t(v) * size_t(stride);
      const ListParts p = AdjacencyRows::parts(row, g.deg[size_t(v)], g.tails, g.tail_stride);
      for (int j = 0; j < p.n_row; ++j) reach(row[j]);
      if (p.n_tail > 0) {  // read after the level's head rows, requested now
        for (int j = 0; j < p.n_tail; j += 16) __builtin_prefetch(p.tail + j);
        level_tails.push_back(p);
      }
    }
    for (const ListParts& p : level_tails)
      for (int j = 0; j < p.n_tail; ++j) reach(p.tail[j]);
    level_tails.clear();
  }
  return count;
}

GraphView RoarGraphIndex::view() const {
  GraphView g;
  g.pager = pager_.get();
  g.keys = pager_ ? nullptr : keys_.data();
  g.d = dim();
  g.n = size();
  g.adj = pager_ ? nullptr : adj_.heads();
  g.stride = AdjacencyRows::kHead;
  g.tails = pager_ ? nullptr : adj_.tails();
  g.tail_stride = adj_.tail_stride();
  g.deg = deg_.data();
  g.R = R_;
  g.entries = entries_.data();
  g.n_entries = int(entries_.size());
  return g;
}

// The beam: the caller's ef, else the index default, else 3k; times the
// monitor's widening; never under k.
int RoarGraphIndex::beam_width(const SearchParams& p, int k) const {
  const int64_t ef = p.ef > 0 ? p.ef : (default_ef_ > 0 ? default_ef_ : 3 * int64_t(k));
  return int(std::min<int64_t>(std::max<int64_t>(k, ef * std::max(1, p.widen)), 1 << 24));
}

void RoarGraphIndex::search(const float* q, const SearchParams& p, SearchResult& out) const {
  check_whole();
  out.clear();
  const int k = std::max(0, p.k);
  if (k == 0) return;
  const int ef = beam_width(p, k);
  std::vector<Scored> res;
  beam_search_reranked(view(), p.nav_keys ? nullptr : &nav_, q, ef, k, res, &out.keys_scanned);
  if (res.size() > size_t(k)) res.resize(size_t(k));
  out.set_results(res);
}

void RoarGraphIndex::search_group(const float* q, int n_q, const SearchParams& p, SearchResult& out) const {
  check_whole();
  if (p.group != GroupMode::kJoint || n_q <= 1 || p.nav_keys) return KeyIndex::search_group(q, n_q, p, out);
  out.clear();
  const int k = std::max(0, p.k);
  if (k == 0) return;
  const int ef = beam_width(p, k);
  thread_local std::vector<std::vector<Scored>> lists;
  thread_local std::vector<Scored> all;
  if (!beam_search_joint(view(), nav_, q, n_q, ef, k, lists, &out.keys_scanned)) {
    SearchParams u = p;
    u.group = GroupMode::kUnion;
    return KeyIndex::search_group(q, n_q, u, out);
  }
  all.clear();
  for (const auto& l : lists) all.insert(all.end(), l.begin(), l.end());
  dedup_best_first(all);
  out.set_results(all);
}

int64_t RoarGraphIndex::edge_count() const {
  int64_t e = 0;
  for (uint16_t x : deg_) e += x;
  return e;
}

int64_t RoarGraphIndex::reachable_count() const {
  std::vector<uint8_t> reached;
  return mark_reachable(view(), reached);
}

size_t RoarGraphIndex::bytes() const {
  return sizeof(*this) + keys_.bytes() + nav_.bytes() + adj_.bytes() +
         deg_.capacity() * sizeof(uint16_t) + entries_.capacity() * sizeof(int32_t) + anchors_.bytes() +
         (pager_ ? pager_->cache().ram_bytes() : 0);
}

}  // namespace tome
