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
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tome {

struct Vocab;

void spm_tokenize(const Vocab& vocab, const std::string& text, std::vector<int32_t>& out);

}  // namespace tome
