#include "model/step_stats.h"

#include <algorithm>

namespace tome {

void StepStats::top_positions(size_t n, std::vector<int32_t>& pos, std::vector<float>& w) const {
  std::vector<std::pair<int32_t, float>> all(weights_by_position.begin(), weights_by_position.end());
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
