// huge_pages.h: large blocks are anonymous mappings, 2 MiB-aligned (the head
// and tail of an over-sized mapping are unmapped again) and MADV_HUGEPAGE.
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
}  // namespace

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
    madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);  // advice only: ignored without THP
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
