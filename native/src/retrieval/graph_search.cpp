// Best-first beam search (graph_search.h) and decode-time RoarGraphIndex::search.
//   candidates: max-heap of discovered, not yet expanded keys (best first)
//   results:    bounded heap of the ef best keys seen (front = worst)
// Expand the best candidate: score its unvisited neighbours in one gathered
// batch (dots_gather_h prefetches the rows), push those that beat the worst
// result. Stop when the best candidate cannot improve a full result set.
#include <algorithm>
#include <limits>

#include "retrieval/dot_kernels.h"
#include "retrieval/graph_search.h"
#include "retrieval/roar_graph.h"

namespace tome {

namespace {

// Visited set of one search: a bitset, cleared per search (n / 8 bytes: 16 KB
// at 128K keys, about a microsecond to clear). A search visits a few thousand
// random ids; as bits they stay in L1, where the 4-byte epoch tags of an
// EpochMarks (512 KB at 128K keys) spilled to L2 and beyond at a decode step
// that also streams weights and KV rows.
struct VisitedBits {
  std::vector<uint64_t> words;
  void clear(int64_t n) { words.assign(size_t((n + 63) / 64), 0); }
  // True when v was already visited; marks it.
  bool test_and_set(int32_t v) {
    uint64_t& w = words[size_t(v) >> 6];
    const uint64_t bit = uint64_t(1) << (v & 63);
    const bool was = (w & bit) != 0;
    w |= bit;
    return was;
  }
};

struct Scratch {
  VisitedBits visited;
  std::vector<Scored> cand;  // heap, best at front
  std::vector<Scored> res;   // heap, worst at front
  std::vector<int32_t> ids;
  std::vector<float> s;
};

thread_local Scratch t_scratch;

void score(const GraphView& g, const float* q, SearchMetric metric, const int32_t* ids, int64_t n, float* out) {
  if (metric == SearchMetric::kInnerProduct) {
    dots_gather_h(q, g.keys, size_t(g.d), ids, n, g.d, out);
  } else {
    l2_gather_h(q, g.keys, size_t(g.d), ids, n, g.d, out);
    for (int64_t i = 0; i < n; ++i) out[i] = -out[i];
  }
}

}  // namespace

void beam_search(const GraphView& g, const float* q, SearchMetric metric, int ef, std::vector<Scored>& out,
                 int64_t* scanned) {
  out.clear();
  if (g.n == 0 || g.n_entries == 0 || ef <= 0) return;
  // The thread's scratch through plain pointers: a thread_local named in the
  // loop costs a __tls_get_addr call per use in a shared library.
  Scratch& S = t_scratch;
  S.visited.clear(g.n);
  VisitedBits& visited = S.visited;
  std::vector<Scored>& cand = S.cand;
  cand.clear();
  S.res.resize(size_t(ef));
  Scored* const res = S.res.data();
  int res_size = 0;
  S.ids.resize(size_t(std::max(g.R, g.n_entries)));
  int32_t* const ids = S.ids.data();
  S.s.resize(S.ids.size());
  float* const sc = S.s.data();

  auto offer = [&](int64_t cnt) {
    score(g, q, metric, ids, cnt, sc);
    *scanned += cnt;
    for (int64_t i = 0; i < cnt; ++i) {
      const float v = sc[i];
      const Scored x{v != v ? -std::numeric_limits<float>::infinity() : v, ids[i]};  // NaN: keeps the heaps' order valid
      if (topk_push(res, res_size, ef, x)) {
        cand.push_back(x);
        std::push_heap(cand.begin(), cand.end(), ranks_after);
      }
    }
  };

  int64_t cnt = 0;
  for (int e = 0; e < g.n_entries; ++e)
    if (!visited.test_and_set(g.entries[e])) ids[cnt++] = g.entries[e];
  offer(cnt);

  while (!cand.empty()) {
    const Scored c = cand.front();
    std::pop_heap(cand.begin(), cand.end(), ranks_after);
    cand.pop_back();
    if (res_size == ef && ranks_before(res[0], c)) break;  // c cannot enter any more
    const int32_t* nb = g.adj + size_t(c.id) * size_t(g.R);
    const int dg = g.deg[size_t(c.id)];
    // the next candidate's adjacency row is (mostly) a cache miss: start it
    // before it is needed
    if (!cand.empty()) __builtin_prefetch(g.adj + size_t(cand.front().id) * size_t(g.R));
    cnt = 0;
    for (int i = 0; i < dg; ++i)
      if (!visited.test_and_set(nb[i])) ids[cnt++] = nb[i];
    if (cnt > 0) offer(cnt);
  }
  out.assign(res, res + res_size);
  topk_sort(out.data(), res_size);
}

int64_t mark_reachable(const GraphView& g, std::vector<uint8_t>& reached) {
  reached.assign(size_t(g.n), 0);
  std::vector<int32_t> stack;
  int64_t count = 0;
  for (int e = 0; e < g.n_entries; ++e)
    if (!reached[size_t(g.entries[e])]) {
      reached[size_t(g.entries[e])] = 1;
      ++count;
      stack.push_back(g.entries[e]);
    }
  while (!stack.empty()) {
    const int32_t v = stack.back();
    stack.pop_back();
    const int32_t* nb = g.adj + size_t(v) * size_t(g.R);
    for (int i = 0; i < g.deg[size_t(v)]; ++i)
      if (!reached[size_t(nb[i])]) {
        reached[size_t(nb[i])] = 1;
        ++count;
        stack.push_back(nb[i]);
      }
  }
  return count;
}

GraphView RoarGraphIndex::view() const {
  GraphView g;
  g.keys = keys_.data();
  g.d = keys_.dim();
  g.n = keys_.rows();
  g.adj = adj_.data();
  g.deg = deg_.data();
  g.R = R_;
  g.entries = entries_.data();
  g.n_entries = int(entries_.size());
  return g;
}

void RoarGraphIndex::search(const float* q, const SearchParams& p, SearchResult& out) const {
  out.clear();
  const int k = std::max(0, p.k);
  if (k == 0) return;
  const int ef = std::max(k, p.ef > 0 ? p.ef : (default_ef_ > 0 ? default_ef_ : 3 * k));
  std::vector<Scored> res;
  beam_search(view(), q, SearchMetric::kInnerProduct, ef, res, &out.keys_scanned);
  const size_t n = std::min(res.size(), size_t(k));
  out.ids.resize(n);
  out.scores.resize(n);
  for (size_t i = 0; i < n; ++i) {
    out.ids[i] = res[i].id;
    out.scores[i] = res[i].score;
  }
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
  return sizeof(*this) + keys_.bytes() + adj_.capacity() * sizeof(int32_t) + deg_.capacity() * sizeof(uint16_t) +
         entries_.capacity() * sizeof(int32_t) + anchors_.bytes();
}

}  // namespace tome
