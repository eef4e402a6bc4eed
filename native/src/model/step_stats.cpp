#include "model/step_stats.h"

#include <algorithm>

namespace tome {

namespace {

// Sums each position's pairs (in the order added) into one pair per position,
// by position. Dense over [0, max position]: one pass over the pairs and one
// over the positions, where a stable sort of a step's ~80K pairs took ~2-3 ms
// of every step whose stats are read (the app and `tome bench decode` read
// them each token). Each position's sum adds its weights in the order added,
// as the sort-then-sum did, so the results are the same floats.
void merge_positions(std::vector<std::pair<int32_t, float>>& pw) {
  if (pw.empty()) return;
  int32_t lo = pw[0].first, hi = pw[0].first;
  for (const auto& x : pw) lo = std::min(lo, x.first), hi = std::max(hi, x.first);
  if (lo < 0) {  // not a context position: the general path
    std::stable_sort(pw.begin(), pw.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    size_t out = 0;
    for (size_t i = 0; i < pw.size(); ++i) {
      if (out > 0 && pw[out - 1].first == pw[i].first) pw[out - 1].second += pw[i].second;
      else pw[out++] = pw[i];
    }
    pw.resize(out);
    return;
  }
  thread_local std::vector<float> sum;
  thread_local std::vector<uint8_t> seen;
  sum.assign(size_t(hi) + 1, 0.0f);
  seen.assign(size_t(hi) + 1, 0);
  for (const auto& x : pw) {
    const size_t p = size_t(x.first);
    sum[p] = seen[p] ? sum[p] + x.second : x.second;
    seen[p] = 1;
  }
  pw.clear();
  for (size_t p = 0; p <= size_t(hi); ++p)
    if (seen[p]) pw.emplace_back(int32_t(p), sum[p]);
}

constexpr size_t kMergeAbove = size_t(1) << 22;  // pairs kept before merging (a long multi-token eval)

}  // namespace

void StepStats::add_position_weights(const int32_t* pos, const float* w, size_t n) {
  for (size_t i = 0; i < n; ++i) position_weights.emplace_back(pos[i], w[i]);
  if (position_weights.size() > kMergeAbove) merge_positions(position_weights);
}

void StepStats::top_positions(size_t n, std::vector<int32_t>& pos, std::vector<float>& w) const {
  std::vector<std::pair<int32_t, float>> all(position_weights);
  merge_positions(all);
  const size_t k = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + long(k), all.end(), [](const auto& a, const auto& b) {
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
