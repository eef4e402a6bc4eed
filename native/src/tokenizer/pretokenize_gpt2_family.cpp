// The GPT-2, Llama-3, Qwen2, Seed-Coder, Tekken and GPT-4o splitters: one left-to-right pass over a
// piece, trying the regex alternatives in order at each position. The first
// three reproduce llama.cpp's hand-written versions (unicode_regex_split_custom_*),
// which are what llama.cpp actually runs for these regexes, including how a
// lookahead or an optional space behaves at the end of a piece; Tekken and GPT-4o reproduce
// what std::regex does with llama.cpp's rewrite of its regex over the text with
// every non-ASCII code point collapsed to its category (unicode_regex_split).
#include "tokenizer/pretokenize_steps.h"

#include "tokenizer/unicode_props.h"

namespace tome::split {
namespace {

using unicode::CpFlags;
constexpr uint32_t kNone = 0xFFFFFFFF;  // "no code point": outside the piece

// Read access limited to one piece [begin, end); outside it: kNone / no flags.
struct Piece {
  const uint32_t* cpts;
  size_t begin, end;
  uint32_t cp(size_t i) const { return i >= begin && i < end ? cpts[i] : kNone; }
  CpFlags flags(size_t i) const { return i >= begin && i < end ? unicode::cp_flags(cpts[i]) : CpFlags{}; }
};

// Emits pieces that end where the scan says, skipping empty ones.
struct Emitter {
  std::vector<size_t>& out;
  size_t prev;
  void to(size_t end) {
    if (end > prev) out.push_back(end - prev);
    prev = end;
  }
};

// Lowercase for the contraction letters: only ASCII capitals lowercase to
// s t r e v m l d (checked by the table generator), so ASCII is exact.
uint32_t lower(uint32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

bool is_s_t_m_d(uint32_t c) { return c == 's' || c == 't' || c == 'm' || c == 'd'; }
bool is_re_ve_ll(uint32_t a, uint32_t b) {
  return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l');
}
bool is_cr_lf(uint32_t c) { return c == '\r' || c == '\n'; }
// [^\s\p{L}\p{N}] at a real position
bool is_other(CpFlags f) { return !(f.is_whitespace() || f.is_letter() || f.is_number()) && f.any(); }

// The alternatives Llama-3 and Tekken end with, at pos (a code point that no earlier one took):
//    ?[^\s\p{L}\p{N}]+[\r\n]*  (Tekken: [\r\n/]*; Seed-Coder: no suffix) | \s*[\r\n]+ |
//   \s+(?!\S) | \s+
// else the code point alone. Returns where the match ends.
size_t punct_or_space_end(const Piece& p, size_t pos, bool slash, bool crlf_suffix) {
  const CpFlags f = p.flags(pos);
  // the punctuation run is entered on f.any(): a trailing lone space ends up alone, as \s+ would
  const bool space = p.cp(pos) == ' ';
  const CpFlags f2 = space ? p.flags(pos + 1) : f;
  if (!(f2.is_whitespace() || f2.is_letter() || f2.is_number()) && f.any()) {
    pos += space;
    while (is_other(p.flags(pos))) ++pos;
    while (crlf_suffix && (is_cr_lf(p.cp(pos)) || (slash && p.cp(pos) == '/'))) ++pos;
    return pos;
  }
  const size_t n = space_alternatives_at(p.cpts, pos, p.end);
  return pos + (n > 0 ? n : 1);
}

}  // namespace

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
void split_gpt2(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out) {
  const Piece p{cpts, begin, end};
  Emitter emit{out, begin};
  size_t pos = begin;
  while (pos < end) {
    const uint32_t cp = p.cp(pos);
    const CpFlags f = p.flags(pos);

    if (cp == '\'' && pos + 1 < end) {  // contractions, case-sensitive
      const uint32_t c1 = p.cp(pos + 1);
      if (is_s_t_m_d(c1)) { pos += 2; emit.to(pos); continue; }
      if (pos + 2 < end && is_re_ve_ll(c1, p.cp(pos + 2))) { pos += 3; emit.to(pos); continue; }
    }

    const bool space = cp == ' ';
    const CpFlags f2 = space ? p.flags(pos + 1) : f;  // class after an optional space
    if (f2.is_letter()) {                              //  ?\p{L}+
      pos += space;
      while (p.flags(pos).is_letter()) ++pos;
      emit.to(pos);
      continue;
    }
    if (f2.is_number()) {                              //  ?\p{N}+
      pos += space;
      while (p.flags(pos).is_number()) ++pos;
      emit.to(pos);
      continue;
    }
    if (is_other(f2)) {                                //  ?[^\s\p{L}\p{N}]+
      pos += space;
      while (is_other(p.flags(pos))) ++pos;
      emit.to(pos);
      continue;
    }

    size_t n_ws = 0;
    while (p.flags(pos + n_ws).is_whitespace()) ++n_ws;
    if (n_ws > 1 && p.cp(pos + n_ws) != kNone) {       // \s+(?!\S): leave the last one to the next word
      pos += n_ws - 1;
      emit.to(pos);
      continue;
    }
    if (n_ws > 0) {                                    // \s+
      pos += n_ws;
      emit.to(pos);
      continue;
    }
    emit.to(++pos);  // nothing matched: a piece of one code point
  }
}

// Llama 3 (max_digits = 3): (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//                           ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// Qwen2 (max_digits = 1): the same with \p{N}.
// Seed-Coder (max_digits = 1, crlf_after_punct false): Qwen2's without the [\r\n]* after
// a punctuation run (its [^\s\p{L}\p{N}\r\n]+ is the same class).
static void split_llama3_like(const uint32_t* cpts, size_t begin, size_t end, size_t max_digits,
                              bool crlf_after_punct, std::vector<size_t>& out) {
  const Piece p{cpts, begin, end};
  Emitter emit{out, begin};
  size_t pos = begin;
  while (pos < end) {
    const uint32_t cp = p.cp(pos);
    const CpFlags f = p.flags(pos);

    if (cp == '\'' && pos + 1 < end) {  // contractions, case-insensitive
      const uint32_t c1 = lower(p.cp(pos + 1));
      if (is_s_t_m_d(c1)) { pos += 2; emit.to(pos); continue; }
      if (pos + 2 < end && is_re_ve_ll(c1, lower(p.cp(pos + 2)))) { pos += 3; emit.to(pos); continue; }
    }

    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!(is_cr_lf(cp) || f.is_number()) && (f.is_letter() || p.flags(pos + 1).is_letter())) {
      ++pos;  // the optional lead, or the first letter
      while (p.flags(pos).is_letter()) ++pos;
      emit.to(pos);
      continue;
    }

    // \p{N}{1,max_digits}, repeated
    if (f.is_number()) {
      size_t group_start = pos;
      while (p.flags(pos).is_number()) {
        if (++pos - group_start >= max_digits) {
          emit.to(pos);
          group_start = pos;
        }
      }
      emit.to(pos);
      continue;
    }

    pos = punct_or_space_end(p, pos, false, crlf_after_punct);
    emit.to(pos);
  }
}

// Tekken (Mistral NeMo, Mistral Small 3), as llama.cpp rewrites it, with U = a letter that is
// not a-z and L = a letter that is not A-Z (a non-ASCII letter is both; \p{M} is left out):
//   [^\r\n\p{L}\p{N}]?U*L+ | [^\r\n\p{L}\p{N}]?U+L* | \p{N} | ?[^\s\p{L}\p{N}]+[\r\n/]* |
//   \s*[\r\n]+ | \s+(?!\S) | \s+
// GPT-4o (o200k; gpt-oss, Llama 4; max_digits 3, contractions): the same with \p{N}{1,3} and
// (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])? after either letter alternative.
// std::regex tries the alternatives in order, backtracking within each: U*L+ takes the longest
// run of U, then needs an L next, else gives U back one at a time until an L (a non-ASCII
// letter, the only U that is also L) can start L+; failing that, U+L* takes the U run. The
// optional contraction never makes a letter alternative fail, and an apostrophe is no letter,
// so it only extends the match the letters found.
static void split_tekken_like(const uint32_t* cpts, size_t begin, size_t end, size_t max_digits,
                              bool contractions, std::vector<size_t>& out) {
  const Piece p{cpts, begin, end};
  Emitter emit{out, begin};
  auto upper_class = [&](size_t i) { return p.flags(i).is_letter() && !(p.cp(i) >= 'a' && p.cp(i) <= 'z'); };
  auto lower_class = [&](size_t i) { return p.flags(i).is_letter() && !(p.cp(i) >= 'A' && p.cp(i) <= 'Z'); };
  // the length of a contraction at i ('s 't 'm 'd 're 've 'll, either case), else 0
  auto contraction_at = [&](size_t i) -> size_t {
    if (p.cp(i) != '\'') return 0;
    const uint32_t c1 = lower(p.cp(i + 1));
    if (is_s_t_m_d(c1)) return 2;
    return is_re_ve_ll(c1, lower(p.cp(i + 2))) ? 3 : 0;
  };
  size_t pos = begin;
  while (pos < end) {
    const uint32_t cp = p.cp(pos);
    const CpFlags f = p.flags(pos);

    // [^\r\n\p{L}\p{N}]? then the letters (alternatives 1 and 2)
    const bool lead = !(is_cr_lf(cp) || f.is_letter() || f.is_number()) && p.flags(pos + 1).is_letter();
    if (f.is_letter() || lead) {
      const size_t r = pos + lead;  // the first letter
      size_t k = r;
      while (upper_class(k)) ++k;  // U*, greedy
      size_t l = kNone;      // where L+ starts
      if (lower_class(k)) {
        l = k;
      } else {
        for (size_t j = k; j > r; --j)
          if (lower_class(j - 1)) {  // give U back down to the last L
            l = j - 1;
            break;
          }
      }
      if (l != kNone) {
        pos = l + 1;
        while (lower_class(pos)) ++pos;  // L+, greedy
      } else {
        pos = k;                    // U+ (k > r: the letter at r is U), then L*: none follows
      }
      if (contractions) pos += contraction_at(pos);
      emit.to(pos);
      continue;
    }

    if (f.is_number()) {  // \p{N}{1,max_digits}
      const size_t start = pos;
      while (pos - start < max_digits && p.flags(pos).is_number()) ++pos;
      emit.to(pos);
      continue;
    }

    pos = punct_or_space_end(p, pos, true, true);
    emit.to(pos);
  }
}

void split_tekken(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out) {
  split_tekken_like(cpts, begin, end, 1, false, out);
}

void split_gpt4o(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out) {
  split_tekken_like(cpts, begin, end, 3, true, out);
}

void split_llama3(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out) {
  split_llama3_like(cpts, begin, end, 3, true, out);
}

void split_qwen2(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out) {
  split_llama3_like(cpts, begin, end, 1, true, out);
}

void split_seed_coder(const uint32_t* cpts, size_t begin, size_t end, std::vector<size_t>& out) {
  split_llama3_like(cpts, begin, end, 1, false, out);
}

}  // namespace tome::split
