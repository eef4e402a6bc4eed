// Single-regex split steps. llama.cpp runs these through std::regex, over one of
// two stand-ins for the text, and that decides what the classes mean:
//   * regexes with \p{..}: over a "collapsed" byte string where each code point
//     >= 0x80 becomes one byte for its class (White_Space first, then the
//     category). So \s = White_Space, \p{L}/\p{N}/\p{P} = the category, and a
//     non-ASCII code point is never matched by a literal in the regex
//     (e.g. [\p{P}\$\+...] takes ASCII '$' but not '€').
//   * regexes without \p{..}: over the code points themselves, except that
//     non-ASCII White_Space is replaced by U+000B (so U+3000 is not in a CJK
//     range that spans it).
// Each step here is the regex written as a "match at i" function; the driver
// finds matches leftmost-first and never empty, as std::regex_iterator does for
// these patterns.
#include "tokenizer/pretokenize_steps.h"

#include "tokenizer/unicode_props.h"

namespace tome::split {
namespace {

using unicode::cp_flags;

// Class tests with the collapsed-text meaning (White_Space wins over category).
bool is_space(uint32_t cp) { return cp_flags(cp).is_whitespace(); }
bool has_category(uint32_t cp, uint16_t category) {
  const auto f = cp_flags(cp);
  return !f.is_whitespace() && (f.category() & category);
}
bool is_letter(uint32_t cp) { return has_category(cp, unicode::LETTER); }
bool is_number(uint32_t cp) { return has_category(cp, unicode::NUMBER); }
bool is_punct(uint32_t cp) { return has_category(cp, unicode::PUNCTUATION); }

// Leftmost-first scan: match_at(i) is the length of the match starting at i (0: none).
template <class MatchAt>
void split_by(size_t begin, size_t end, std::vector<size_t>& out, MatchAt match_at) {
  size_t gap_start = begin;
  size_t i = begin;
  while (i < end) {
    const size_t len = match_at(i);
    if (len == 0) {
      ++i;
      continue;
    }
    if (i > gap_start) out.push_back(i - gap_start);
    out.push_back(len);
    i += len;
    gap_start = i;
  }
  if (end > gap_start) out.push_back(end - gap_start);
}

// X+ at i
template <class Pred>
size_t run_at(const uint32_t* c, size_t i, size_t end, Pred in_class) {
  size_t j = i;
  while (j < end && in_class(c[j])) ++j;
  return j - i;
}

// \s?X+ at i: the space is taken only if letters follow it.
template <class Pred>
size_t space_run_at(const uint32_t* c, size_t i, size_t end, Pred in_class) {
  if (in_class(c[i])) return run_at(c, i, end, in_class);
  if (is_space(c[i]) && i + 1 < end && in_class(c[i + 1])) return 1 + run_at(c, i + 1, end, in_class);
  return 0;
}

}  // namespace

// [\p{P}\$\+<=>\^~\|]+
void split_punct_symbol_runs(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  auto in_class = [](uint32_t cp) {
    switch (cp) {
      case '$': case '+': case '<': case '=': case '>': case '^': case '~': case '|':
        return true;
      default:
        return is_punct(cp);
    }
  };
  split_by(begin, end, out, [&](size_t i) { return run_at(c, i, end, in_class); });
}

// \p{N}+
void split_number_runs(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  split_by(begin, end, out, [&](size_t i) { return run_at(c, i, end, is_number); });
}

// \p{N}
void split_number_each(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  split_by(begin, end, out, [&](size_t i) { return size_t(is_number(c[i]) ? 1 : 0); });
}

// [0-9][0-9][0-9]
void split_ascii_digits_3(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  auto digit = [](uint32_t cp) { return cp >= '0' && cp <= '9'; };
  split_by(begin, end, out, [&](size_t i) {
    return size_t(i + 2 < end && digit(c[i]) && digit(c[i + 1]) && digit(c[i + 2]) ? 3 : 0);
  });
}

// [\r\n]
void split_line_break_each(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  split_by(begin, end, out, [&](size_t i) { return size_t(c[i] == '\r' || c[i] == '\n' ? 1 : 0); });
}

// \s?\p{L}+
void split_space_letters(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  split_by(begin, end, out, [&](size_t i) { return space_run_at(c, i, end, is_letter); });
}

// \s?\p{P}+
void split_space_puncts(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  split_by(begin, end, out, [&](size_t i) { return space_run_at(c, i, end, is_punct); });
}

// [一-龥ࠀ-一가-퟿]+ : U+4E00..U+9FA5, U+0800..U+4E00, U+AC00..U+D7FF,
// minus non-ASCII White_Space (replaced by U+000B before matching).
void split_cjk_runs(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  auto in_class = [](uint32_t cp) {
    const bool in_range = (cp >= 0x0800 && cp <= 0x9FA5) || (cp >= 0xAC00 && cp <= 0xD7FF);
    return in_range && !is_space(cp);
  };
  split_by(begin, end, out, [&](size_t i) { return run_at(c, i, end, in_class); });
}

}  // namespace tome::split
