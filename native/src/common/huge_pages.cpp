// huge_pages.h: large blocks are anonymous mappings, 2 MiB-aligned (the head
// and tail of an over-sized mapping are unmapped again), MADV_HUGEPAGE over
// the whole 2 MiB pages the block fills and MADV_NOHUGEPAGE over the rest.
#include "common/huge_pages.h"

#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tome::huge_pages {

namespace {
size_t mapped_size(size_t bytes) { return (bytes + kHuge - 1) / kHuge * kHuge; }
size_t whole_huge(size_t bytes) { return bytes / kHuge * kHuge; }
constexpr size_t kSmallPage = 4096;
}  // namespace

size_t mapped_bytes(size_t bytes, size_t min_huge) {
#if defined(__linux__)
  // whole huge pages, then the tail in small pages (allocate() keeps huge pages off it)
  if (bytes >= min_huge) return whole_huge(bytes) + (bytes - whole_huge(bytes) + kSmallPage - 1) / kSmallPage * kSmallPage;
#endif
  return bytes;
}

void* allocate(size_t bytes, size_t min_huge) {
#if defined(__linux__)
  if (bytes >= min_huge) {
    const size_t size = mapped_size(bytes);
    void* p = mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const uintptr_t raw = reinterpret_cast<uintptr_t>(p);
    const uintptr_t aligned = (raw + kHuge - 1) / kHuge * kHuge;
    if (aligned > raw) munmap(p, aligned - raw);
    const uintptr_t end = raw + size + kHuge;
    if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
    // advice only (ignored without THP): huge pages where the block fills them;
    // its tail in small pages, so a block just past a 2 MiB multiple does not
    // hold a whole 2 MiB page for a few bytes of it
    if (whole_huge(bytes) > 0) madvise(reinterpret_cast<void*>(aligned), whole_huge(bytes), MADV_HUGEPAGE);
    if (size > whole_huge(bytes)) madvise(reinterpret_cast<void*>(aligned + whole_huge(bytes)), size - whole_huge(bytes), MADV_NOHUGEPAGE);
    return reinterpret_cast<void*>(aligned);
  }
#endif
  return ::operator new(bytes, std::align_val_t(kAlign));
}

void deallocate(void* p, size_t bytes, size_t min_huge) {
  if (!p) return;
#if defined(__linux__)
  if (bytes >= min_huge) {
    munmap(p, mapped_size(bytes));
    return;
  }
#endif
  ::operator delete(p, std::align_val_t(kAlign));
}

}  // namespace tome::huge_pages
