// Top-k selection helpers shared by every index: a bounded heap whose front is
// the WORST kept element, so a new candidate is compared against one value.
// Order: higher score first; equal scores -> lower id first (deterministic ties).
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace tome {

struct Scored {
  float score;
  int32_t id;
};

// ranks_before(a, b): a ranks before b. A function object, so that the heap and
// sort algorithms given it inline the comparison (a function pointer is an
// indirect call per comparison, a fifth of a decode-time search).
struct RanksBefore {
  bool operator()(const Scored& a, const Scored& b) const {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  }
};
inline constexpr RanksBefore ranks_before{};
// The reverse order: a std heap under it has the BEST element at its front
// (search candidates, expanded best first).
struct RanksAfter {
  bool operator()(const Scored& a, const Scored& b) const { return ranks_before(b, a); }
};
inline constexpr RanksAfter ranks_after{};

// Bounded heap over a caller-owned array h[0..k): front = worst kept.
// Returns true when x was kept. A NaN score (overflowing keys or queries) is
// kept as -inf, so the order stays a strict weak order for the heap and sort.
inline bool topk_push(Scored* h, int& size, int k, Scored x) {
  if (x.score != x.score) x.score = -std::numeric_limits<float>::infinity();
  if (size < k) {
    h[size++] = x;
    std::push_heap(h, h + size, ranks_before);
    return true;
  }
  if (!ranks_before(x, h[0])) return false;
  // x replaces the worst: one sift down from the front (pop_heap + push_heap
  // would sift twice). The kept set is the same either way; only the heap's
  // internal arrangement differs, and every reader sorts or reads the front.
  int i = 0;
  for (;;) {
    const int l = 2 * i + 1;
    if (l >= size) break;
    const int r = l + 1;
    const int c = (r < size && ranks_before(h[l], h[r])) ? r : l;  // the worse child
    if (!ranks_before(x, h[c])) break;                              // x is worse than both: stays here
    h[i] = h[c];
    i = c;
  }
  h[i] = x;
  return true;
}

// Smallest score that can still enter (i.e. strictly greater or an equal score
// with a lower id); -inf while not full.
inline float topk_threshold(const Scored* h, int size, int k) {
  return size < k ? -std::numeric_limits<float>::infinity() : h[0].score;
}

// Sorts the heap best first in place.
inline void topk_sort(Scored* h, int size) { std::sort(h, h + size, ranks_before); }

// Moves the k best of b[0, n) (ranks_before) to b[0, k), the k-th best to
// b[k - 1]: std::nth_element's contract. Quickselect whose partition is
// branch-free (each element is written to both ends of a scratch array and one
// end's cursor advances), because on scores in random order nth_element's
// comparisons mispredict about half the time: it was a third of knn_batch.
// Ids must be distinct and scores not NaN (a strict order): the pivot is then
// the one element ranked neither before nor after itself, and is set between
// its two sides. Falls back to nth_element for short ranges and
// when bad pivots stall it.
inline void select_best(Scored* b, int n, int k) {
  if (k <= 0 || k > n) return;
  thread_local std::vector<Scored> scratch;
  if (scratch.size() < size_t(n)) scratch.resize(size_t(n));
  Scored* const t = scratch.data();
  const int want = k - 1;
  int lo = 0, hi = n;
  for (int rounds = 0; hi - lo > 32 && rounds < 64; ++rounds) {
    // median of three by rank
    int ia = lo, im = lo + (hi - lo) / 2, ic = hi - 1;
    if (ranks_before(b[im], b[ia])) std::swap(ia, im);
    if (ranks_before(b[ic], b[im])) std::swap(im, ic);
    if (ranks_before(b[im], b[ia])) std::swap(ia, im);
    const Scored p = b[im];
    int f = lo, g = hi - 1, at = hi - 1;
    for (int i = lo; i < hi; ++i) {
      const Scored x = b[i];
      const bool before = (x.score > p.score) | ((x.score == p.score) & (x.id < p.id));
      t[f] = x;
      t[g] = x;
      at = i == im ? g : at;
      f += int(before);
      g -= int(!before);
    }
    // The pivot went to the back (it does not rank before itself), to slot
    // `at`; the back is [f, hi) (g + 1 == f). Put the pivot first in it.
    std::swap(t[at], t[f]);
    std::copy(t + lo, t + hi, b + lo);
    if (want == f) return;
    if (want < f) hi = f;
    else lo = f + 1;
  }
  std::nth_element(b + lo, b + want, b + hi, ranks_before);
}

// Buffered top-k for long candidate streams (knn_batch): a candidate above the
// threshold is appended to a buffer of capacity cap (> k); a full buffer is cut
// back to its k best (select_best), which raises the threshold to the k-th
// best score. Amortised O(1) per candidate (a heap pays O(log k) each). The
// caller passes only candidates with score > thr, in increasing id order, so
// ties resolve to the lower id as ranks_before says.
inline void topbuf_compact(Scored* b, int& size, int k, float& thr) {
  if (size <= k) return;
  select_best(b, size, k);
  size = k;
  thr = b[k - 1].score;
}
inline void topbuf_push(Scored* b, int& size, int k, int cap, float& thr, Scored x) {
  b[size++] = x;
  if (size == cap) topbuf_compact(b, size, k, thr);
}

// Union of several top-k lists: one entry per id (its best score), best first.
inline void dedup_best_first(std::vector<Scored>& all) {
  std::sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) {
    return a.id < b.id || (a.id == b.id && a.score > b.score);
  });
  all.erase(std::unique(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.id == b.id; }),
            all.end());
  std::sort(all.begin(), all.end(), ranks_before);
}

// Owning wrapper for one query.
class TopK {
 public:
  explicit TopK(int k = 0) { reset(k); }
  void reset(int k) {
    k_ = std::max(k, 0);
    size_ = 0;
    h_.resize(size_t(k_));
  }
  bool push(float score, int32_t id) { return k_ > 0 && topk_push(h_.data(), size_, k_, Scored{score, id}); }
  float threshold() const { return topk_threshold(h_.data(), size_, k_); }
  int size() const { return size_; }
  bool full() const { return size_ >= k_; }
  // The i-th kept entry in heap order (no particular order).
  const Scored& at(int i) const { return h_[size_t(i)]; }
  // Best first.
  void sorted_into(std::vector<int32_t>& ids, std::vector<float>& scores) {
    topk_sort(h_.data(), size_);
    ids.resize(size_t(size_));
    scores.resize(size_t(size_));
    for (int i = 0; i < size_; ++i) {
      ids[i] = h_[i].id;
      scores[i] = h_[i].score;
    }
  }

 private:
  int k_ = 0, size_ = 0;
  std::vector<Scored> h_;
};

}  // namespace tome
