// KvCache: collapse_huge maps written rows with 2 MiB pages and keeps every byte.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "model/kv_cache.h"
#include "test_harness.h"

using namespace tome;

namespace {

// kB of AnonHugePages in the mapping holding p (/proc/self/smaps), -1 if unknown.
long huge_kb_at(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) return -1;
  const auto a = reinterpret_cast<uintptr_t>(p);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find('-')) {
      inside = a >= lo && a < hi;
      continue;
    }
    long kb = 0;
    if (inside && std::sscanf(line.c_str(), "AnonHugePages: %ld kB", &kb) == 1) return kb;
  }
  return -1;
}

uint16_t pattern(int l, int h, int kv, int64_t i) { return uint16_t((l * 131 + h * 17 + kv * 7 + i * 2654435761u) >> 3); }

}  // namespace

TEST(collapse_huge_keeps_every_row_and_leaves_unwritten_rows_unbacked) {
  const int L = 2, H = 2, D = 64;
  const int64_t n_ctx = 80000, written = 50000;  // 6.1 MB written of 10 MB per region
  KvCache kv(L, H, D, n_ctx);
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h)
      for (int kvi = 0; kvi < 2; ++kvi) {
        uint16_t* r = kvi ? kv.v(l, h) : kv.k(l, h);
        for (int64_t i = 0; i < written * D; ++i) r[i] = pattern(l, h, kvi, i);
      }
  const uint64_t before = kv.resident_bytes();
  kv.collapse_huge(written / 2);
  kv.collapse_huge(written);  // the second call goes on from the first's mark
  kv.collapse_huge(written);  // and a repeat is a no-op
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h)
      for (int kvi = 0; kvi < 2; ++kvi) {
        const uint16_t* r = kvi ? kv.v(l, h) : kv.k(l, h);
        bool same = true;
        for (int64_t i = 0; i < written * D; ++i) same &= r[i] == pattern(l, h, kvi, i);
        CHECK(same);
      }
  // only whole written spans: RSS grows by less than one 2 MiB page per region
  const uint64_t after = kv.resident_bytes();
  CHECK(after >= before);
  CHECK(after - before < uint64_t(L * H * 2) * (2u << 20));
  const long kb = huge_kb_at(kv.k(0, 0));
  if (kb < 0) SKIP("no /proc/self/smaps: cannot see the huge pages");
  std::printf("AnonHugePages in the cache mapping: %ld kB\n", kb);
  if (kb == 0) SKIP("the kernel made no huge page here (THP off or MADV_COLLAPSE unsupported)");
  CHECK(kb >= 2048);
}

TOME_TEST_MAIN()
