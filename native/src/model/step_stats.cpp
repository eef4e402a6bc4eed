#include "model/step_stats.h"

#include <algorithm>

namespace tome {

namespace {

// Sums each position's pairs (in the order added) into one pair per position.
void merge_positions(std::vector<std::pair<int32_t, float>>& pw) {
  std::stable_sort(pw.begin(), pw.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t out = 0;
  for (size_t i = 0; i < pw.size(); ++i) {
    if (out > 0 && pw[out - 1].first == pw[i].first) pw[out - 1].second += pw[i].second;
    else pw[out++] = pw[i];
  }
  pw.resize(out);
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
