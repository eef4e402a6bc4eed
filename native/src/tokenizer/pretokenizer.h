// Pre-tokenizers for byte-level BPE: split text into the words that BPE merges
// never cross. Each named pre-tokenizer (tokenizer.ggml.pre) is a sequence of
// split steps applied as llama.cpp's unicode_regex_split applies its regex
// list: every step re-splits each piece left by the previous step, keeping
// both its matches and the unmatched stretches between them as pieces.
//
// The steps are hand-written matchers over code points (no std::regex); each
// is the regex named beside it, with llama.cpp's meaning of the classes:
//   \s    = Unicode White_Space          \p{L}, \p{N}, \p{P} = general category
// and, for the steps llama.cpp runs through std::regex over its "collapsed"
// text, the quirks of that path (see pretokenize_regex_steps.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tome {

enum class SplitStep {
  GPT2,              // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  LLAMA3,            // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  QWEN2,             // the same with \p{N} (single digits) for \p{N}{1,3}
  SEED_CODER,        // QWEN2 without the [\r\n]* after a punctuation run
  TEKKEN,            // [^\r\n\p{L}\p{N}]?U*L+|[^\r\n\p{L}\p{N}]?U+L*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
                     //   (U: a letter not a-z, L: a letter not A-Z; llama.cpp's rewrite of Mistral's)
  GPT4O,             // TEKKEN's with \p{N}{1,3} and an optional (?i:'s|'t|'re|'ve|'m|'ll|'d) after the letters
                     //   (OpenAI's o200k: gpt-oss, Llama 4)
  PUNCT_SYMBOL_RUN,  // [\p{P}\$\+<=>\^~\|]+
  NUMBER_RUN,        // \p{N}+
  NUMBER_EACH,       // \p{N}
  ASCII_DIGITS_3,    // [0-9][0-9][0-9]
  LINE_BREAK_EACH,   // [\r\n]
  SPACE_LETTERS,     // \s?\p{L}+
  SPACE_PUNCTS,      // \s?\p{P}+
  CJK_RUN,           // [一-龥ࠀ-一가-퟿]+  (U+4E00..9FA5, U+0800..4E00, U+AC00..D7FF)
  DS_LLM_LETTERS,    // \s?[A-Za-zµÀ-ÖØ-öø-ƺ...𞤀-𞥃]+  (DeepSeek LLM's letter class)
  DS_LLM_PUNCTS,     // \s?[!-/:-~！-／：-～‘-‟　-。]+
  TRAILING_SPACES,   // \s+$
  NUMBER_1_3,        // \p{N}{1,3}
  CJK_KANA_RUN,      // [一-龥぀-ゟ゠-ヿ]+  (U+4E00..9FA5, U+3040..309F, U+30A0..30FF)
  DS3_WORDS,         // [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
                     //  ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+  (DeepSeek V3's words)
};

// What a tokenizer.ggml.pre name means to llama.cpp.
struct PreTokenizerSpec {
  const char* canonical;          // e.g. "llama3" for "llama-bpe"
  std::vector<SplitStep> steps;
  bool ignore_merges = false;     // a word that is itself a token is not merged
  bool add_bos = false;           // default for add_bos_token
  bool no_bos = false;            // the pre-tokenizer drops the default BOS id
};

// nullptr when llama.cpp does not know the name or tome does not implement it.
// An empty name means "default" (llama.cpp warns and uses its default regexes).
const PreTokenizerSpec* find_pre_tokenizer(const std::string& name);

// Lengths, in code points, of the pieces `steps` cut `cpts` into.
std::vector<size_t> pre_split(const std::vector<uint32_t>& cpts, const std::vector<SplitStep>& steps);

// The same as UTF-8 strings (llama.cpp re-encodes each piece from its code
// points, so invalid input bytes come out as U+FFFD).
std::vector<std::string> pre_split_utf8(std::string_view text, const std::vector<SplitStep>& steps);

// One step over the pieces `pieces` (lengths in code points) of `cpts`.
std::vector<size_t> apply_split_step(SplitStep step, const std::vector<uint32_t>& cpts,
                                     const std::vector<size_t>& pieces);

}  // namespace tome
