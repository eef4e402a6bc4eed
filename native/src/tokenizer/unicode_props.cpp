// Lookup of unicode_tables.inc: a flat table for the BMP (built once, 128 KiB),
// binary search over the ranges above it.
#include "tokenizer/unicode_props.h"

#include <algorithm>
#include <vector>

namespace tome::unicode {
namespace {

struct CategoryRange {
  uint32_t first;
  uint8_t flags;
};

#include "tokenizer/unicode_tables.inc"

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr size_t kRangeCount = sizeof(kCategoryRanges) / sizeof(kCategoryRanges[0]);

uint16_t lookup_ranges(uint32_t cp) {
  // Last range whose first code point is <= cp.
  const CategoryRange* end = kCategoryRanges + kRangeCount;
  const CategoryRange* it = std::upper_bound(kCategoryRanges, end, cp,
      [](uint32_t c, const CategoryRange& r) { return c < r.first; });
  uint16_t bits = (it - 1)->flags;
  if (std::binary_search(std::begin(kWhiteSpace), std::end(kWhiteSpace), cp)) bits |= WHITESPACE;
  return bits;
}

const std::vector<uint16_t>& bmp_table() {
  static const std::vector<uint16_t> table = [] {
    std::vector<uint16_t> t(0x10000);
    for (uint32_t cp = 0; cp < 0x10000; ++cp) t[cp] = lookup_ranges(cp);
    return t;
  }();
  return table;
}

}  // namespace

CpFlags cp_flags(uint32_t cp) {
  if (cp < 0x10000) return CpFlags{bmp_table()[cp]};
  if (cp > kMaxCodePoint) return CpFlags{UNDEFINED};  // as llama.cpp: beyond the table = unassigned
  return CpFlags{lookup_ranges(cp)};
}

}  // namespace tome::unicode
