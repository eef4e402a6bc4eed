#include "model/query_sample.h"

#include <algorithm>
#include <vector>

namespace tome {

namespace {
// A level's threshold from the one below it: 15/16 of it.
uint64_t next_threshold(uint64_t t) { return t - (t >> 4); }
}  // namespace

int64_t training_queries_wanted(int64_t n_keys) { return std::clamp<int64_t>(n_keys * 3 / 10, 4096, 32768); }

uint64_t query_priority(int64_t pos) {
  // splitmix64's finalizer of the position (salted): positions are multiples of
  // the stride, so their low bits alone would not be spread
  uint64_t z = uint64_t(pos) + 0x6a09e667f3bcc909ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t query_threshold(int level) {
  uint64_t t = ~uint64_t(0);
  for (int j = 0; j < level; ++j) t = next_threshold(t);
  return t;
}

int64_t count_kept_positions(int64_t n, int64_t stride, int level) {
  const uint64_t t = query_threshold(level);
  int64_t count = 0;
  for (int64_t p = 0; p < n; p += stride) count += query_priority(p) <= t;
  return count;
}

int query_level_for(int64_t n, int64_t stride, int64_t rows_per_position, int64_t rows_wanted) {
  if (n <= 0 || stride <= 0 || rows_per_position <= 0) return 0;
  const int64_t need = (std::max<int64_t>(rows_wanted, 1) + rows_per_position - 1) / rows_per_position;
  std::vector<uint64_t> prio;
  for (int64_t p = 0; p < n; p += stride) prio.push_back(query_priority(p));
  if (int64_t(prio.size()) <= need) return 0;
  // the need-th smallest priority: a level keeps at least `need` positions
  // exactly when its threshold is at or above it
  std::nth_element(prio.begin(), prio.begin() + (need - 1), prio.end());
  const uint64_t v = prio[size_t(need - 1)];
  int level = 0;
  for (uint64_t t = next_threshold(~uint64_t(0)); level < kMaxQueryLevel && t >= v; t = next_threshold(t)) ++level;
  return level;
}

}  // namespace tome
