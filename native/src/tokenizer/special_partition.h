// Splitting special tokens out of the text before normal tokenization, as
// llama.cpp's tokenizer_st_partition: special tokens are tried one after the
// other in Vocab::special_order (longest text first), each one splitting every
// text fragment left by the longer ones at all its non-overlapping occurrences
// (left to right). USER_DEFINED tokens are always split out; CONTROL and
// UNKNOWN ones only with parse_special. A token with the LSTRIP / RSTRIP
// attribute also swallows the ASCII whitespace before / after it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tome {

struct Vocab;

struct Fragment {
  int32_t token;  // >= 0: this special token; -1: the text [offset, offset + length)
  size_t offset;
  size_t length;
};

std::vector<Fragment> partition_special_tokens(const Vocab& vocab, std::string_view text, bool parse_special);

}  // namespace tome
