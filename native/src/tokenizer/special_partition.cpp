#include "tokenizer/special_partition.h"

#include "tokenizer/vocab.h"

namespace tome {
namespace {

// C isspace in the "C" locale: what llama.cpp strips for LSTRIP / RSTRIP.
bool c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

std::vector<Fragment> partition_special_tokens(const Vocab& v, std::string_view text, bool parse_special) {
  std::vector<Fragment> frags;
  if (!text.empty()) frags.push_back({-1, 0, text.size()});

  std::vector<Fragment> next;
  for (int32_t id : v.special_order) {
    const VocabToken& tok = v.tokens[id];
    if (!parse_special && (tok.attr & (ATTR_CONTROL | ATTR_UNKNOWN))) continue;
    const std::string_view needle = tok.text;

    next.clear();
    bool changed = false;
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t off = f.offset, len = f.length;
      while (len > 0) {
        const size_t match = text.substr(off, len).find(needle);
        if (match == std::string_view::npos) break;
        changed = true;
        size_t left_len = match;
        if (tok.attr & ATTR_LSTRIP)
          while (left_len > 0 && c_space(text[off + left_len - 1])) --left_len;
        if (left_len > 0) next.push_back({-1, off, left_len});
        next.push_back({id, 0, 0});
        off += match + needle.size();
        len -= match + needle.size();
        if (tok.attr & ATTR_RSTRIP)
          while (len > 0 && c_space(text[off])) ++off, --len;
      }
      if (len > 0) next.push_back({-1, off, len});
    }
    if (changed) frags.swap(next);
  }
  return frags;
}

}  // namespace tome
