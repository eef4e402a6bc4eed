#include "model/kv_cache.h"

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.h"

namespace tome {

KvCache::KvCache(int n_layer, int n_head_kv, int head_dim, int64_t n_ctx)
    : n_layer_(n_layer), n_head_kv_(n_head_kv), head_dim_(head_dim), n_ctx_(n_ctx),
      rows_((n_ctx + kBlockRows - 1) / kBlockRows * kBlockRows) {
  const size_t n = size_t(n_layer) * size_t(n_head_kv) * size_t(rows_) * size_t(head_dim);
  map_bytes_ = 2 * n * sizeof(uint16_t);
  void* p = map_bytes_ ? mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                              -1, 0)
                       : nullptr;
  if (map_bytes_ && p == MAP_FAILED)
    throw Error("KV_ALLOC", "cannot reserve the KV cache (" + std::to_string(map_bytes_) + " bytes for " +
                                std::to_string(n_ctx) + " tokens); lower --ctx");
  k_ = static_cast<uint16_t*>(p);
  v_ = k_ + n;
}

KvCache::~KvCache() {
  if (map_bytes_) munmap(k_, map_bytes_);
}

void KvCache::release_rows(int layer, int head, int64_t row0, int64_t n) {
  static const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  const size_t row = size_t(head_dim_);
  for (uint16_t* base : {k(layer, head), v(layer, head)}) {
    // only the pages wholly inside the range: its neighbours' bytes stay
    const uintptr_t a = reinterpret_cast<uintptr_t>(base + size_t(row0) * row);
    const uintptr_t b = reinterpret_cast<uintptr_t>(base + size_t(row0 + n) * row);
    const uintptr_t first = (a + page - 1) / page * page, last = b / page * page;
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
  }
}

#if defined(__linux__) && !defined(MADV_COLLAPSE)
#define MADV_COLLAPSE 25  // Linux 6.1 (asm-generic/mman-common.h); glibc 2.36 does not define it
#endif

void KvCache::collapse_huge(int64_t n_rows, const std::function<bool(int layer)>& small_pages) {
#if defined(__linux__)
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  n_rows = std::min(n_rows, rows_);
  const size_t row_bytes = size_t(head_dim_) * sizeof(uint16_t);
  // per region: the spans from the one holding the old mark (it may have been
  // part written then) to the last one wholly below n_rows; none while the
  // rows stay inside one span, so a decode step usually issues no call
  if (collapse_failed_ || !map_bytes_) return;
  for (int l = 0; l < n_layer_ && !collapse_failed_; ++l)
    for (int h = 0; h < n_head_kv_ && !collapse_failed_ && !(small_pages && small_pages(l)); ++h)
      for (const uint16_t* base : {k(l, h), v(l, h)}) {
        const uintptr_t b = reinterpret_cast<uintptr_t>(base);
        const uintptr_t first = (b + kHuge - 1) / kHuge * kHuge;
        const uintptr_t from = std::max(first, (b + size_t(collapsed_rows_) * row_bytes) / kHuge * kHuge);
        const uintptr_t to = (b + size_t(n_rows) * row_bytes) / kHuge * kHuge;
        if (to <= from) continue;
        if (madvise(reinterpret_cast<void*>(from), to - from, MADV_COLLAPSE) != 0 &&
            (errno == EINVAL || errno == EPERM)) {
          collapse_failed_ = true;  // not supported here (or THP disabled): stay on small pages
          break;
        }
      }
  collapsed_rows_ = n_rows;
#else
  (void)n_rows;
  (void)small_pages;
#endif
}

uint64_t KvCache::resident_bytes() const {
  if (!map_bytes_) return 0;
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((map_bytes_ + page - 1) / page);
  if (mincore(k_, map_bytes_, in.data()) != 0) return 0;
  uint64_t n = 0;
  for (unsigned char c : in) n += c & 1;
  return n * page;
}

}  // namespace tome
