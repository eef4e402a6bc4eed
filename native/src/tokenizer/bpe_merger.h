// Byte-level BPE over one pre-tokenized word (already byte-encoded), as
// llama.cpp's llm_tokenizer_bpe_session: start from one symbol per UTF-8
// character, repeatedly merge the adjacent pair with the lowest merge rank
// (ties: leftmost), then map each symbol to its token; a symbol that is not a
// token falls back to its single bytes as tokens, dropping those that are not.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace tome {

struct Vocab;

class BpeMerger {
 public:
  explicit BpeMerger(const Vocab& vocab);
  // Appends the ids for `word` to `out`.
  void encode_word(const std::string& word, std::vector<int32_t>& out) const;

 private:
  int32_t part_id(const std::string& s) const;
  int32_t rank(int32_t left_part, int32_t right_part) const;

  const Vocab& vocab_;
  // Every string that is the left or right side of some merge gets a small id,
  // so that a pair's rank is one hash lookup on two ints; a symbol whose text
  // is no merge side can never merge.
  std::unordered_map<std::string, int32_t> parts_;
  std::unordered_map<uint64_t, int32_t> ranks_;  // (left part << 32 | right part) -> rank
};

}  // namespace tome
