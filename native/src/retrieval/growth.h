// Capacity growth for index arrays that grow one key at a time while decoding.
// std::vector doubles its capacity, so the first insert into an index restored
// at exact size would reserve twice its memory at once (hundreds of MB for a
// long book), which a RAM budget cannot absorb. These arrays grow by 1/8
// instead: amortised O(1) appends, at most 12.5% spare.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

namespace tome {

template <class T, class A>
void reserve_for(std::vector<T, A>& v, size_t needed) {
  if (needed <= v.capacity()) return;
  v.reserve(std::max(needed, v.capacity() + v.capacity() / 8 + 1024));
}

}  // namespace tome
