// The individual split steps behind pretokenizer.h. Each takes one piece
// [begin, end) of a code-point array and appends the lengths of the pieces it
// cuts it into (they cover the piece exactly, in order).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tome::split {

// pretokenize_gpt2_family.cpp: one-pass matchers for whole regex alternations.
void split_gpt2(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_llama3(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_qwen2(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_seed_coder(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_tekken(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_gpt4o(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);

// pretokenize_regex_steps.cpp: single regexes, found leftmost-first like
// std::regex_iterator; matches and the stretches between them become pieces.
void split_punct_symbol_runs(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_number_runs(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_number_each(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_ascii_digits_3(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_line_break_each(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_space_letters(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_space_puncts(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_cjk_runs(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_ds_llm_letters(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_ds_llm_puncts(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_trailing_spaces(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_numbers_1_3(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_cjk_kana_runs(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);
void split_ds3_words(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out);

// The whitespace alternatives the Llama-3 family of regexes ends with,
//   \s*[\r\n]+ | \s+(?!\S) | \s+
// tried at i of a piece ending at end (\s = White_Space; the lookahead sees the piece's end
// as no code point): the match's length, 0 when cpts[i] is not White_Space.
size_t space_alternatives_at(const uint32_t* cpts, size_t i, size_t end);

}  // namespace tome::split
