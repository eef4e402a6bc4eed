// Internal: the pieces of a best-first beam search over a key graph shared by
// the one-query search (graph_search.cpp) and the joint search of a GQA
// group's queries (graph_search_joint.cpp): the visited bitset, (score, id)
// packed in one uint64, and 4-ary heaps of packed keys.
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

#include "retrieval/graph_search.h"
#include "retrieval/node_pager.h"

namespace tome::beam {

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

// The heaps hold (score, id) packed in one uint64 whose unsigned order is
// ranks_before's (topk.h): the score mapped to a uint32 of the same order in
// the high half, ~id in the low half (equal scores: the lower id ranks
// first). One integer compare per heap step, where a Scored pair took two
// float compares and a branch on ties; a search does a few thousand heap
// operations per query (about half of its time at 128K keys with int8
// navigation, measured). NaN scores count as -inf; -0 as +0.
inline uint32_t ord_of(float v) {
  if (v != v) v = -std::numeric_limits<float>::infinity();
  v += 0.0f;  // -0 -> +0
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
inline float score_of(uint32_t o) {
  const uint32_t b = (o & 0x80000000u) ? (o & 0x7fffffffu) : ~o;
  float v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}
inline uint32_t ord_of(int32_t s) { return uint32_t(s) ^ 0x80000000u; }
inline uint64_t pack(uint32_t ord, int32_t id) { return (uint64_t(ord) << 32) | uint64_t(~uint32_t(id)); }
inline int32_t id_of(uint64_t key) { return int32_t(~uint32_t(key)); }
inline uint32_t ord_part(uint64_t key) { return uint32_t(key >> 32); }

// 4-ary heaps of packed keys, h[0..size) with the children of i at 4i+1 ..
// 4i+4 and the front the key that comes first by Before (std::less: the
// smallest, std::greater: the largest). Four children per level halve the
// depth of a binary heap, and the first of four is found without branches: a
// full beam of 300 is 5 levels, each one unpredictable branch, where a binary
// heap took 9.
template <class Before>
inline void sift_up(uint64_t* h, int i, uint64_t x) {
  const Before before;
  while (i > 0) {
    const int p = (i - 1) >> 2;
    if (!before(x, h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = x;
}
// x goes down from position i (whose old key is gone).
template <class Before>
inline void sift_down(uint64_t* h, int size, int i, uint64_t x) {
  const Before before;
  for (;;) {
    const int c0 = 4 * i + 1;
    if (c0 >= size) break;
    int c = c0;
    uint64_t m = h[c0];
    if (c0 + 3 < size) {
      const uint64_t a = h[c0 + 1], b = h[c0 + 2], e = h[c0 + 3];
      c = before(a, m) ? c0 + 1 : c;
      m = before(a, m) ? a : m;
      c = before(b, m) ? c0 + 2 : c;
      m = before(b, m) ? b : m;
      c = before(e, m) ? c0 + 3 : c;
      m = before(e, m) ? e : m;
    } else {
      for (int j = c0 + 1; j < size; ++j)
        if (before(h[j], m)) m = h[j], c = j;
    }
    if (!before(m, x)) break;
    h[i] = m;
    i = c;
  }
  h[i] = x;
}

// The results: a bounded min-heap (front = worst kept); keeps x if it beats
// the worst of a full heap (topk_push's rule on packed keys).
inline bool keep_best(uint64_t* h, int& size, int k, uint64_t x) {
  if (size < k) {
    sift_up<std::less<uint64_t>>(h, size++, x);
    return true;
  }
  if (x <= h[0]) return false;
  sift_down<std::less<uint64_t>>(h, size, 0, x);  // x replaces the worst
  return true;
}

// The candidates: an unbounded max-heap in a vector (front = best).
inline void cand_push(std::vector<uint64_t>& h, uint64_t x) {
  h.push_back(x);
  sift_up<std::greater<uint64_t>>(h.data(), int(h.size()) - 1, x);
}
inline void cand_pop(std::vector<uint64_t>& h) {
  const uint64_t x = h.back();
  h.pop_back();
  if (!h.empty()) sift_down<std::greater<uint64_t>>(h.data(), int(h.size()), 0, x);
}

// A paged graph's rows of the round, copied out of its pager (dense, R ids
// each). Out of line, so that a resident search, which never calls it, pays no
// thread_local access (a __tls_get_addr call in a shared library) per round.
[[gnu::noinline]] inline const int32_t* paged_rows(const GraphView& g, const int32_t* round, int nr) {
  thread_local std::vector<int32_t> copies;
  copies.resize(size_t(nr) * size_t(g.R));
  g.pager->read_adjacency(round, nr, copies.data());
  return copies.data();
}

// The unvisited neighbours of the round's nr expanded keys into ids (marked
// visited); returns their count. Branch-free: about half are visited, at random.
//
// Order: the part of each key's list in its row (AdjacencyRows::parts), key by
// key, then the tails of the long lists. Resident, a tail is a row of its own
// whose number is in the head row: requested as the heads are read, the
// round's tails arrive together (read one after the other, each a second miss,
// a search took 12-16% longer). A paged graph's dense rows are split alike: a
// joint search numbers the keys it meets in that order and breaks score ties
// by that number, so both must meet them alike.
inline int64_t gather_unvisited(const GraphView& g, const int32_t* round, int nr, VisitedBits& visited,
                                int32_t* ids) {
  int64_t cnt = 0;
  auto take = [&](int32_t v) {
    ids[cnt] = v;
    cnt += !visited.test_and_set(v);
  };
  const int32_t* const copies = g.pager ? paged_rows(g, round, nr) : nullptr;
  ListParts tails[16];  // a round expands at most 16 keys (kMaxWidth)
  int nt = 0;
  for (int r = 0; r < nr; ++r) {
    const int32_t* row = copies ? copies + size_t(r) * size_t(g.R) : g.adj + size_t(round[r]) * size_t(g.stride);
    const ListParts p = AdjacencyRows::parts(row, g.deg[size_t(round[r])], g.tails, g.tail_stride);
    for (int i = 0; i < p.n_row; ++i) take(row[i]);
    if (p.n_tail > 0) {
      for (int i = 0; i < p.n_tail; i += 16) __builtin_prefetch(p.tail + i);
      __builtin_prefetch(p.tail + p.n_tail - 1);
      tails[nt++] = p;
    }
  }
  for (int t = 0; t < nt; ++t)
    for (int i = 0; i < tails[t].n_tail; ++i) take(tails[t].tail[i]);
  return cnt;
}

}  // namespace tome::beam
