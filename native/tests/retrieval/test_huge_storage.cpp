// Index storage on huge pages (common/huge_pages.h): blocks of at least
// kHugeMin bytes are mapped 2 MiB-aligned; smaller ones come from operator new.
// Both must behave as plain vector storage: contents kept across growth (the
// indexes grow by 1/8, growth.h), rows of a KeyMatrix exact after many appends.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/huge_pages.h"
#include "retrieval/growth.h"
#include "retrieval/key_matrix.h"
#include "test_harness.h"

using namespace tome;

namespace {
// Mapped 2 MiB-aligned where the mmap path exists (Linux); anything elsewhere.
bool huge_aligned(const void* p) {
#if defined(__linux__)
  return reinterpret_cast<uintptr_t>(p) % huge_pages::kHuge == 0;
#else
  return p != nullptr;
#endif
}
}  // namespace

TEST(large_blocks_are_2mib_aligned_and_keep_contents_when_grown) {
  HugeVector<int32_t> v;
  const size_t n = huge_pages::kHugeMin / sizeof(int32_t) + 12345;  // just above the threshold
  v.resize(n);
  CHECK(huge_aligned(v.data()));
  for (size_t i = 0; i < n; ++i) v[i] = int32_t(i * 2654435761u);
  for (int round = 0; round < 3; ++round) {  // three 1/8 growths: new mappings, contents copied
    reserve_for(v, v.capacity() + 1);
    v.push_back(-1);
    CHECK(huge_aligned(v.data()));
  }
  bool same = true;
  for (size_t i = 0; i < n; ++i) same = same && v[i] == int32_t(i * 2654435761u);
  CHECK(same);
  CHECK_EQ(v.back(), -1);
  v.clear();
  v.shrink_to_fit();  // unmapped
  CHECK_EQ(v.capacity(), size_t(0));
}

TEST(small_blocks_are_ordinary_memory) {
  HugeVector<uint16_t> v(1000, 7);
  CHECK_EQ(v.size(), size_t(1000));
  CHECK_EQ(v[999], uint16_t(7));
  v.resize(3000, 9);
  CHECK_EQ(v[0], uint16_t(7));
  CHECK_EQ(v[2999], uint16_t(9));
}

TEST(key_matrix_rows_exact_across_the_huge_page_threshold) {
  const int d = 64;
  KeyMatrix m(d);
  const int64_t rows = int64_t(huge_pages::kHugeMin / (d * sizeof(uint16_t))) + 5000;
  std::vector<uint16_t> chunk(size_t(1000) * d);
  for (int64_t r0 = 0; r0 < rows; r0 += 1000) {
    const int64_t nr = std::min<int64_t>(1000, rows - r0);
    for (int64_t r = 0; r < nr; ++r)
      for (int c = 0; c < d; ++c) chunk[size_t(r * d + c)] = uint16_t(((r0 + r) * 31 + c) & 0x3bff);  // finite f16
    m.append_f16(chunk.data(), nr, size_t(d));
  }
  CHECK_EQ(m.rows(), rows);
  CHECK(m.bytes() >= huge_pages::kHugeMin);
  bool same = true;
  for (int64_t r = 0; r < rows; r += 997)
    for (int c = 0; c < d; ++c) same = same && m.row(r)[c] == uint16_t((r * 31 + c) & 0x3bff);
  CHECK(same);
}

TOME_TEST_MAIN()
