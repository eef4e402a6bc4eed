// Dynamic scheduling over a ThreadPool for uneven work items (graph nodes whose
// cost varies with their candidate pools): threads take chunks of `chunk`
// items from a shared counter. fn(item, thread). pool may be nullptr.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>

#include "cpu/thread_pool.h"

namespace tome {

template <class Fn>
void parallel_dynamic(ThreadPool* pool, int64_t n, int64_t chunk, Fn&& fn) {
  if (n <= 0) return;
  if (!pool || pool->size() == 1 || n <= chunk) {
    for (int64_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  std::atomic<int64_t> next{0};
  pool->run([&](int t) {
    for (;;) {
      const int64_t b = next.fetch_add(chunk);
      if (b >= n) break;
      const int64_t e = std::min(n, b + chunk);
      for (int64_t i = b; i < e; ++i) fn(i, t);
    }
  });
}

inline int pool_threads(ThreadPool* pool) { return pool ? pool->size() : 1; }

}  // namespace tome
