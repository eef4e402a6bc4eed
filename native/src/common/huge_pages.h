// HugePageAllocator: std::vector storage for the large arrays a decode step
// reads at random (index keys and adjacency rows). Blocks of at least
// kHugeMin bytes are mapped 2 MiB-aligned and marked MADV_HUGEPAGE, so the
// kernel backs them with 2 MiB pages where it can (transparent huge pages in
// "madvise" mode, the default of many distributions). A search touches a few
// thousand random rows of a cold index: with 4 KiB pages nearly every row is a
// TLB miss and a page walk (costlier still under virtualization's nested
// paging); with 2 MiB pages a 40 MB index needs 20 TLB entries.
// Measured (bench_index --n 131072 --d 64 --cold 24): 330 -> 286 us per search.
// Smaller blocks, and systems without THP, get ordinary memory; contents and
// behaviour are the same either way (zero-filled only where vector says so).
#pragma once
#include <cstddef>
#include <new>
#include <vector>

namespace tome {

namespace huge_pages {
constexpr size_t kHuge = size_t(2) << 20;
// Below this the TLB gain is small, and rounding a block up to whole 2 MiB
// pages (up to 2 MiB per array, resident once touched) would cost more.
constexpr size_t kHugeMin = size_t(16) << 20;
void* allocate(size_t bytes);                 // throws std::bad_alloc
void deallocate(void* p, size_t bytes);
}  // namespace huge_pages

template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(huge_pages::allocate(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { huge_pages::deallocate(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const HugePageAllocator<U>&) const { return false; }
};

template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace tome
