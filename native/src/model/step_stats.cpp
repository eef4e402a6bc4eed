#include "model/step_stats.h"

#include <algorithm>

namespace tome {

namespace {

using Pair = std::pair<int32_t, float>;

// A thread's table of per-position sums, kept between calls and sized to the
// largest position met: an entry is live only while its position is in
// `touched`, and every call clears the entries it set, so a call costs
// O(pairs), not O(context).
struct PositionTable {
  std::vector<float> sum;
  std::vector<uint8_t> seen;
  std::vector<int32_t> touched;  // positions in the order first met
};

// Sums each position's weights in the order added: out = one (position, sum)
// per position, in the order the positions were first met; lo and hi bound the
// pairs' positions. Dense over the positions, with the general sort-then-sum
// for a position < 0; each position's sum adds its weights in the order added
// either way, so both give the same floats. The app and `tome bench decode`
// read a step's stats each token: a stable sort of its ~27K-80K pairs took 2-3
// ms; a table assigned over [0, hi] each call, read through a thread_local
// named in the loop (a __tls_get_addr call per use in a shared library), and
// a copy of the pairs first, ~1.1 ms a step at 8K and 32K contexts (smol,
// read right after the step); this, 0.25-0.36 ms.
void sum_by_position(const Pair* pw, size_t n, int32_t lo, int32_t hi, std::vector<Pair>& out) {
  out.clear();
  if (n == 0) return;
  if (lo < 0) {  // not a context position: the general path
    out.assign(pw, pw + n);
    std::stable_sort(out.begin(), out.end(), [](const Pair& a, const Pair& b) { return a.first < b.first; });
    size_t m = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      if (m > 0 && out[m - 1].first == out[i].first) out[m - 1].second += out[i].second;
      else out[m++] = out[i];
    }
    out.resize(m);
    return;
  }
  thread_local PositionTable t_table;
  PositionTable& T = t_table;
  if (T.seen.size() <= size_t(hi)) {  // seen last: a throw between the two leaves it short, to grow again
    T.sum.resize(size_t(hi) + 1);
    T.seen.resize(size_t(hi) + 1, 0);
  }
  // allocated before the first mark, so that no throw leaves marks behind
  const size_t most = std::min(n, size_t(hi) + 1);  // at most one entry a position
  T.touched.resize(most);
  out.reserve(most);
  float* sum = T.sum.data();
  uint8_t* seen = T.seen.data();
  int32_t* touched = T.touched.data();
  size_t nt = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t p = size_t(pw[i].first);
    if (seen[p]) {
      sum[p] += pw[i].second;
    } else {
      seen[p] = 1;
      sum[p] = pw[i].second;
      touched[nt++] = int32_t(p);
    }
  }
  for (size_t i = 0; i < nt; ++i) {
    const size_t p = size_t(touched[i]);
    out.emplace_back(int32_t(p), sum[p]);
    seen[p] = 0;
  }
}

constexpr size_t kMergeAbove = size_t(1) << 22;  // pairs kept before merging (a long multi-token eval)

}  // namespace

void StepStats::add_position_weights(const int32_t* pos, const float* w, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    position_weights.emplace_back(pos[i], w[i]);
    lowest_position = std::min(lowest_position, pos[i]);
    highest_position = std::max(highest_position, pos[i]);
  }
  merge_if_long();
}

void StepStats::add_position_run(int32_t first, const float* w, size_t n) {
  if (n == 0) return;
  for (size_t i = 0; i < n; ++i) position_weights.emplace_back(first + int32_t(i), w[i]);
  lowest_position = std::min(lowest_position, first);
  highest_position = std::max(highest_position, first + int32_t(n - 1));
  merge_if_long();
}

void StepStats::merge_if_long() {
  if (position_weights.size() > kMergeAbove) {
    std::vector<Pair> merged;
    sum_by_position(position_weights.data(), position_weights.size(), lowest_position, highest_position, merged);
    position_weights.swap(merged);
  }
}

void StepStats::top_positions(size_t n, std::vector<int32_t>& pos, std::vector<float>& w) const {
  thread_local std::vector<Pair> t_all;
  std::vector<Pair>& all = t_all;
  sum_by_position(position_weights.data(), position_weights.size(), lowest_position, highest_position, all);
  const size_t k = std::min(n, all.size());
  // distinct positions: a total order, so the k heaviest do not depend on the order of `all`
  std::partial_sort(all.begin(), all.begin() + long(k), all.end(), [](const Pair& a, const Pair& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  pos.clear();
  w.clear();
  for (size_t i = 0; i < k; ++i) {
    pos.push_back(all[i].first);
    w.push_back(all[i].second);
  }
}

}  // namespace tome
