// UTF-8 helpers with llama.cpp's exact behaviour on bad input, because token
// boundaries depend on it:
//   - utf8_seq_len(lead): length claimed by a lead byte from its high nibble
//     (continuation bytes and 0xF8..0xFF claim 1), used to cut symbols;
//   - decode_utf8_lossy: one U+FFFD per byte that does not start a well-formed
//     (by llama.cpp's loose rules: no overlong/surrogate checks) sequence.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tome::utf8 {

inline size_t utf8_seq_len(uint8_t lead) {
  static const uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

std::vector<uint32_t> decode_utf8_lossy(std::string_view s);

// Appends the UTF-8 form of cp; code points past U+10FFFF become U+FFFD.
void append_utf8(std::string& out, uint32_t cp);

// Strict UTF-8 (Unicode 3.9, table 3-7) of `in` appended to `out`, each maximal
// ill-formed subpart replaced by one U+FFFD (the WHATWG / V8 rule). With
// hold_tail, a trailing sequence that is incomplete but could still complete is
// not consumed. Returns the number of bytes of `in` consumed.
size_t append_valid_utf8(std::string& out, std::string_view in, bool hold_tail);

}  // namespace tome::utf8
