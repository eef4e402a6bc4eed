// SentencePiece-style tokenization of one text fragment, as llama.cpp's
// llm_tokenizer_spm_session: one symbol per UTF-8 character (cut by lead byte),
// repeatedly merge the adjacent pair whose concatenation is the vocab token
// with the highest score (ties: leftmost), then emit each symbol's token, or
// its bytes as <0xNN> tokens when it is not one.
//
// The caller has already escaped spaces to U+2581 and added the space prefix.
// Where llama.cpp would abort (a byte with neither a <0xNN> token nor a
// one-byte token, e.g. TinyStories-656K on "é"), tome emits UNK once for the
// character instead.
//
// Speed: llama.cpp runs one priority queue over the whole fragment (a whole
// book, ~1M entries, cache-unfriendly). Two neighbouring characters that are
// never neighbours inside any token can never end up in one symbol, so the
// text is cut there into runs merged independently; within a run the merge
// order is unchanged, so the result is exactly llama.cpp's.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace tome {

struct Vocab;

class SpmTokenizer {
 public:
  explicit SpmTokenizer(const Vocab& vocab);
  void tokenize(const std::string& text, std::vector<int32_t>& out) const;

 private:
  const Vocab& vocab_;
  // (character, next character) pairs that occur inside some token, each
  // character packed as its UTF-8 bytes.
  std::unordered_set<uint64_t> joinable_;
};

}  // namespace tome
