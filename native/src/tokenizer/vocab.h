// Vocab: everything tokenization needs from a GGUF's tokenizer.ggml.* keys,
// loaded the way llama.cpp's llama_vocab::impl::load does, including its
// defaults per model kind and pre-tokenizer and its fix-ups of token
// attributes by token text (e.g. "<|im_end|>" becomes CONTROL and end-of-
// generation even when the file says NORMAL), because those decide which text
// is split out as a special token and how pieces render.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace tome {

class GgufFile;

// Token attribute bits (llama.cpp's llama_token_attr values).
enum TokenAttr : uint32_t {
  ATTR_UNDEFINED = 0,
  ATTR_UNKNOWN = 1 << 0,
  ATTR_UNUSED = 1 << 1,
  ATTR_NORMAL = 1 << 2,
  ATTR_CONTROL = 1 << 3,
  ATTR_USER_DEFINED = 1 << 4,
  ATTR_BYTE = 1 << 5,
  ATTR_NORMALIZED = 1 << 6,
  ATTR_LSTRIP = 1 << 7,
  ATTR_RSTRIP = 1 << 8,
  ATTR_SINGLE_WORD = 1 << 9,
};

struct VocabToken {
  std::string text;
  float score = 0.0f;
  uint32_t attr = ATTR_NORMAL;
};

struct Vocab {
  TokenizerKind kind = TokenizerKind::SPM;
  std::string model;  // tokenizer.ggml.model
  std::string pre;    // tokenizer.ggml.pre as written ("" when absent)

  std::vector<VocabToken> tokens;
  std::unordered_map<std::string, int32_t> text_to_id;

  // BPE merges in file order: (left, right); rank = index of first occurrence.
  std::vector<std::pair<std::string, std::string>> merges;

  // Special ids, -1 when none.
  int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, sep = -1, pad = -1, mask = -1;
  int32_t fim_pre = -1, fim_suf = -1, fim_mid = -1, fim_pad = -1, fim_rep = -1, fim_sep = -1;

  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;
  bool ignore_merges = false;  // BPE: a pre-tokenized word that is a token is emitted whole

  std::unordered_set<int32_t> eog;  // end-of-generation ids
  // Ids of CONTROL / USER_DEFINED / UNKNOWN tokens, longest text first, in
  // exactly the order llama.cpp tries them when splitting out special tokens.
  std::vector<int32_t> special_order;

  static Vocab from_gguf(const GgufFile& gguf);

  int32_t n_tokens() const { return int32_t(tokens.size()); }
  bool valid(int32_t id) const { return id >= 0 && id < n_tokens(); }
  int32_t find(const std::string& text) const {
    auto it = text_to_id.find(text);
    return it == text_to_id.end() ? -1 : it->second;
  }
};

}  // namespace tome
