// HugePageAllocator: std::vector storage for the large arrays a decode step
// reads at random (index keys and adjacency rows). Blocks of at least
// kHugeMin bytes are mapped 2 MiB-aligned and marked MADV_HUGEPAGE, so the
// kernel backs them with 2 MiB pages where it can (transparent huge pages in
// "madvise" mode, the default of many distributions). A search touches a few
// thousand random rows of a cold index: with 4 KiB pages nearly every row is a
// TLB miss and a page walk (costlier still under virtualization's nested
// paging); with 2 MiB pages a 40 MB index needs 20 TLB entries.
// Measured (bench_index --n 131072 --d 64 --cold 24): 330 -> 286 us per search.
// Smaller blocks, and systems without THP, get ordinary memory, 64-byte aligned
// (a row of an index that starts on a cache line stays on the fewest lines);
// contents and behaviour are the same either way (zero-filled only where vector
// says so). The threshold is a template argument (2 MiB for every array
// today; a block's tail past its last whole huge page stays on small pages).
#pragma once
#include <cstddef>
#include <new>
#include <vector>

namespace tome {

namespace huge_pages {
constexpr size_t kHuge = size_t(2) << 20;
// From one whole huge page up: a block's tail past its last whole 2 MiB page
// is kept on small pages (huge_pages.cpp), so a block costs no more than its
// bytes; and mapped blocks go back to the system when freed (glibc's heap,
// whose mmap threshold rises to the largest block freed, keeps what it frees:
// indexes that grow in step all reallocated at once held ~1 GB more at 32K).
constexpr size_t kHugeMin = kHuge;
constexpr size_t kAlign = 64;  // blocks under the threshold
// Blocks of at least min_huge bytes are huge-page mappings (min_huge >= kHuge).
void* allocate(size_t bytes, size_t min_huge = kHugeMin);  // throws std::bad_alloc
void deallocate(void* p, size_t bytes, size_t min_huge = kHugeMin);
// What a block of `bytes` takes in RAM once touched (what a RAM budget
// counts): a mapping's whole 2 MiB pages, then its tail in small pages.
size_t mapped_bytes(size_t bytes, size_t min_huge = kHugeMin);
}  // namespace huge_pages

template <class T, size_t MinHuge = huge_pages::kHugeMin>
struct HugePageAllocator {
  static_assert(MinHuge >= huge_pages::kHuge, "huge blocks are whole 2 MiB pages");
  using value_type = T;
  template <class U>
  struct rebind {
    using other = HugePageAllocator<U, MinHuge>;
  };
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U, MinHuge>&) {}
  T* allocate(size_t n) { return static_cast<T*>(huge_pages::allocate(n * sizeof(T), MinHuge)); }
  void deallocate(T* p, size_t n) { huge_pages::deallocate(p, n * sizeof(T), MinHuge); }
  template <class U>
  bool operator==(const HugePageAllocator<U, MinHuge>&) const { return true; }
  template <class U>
  bool operator!=(const HugePageAllocator<U, MinHuge>&) const { return false; }
};

template <class T, size_t MinHuge = huge_pages::kHugeMin>
using HugeVector = std::vector<T, HugePageAllocator<T, MinHuge>>;

}  // namespace tome
