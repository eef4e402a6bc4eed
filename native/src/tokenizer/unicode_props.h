// Unicode facts the pre-tokenizers need, per code point: the general-category
// class (the way llama.cpp's unicode.cpp groups categories) and White_Space.
// The table is generated from Node's Unicode database into unicode_tables.inc
// by native/tools/gen-unicode-tables.mjs.
#pragma once
#include <cstdint>

namespace tome::unicode {

// Category classes (exactly one per assigned code point) and White_Space.
enum CpFlag : uint16_t {
  UNDEFINED = 0x01,    // Cn: unassigned
  NUMBER = 0x02,       // \p{N}
  LETTER = 0x04,       // \p{L}
  SEPARATOR = 0x08,    // \p{Z}
  MARK = 0x10,         // \p{M}
  PUNCTUATION = 0x20,  // \p{P}
  SYMBOL = 0x40,       // \p{S}
  CONTROL = 0x80,      // Cc, Cf, Co, Cs
  CATEGORY_MASK = 0xFF,
  WHITESPACE = 0x100,  // White_Space; what llama.cpp means by \s
};

struct CpFlags {
  uint16_t bits = 0;  // 0 only for "no code point" (past the end of a piece)
  bool any() const { return bits != 0; }
  bool is_letter() const { return bits & LETTER; }
  bool is_number() const { return bits & NUMBER; }
  bool is_punctuation() const { return bits & PUNCTUATION; }
  bool is_whitespace() const { return bits & WHITESPACE; }
  uint16_t category() const { return bits & CATEGORY_MASK; }
};

CpFlags cp_flags(uint32_t cp);

}  // namespace tome::unicode
