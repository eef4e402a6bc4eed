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
bool is_symbol(uint32_t cp) { return has_category(cp, unicode::SYMBOL); }
bool is_mark(uint32_t cp) { return has_category(cp, unicode::MARK); }

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

namespace {

// DeepSeek LLM's letter class (its tokenizer.json regex
// \s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-Ⴥ...𞤀-𞥃]+)
// and punctuation class (\s?[!-/:-~！-／：-～‘-‟　-。]+), as code-point ranges.
struct CpRange {
  uint32_t lo, hi;
};
const CpRange kDeepseekLlmLetters[] = {
    {0x0041, 0x005A}, {0x0061, 0x007A}, {0x00B5, 0x00B5}, {0x00C0, 0x00D6},
    {0x00D8, 0x00F6}, {0x00F8, 0x01BA}, {0x01BC, 0x01BF}, {0x01C4, 0x0293},
    {0x0295, 0x02AF}, {0x0370, 0x0373}, {0x0376, 0x0376}, {0x0377, 0x0377},
    {0x037B, 0x037D}, {0x037F, 0x037F}, {0x0386, 0x0386}, {0x0388, 0x038A},
    {0x038C, 0x038C}, {0x038E, 0x03A1}, {0x03A3, 0x03F5}, {0x03F7, 0x0481},
    {0x048A, 0x052F}, {0x0531, 0x0556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5},
    {0x13F8, 0x13FD}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B},
    {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D},
    {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59},
    {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4},
    {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC},
    {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4},
    {0x1FF6, 0x1FFC}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113},
    {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126},
    {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139},
    {0x213C, 0x213F}, {0x2145, 0x2149}, {0x214E, 0x214E}, {0x2183, 0x2183},
    {0x2184, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE},
    {0x2CF2, 0x2CF2}, {0x2CF3, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B},
    {0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E}, {0xAB70, 0xABBF},
    {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A},
    {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB}, {0x10C80, 0x10CB2},
    {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
const CpRange kDeepseekLlmPuncts[] = {
    {0x0021, 0x002F}, {0x003A, 0x007E}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E}, {0x2018, 0x201F},
    {0x3000, 0x3002},
};

template <size_t N>
bool in_ranges(const CpRange (&ranges)[N], uint32_t cp) {
  for (const CpRange& r : ranges)
    if (cp >= r.lo && cp <= r.hi) return true;
  return false;
}

// These regexes hold no \p{..}: llama.cpp matches them over code points with
// non-ASCII White_Space replaced by U+000B, so such a code point is never in a class.
bool is_ds_llm_letter(uint32_t cp) { return in_ranges(kDeepseekLlmLetters, cp) && !(cp > 0x7F && is_space(cp)); }
bool is_ds_llm_punct(uint32_t cp) { return in_ranges(kDeepseekLlmPuncts, cp) && !(cp > 0x7F && is_space(cp)); }

}  // namespace

// \s?[DeepSeek LLM letters]+
void split_ds_llm_letters(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  split_by(begin, end, out, [&](size_t i) { return space_run_at(c, i, end, is_ds_llm_letter); });
}

// \s?[DeepSeek LLM punctuation]+
void split_ds_llm_puncts(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  split_by(begin, end, out, [&](size_t i) { return space_run_at(c, i, end, is_ds_llm_punct); });
}

// \s+$ : the White_Space run that ends the piece, if any.
void split_trailing_spaces(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  size_t start = end;
  while (start > begin && is_space(c[start - 1])) --start;
  if (start > begin) out.push_back(start - begin);
  if (end > start) out.push_back(end - start);
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

// \p{N}{1,3}: a run of numbers in threes (the last one to three).
void split_numbers_1_3(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  split_by(begin, end, out, [&](size_t i) {
    size_t n = 0;
    while (n < 3 && i + n < end && is_number(c[i + n])) ++n;
    return n;
  });
}

// [一-龥぀-ゟ゠-ヿ]+ : U+4E00..U+9FA5 (CJK), U+3040..U+309F (hiragana),
// U+30A0..U+30FF (katakana); no White_Space falls in them.
void split_cjk_kana_runs(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  auto in_class = [](uint32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FA5) || (cp >= 0x3040 && cp <= 0x309F) || (cp >= 0x30A0 && cp <= 0x30FF);
  };
  split_by(begin, end, out, [&](size_t i) { return run_at(c, i, end, in_class); });
}

// DeepSeek V3's word regex (also Hunyuan dense's), over llama.cpp's collapsed text:
//   [ASCII P or S][A-Za-z]+ | [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+ |  ?[\p{P}\p{S}]+[\r\n]* |
//   \s*[\r\n]+ | \s+(?!\S) | \s+
// The first alternative's classes are ASCII literals: a non-ASCII letter (collapsed to its
// category byte) is not in [A-Za-z]. A code point no alternative takes (a digit, a control,
// a format character not followed by a letter) stays in the stretch between matches.
void split_ds3_words(const uint32_t* c, size_t begin, size_t end, std::vector<size_t>& out) {
  auto ascii_letter = [](uint32_t cp) { return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z'); };
  auto ascii_punct_symbol = [](uint32_t cp) {
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
           (cp >= 0x7B && cp <= 0x7E);
  };
  auto letter_mark = [](uint32_t cp) { return is_letter(cp) || is_mark(cp); };
  auto punct_symbol = [](uint32_t cp) { return is_punct(cp) || is_symbol(cp); };
  auto cr_lf = [](uint32_t cp) { return cp == '\r' || cp == '\n'; };
  auto lead = [&](uint32_t cp) { return !cr_lf(cp) && !is_letter(cp) && !punct_symbol(cp); };
  split_by(begin, end, out, [&](size_t i) -> size_t {
    const bool has_next = i + 1 < end;
    if (ascii_punct_symbol(c[i]) && has_next && ascii_letter(c[i + 1])) return 1 + run_at(c, i + 1, end, ascii_letter);
    if (lead(c[i]) && has_next && letter_mark(c[i + 1])) return 1 + run_at(c, i + 1, end, letter_mark);
    if (letter_mark(c[i])) return run_at(c, i, end, letter_mark);
    const size_t p = c[i] == ' ' && has_next && punct_symbol(c[i + 1]) ? i + 1 : i;
    if (punct_symbol(c[p])) {
      size_t j = p + run_at(c, p, end, punct_symbol);
      return j - i + run_at(c, j, end, cr_lf);
    }
    return space_alternatives_at(c, i, end);
  });
}

size_t space_alternatives_at(const uint32_t* c, size_t i, size_t end) {
  size_t n_ws = 0, after_last_crlf = 0;
  while (i + n_ws < end && is_space(c[i + n_ws])) {
    if (c[i + n_ws] == '\r' || c[i + n_ws] == '\n') after_last_crlf = n_ws + 1;
    ++n_ws;
  }
  if (after_last_crlf > 0) return after_last_crlf;  // \s*[\r\n]+
  if (n_ws > 1 && i + n_ws < end) return n_ws - 1;  // \s+(?!\S): the last one left to the next word
  return n_ws;                                      // \s+, or none
}

}  // namespace tome::split
