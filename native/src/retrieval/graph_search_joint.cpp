// Joint decode-time search of a GQA group (graph_search.h: beam_search_joint).
//
// The n_q query heads of a group search the same graph. Searched one by one,
// each pays for its own traversal: a search is bound by the latency of the
// cold rows it scores (code row, adjacency row), and heads of a group visit
// largely the same region. Here one traversal serves them all:
//   visited     one bitset: a key is scored once, for every head (n_q int8
//               dot products on a row already in L1);
//   results     one bounded heap of ef per head, by that head's score;
//   candidates  one heap of the keys that entered some head's results, best
//               first by their best normalized score over the heads
//               (code sum * t_h / |q_h|: |k| cos(q_h, k), so that a head with
//               a long query does not steer the traversal alone);
//   expansion   a popped candidate is expanded while it can still enter some
//               head's full results (one that cannot is dropped; a later one
//               may still help another head, so the loop runs until the heap
//               is empty, where a one-query search stops at the first).
// Each head's beam is then reranked by its exact f16 scores, as
// beam_search_reranked does, so ids and scores are exact; only which keys the
// beams hold can differ from per-head searches.
#include <algorithm>
#include <cmath>
#include <limits>

#include "retrieval/beam_heaps.h"
#include "retrieval/dot_kernels.h"
#include "retrieval/graph_search.h"
#include "retrieval/nav_codes.h"

namespace tome {

namespace {

using namespace beam;

constexpr int kMaxWidth = 16;

struct JointScratch {
  VisitedBits visited;
  std::vector<uint64_t> cand;         // packed (priority, slot), best at front
  std::vector<uint64_t> res;          // (n_q, ef): per head a heap of packed (score, id), worst at front
  std::vector<int> res_size;          // (n_q)
  std::vector<int32_t> slot_id;       // keys that entered a beam, by slot: id
  std::vector<uint32_t> slot_ord;     // ... and their n_q order-mapped code sums
  std::vector<int32_t> ids;           // a round's keys to score
  std::vector<int32_t> sums;          // their code sums, (n_q, round size)
  std::vector<int8_t> qc;             // (n_q, code stride) query codes
  std::vector<float> w;               // (n_q) code sum -> normalized score
  std::vector<int32_t> beam_ids;      // rerank
  std::vector<float> beam_scores;
};

thread_local JointScratch t_joint;

// Taken once a search; noipa, so that GCC cannot fold &t_joint back into the
// loop and re-derive it per use (graph_search.cpp: thread_scratch).
[[gnu::noipa]] JointScratch& joint_scratch() { return t_joint; }

}  // namespace

bool beam_search_joint(const GraphView& g, const NavCodes& codes, const float* q, int n_q, int ef, int k,
                       std::vector<std::vector<Scored>>& out, int64_t* scanned) {
  if (n_q <= 0 || codes.rows() != g.n) return false;
  JointScratch& S = joint_scratch();
  const int stride = codes.stride(), d = g.d;
  S.qc.resize(size_t(n_q) * size_t(stride));
  S.w.resize(size_t(n_q));
  for (int h = 0; h < n_q; ++h) {
    float t = 0;
    if (!codes.encode_query(q + size_t(h) * d, S.qc.data() + size_t(h) * stride, &t)) return false;
    double norm = 0;
    for (int i = 0; i < d; ++i) norm += double(q[size_t(h) * d + i]) * q[size_t(h) * d + i];
    S.w[size_t(h)] = norm > 0 ? float(t / std::sqrt(norm)) : 0.0f;
  }
  out.resize(size_t(n_q));
  for (auto& o : out) o.clear();
  if (g.n == 0 || g.n_entries == 0 || ef <= 0 || k <= 0) return true;

  const int width = std::min(std::max(decode_search_width(), 1), kMaxWidth);
  S.visited.clear(g.n);
  S.cand.clear();
  S.res.resize(size_t(n_q) * size_t(ef));
  S.res_size.assign(size_t(n_q), 0);
  S.slot_id.clear();
  S.slot_ord.clear();
  const size_t batch = size_t(std::max(width * g.R, g.n_entries));
  S.ids.resize(batch);
  S.sums.resize(batch * size_t(n_q));
  int32_t* const ids = S.ids.data();
  int32_t* const sums = S.sums.data();
  uint64_t* const res = S.res.data();
  int* const res_size = S.res_size.data();

  // True when the key in `slot` can still enter some head's results.
  auto useful = [&](size_t slot) {
    const int32_t id = S.slot_id[slot];
    const uint32_t* o = S.slot_ord.data() + slot * size_t(n_q);
    for (int h = 0; h < n_q; ++h)
      if (res_size[h] < ef || pack(o[h], id) > res[size_t(h) * ef]) return true;
    return false;
  };
  // Scores the cnt keys of ids for every head; those entering some head's
  // results become candidates.
  auto offer = [&](int64_t cnt) {
    codes.dots(S.qc.data(), n_q, ids, cnt, sums);
    *scanned += cnt;
    for (int64_t i = 0; i < cnt; ++i) {
      bool entered = false;
      float best = -std::numeric_limits<float>::infinity();
      for (int h = 0; h < n_q; ++h) {
        const int32_t s = sums[size_t(h) * cnt + i];
        entered |= keep_best(res + size_t(h) * ef, res_size[h], ef, pack(ord_of(s), ids[i]));
        best = std::max(best, float(s) * S.w[size_t(h)]);
      }
      if (!entered) continue;
      const size_t slot = S.slot_id.size();
      S.slot_id.push_back(ids[i]);
      for (int h = 0; h < n_q; ++h) S.slot_ord.push_back(ord_of(sums[size_t(h) * cnt + i]));
      cand_push(S.cand, pack(ord_of(best), int32_t(slot)));
    }
  };

  int64_t cnt = 0;
  for (int e = 0; e < g.n_entries; ++e)
    if (!S.visited.test_and_set(g.entries[e])) ids[cnt++] = g.entries[e];
  offer(cnt);

  int32_t round[kMaxWidth];
  while (!S.cand.empty()) {
    int nr = 0;
    while (nr < width && !S.cand.empty()) {
      const size_t slot = size_t(id_of(S.cand.front()));
      cand_pop(S.cand);
      if (!useful(slot)) continue;
      const int32_t id = S.slot_id[slot];
      round[nr++] = id;
      if (g.adj) __builtin_prefetch(g.adj + size_t(id) * size_t(g.stride));
      __builtin_prefetch(g.deg + id);
    }
    if (nr == 0) break;
    cnt = gather_unvisited(g, round, nr, S.visited, ids);
    if (g.adj && !S.cand.empty())
      __builtin_prefetch(g.adj + size_t(S.slot_id[size_t(id_of(S.cand.front()))]) * size_t(g.stride));
    if (cnt > 0) offer(cnt);
  }

  // Rerank each head's beam by its exact f16 scores; keep its k best.
  for (int h = 0; h < n_q; ++h) {
    const int m = res_size[h];
    const uint64_t* r = res + size_t(h) * ef;
    S.beam_ids.resize(size_t(m));
    S.beam_scores.resize(size_t(m));
    for (int i = 0; i < m; ++i) S.beam_ids[size_t(i)] = id_of(r[i]);
    key_dots(g, q + size_t(h) * d, S.beam_ids.data(), m, S.beam_scores.data());
    std::vector<Scored>& o = out[size_t(h)];
    o.resize(size_t(m));
    for (int i = 0; i < m; ++i) {
      const float v = S.beam_scores[size_t(i)];  // NaN (overflow) ranks last, as in topk_push
      o[size_t(i)] = Scored{v == v ? v : -std::numeric_limits<float>::infinity(), S.beam_ids[size_t(i)]};
    }
    const int kk = std::min(k, m);
    std::partial_sort(o.begin(), o.begin() + kk, o.end(), ranks_before);
    o.resize(size_t(kk));
  }
  return true;
}

}  // namespace tome
