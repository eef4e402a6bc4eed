// EpochMarks: a reusable "seen" set over ids 0..n-1 that clears in O(1):
// tag[v] == epoch means marked in the current round; begin() starts a round.
// One per thread (dedup during the build; searches use a bitset, graph_search.cpp).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace tome {

struct EpochMarks {
  std::vector<uint32_t> tag;
  uint32_t epoch = 0;
  void begin(int64_t n) {
    if (int64_t(tag.size()) < n) tag.resize(size_t(n), 0);
    if (++epoch == 0) {  // wrapped: old tags could collide, clear once
      std::fill(tag.begin(), tag.end(), 0);
      epoch = 1;
    }
  }
  // True when v was already marked this round; marks it.
  bool test_and_set(int32_t v) {
    if (tag[size_t(v)] == epoch) return true;
    tag[size_t(v)] = epoch;
    return false;
  }
};

}  // namespace tome
