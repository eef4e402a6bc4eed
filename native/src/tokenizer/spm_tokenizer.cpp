#include "tokenizer/spm_tokenizer.h"

#include <algorithm>
#include <queue>

#include "tokenizer/symbol_join.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace tome {
namespace {

struct Symbol {
  uint32_t offset, length;  // bytes of the text; length 0 once merged into its left neighbour
  int32_t prev, next;
};

struct Bigram {
  float score;
  int32_t left, right;
  uint32_t length;  // bytes of both symbols when queued; a mismatch later means stale
};

// Highest score first, then leftmost.
struct Worse {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

// <0xNN>, else the byte itself as a token text (llama.cpp's byte_to_token).
int32_t byte_token(const Vocab& v, uint8_t b) {
  static const char* hex = "0123456789ABCDEF";
  const char name[7] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
  int32_t id = v.find(name);
  if (id < 0) id = v.find(std::string(1, char(b)));
  return id;
}

// Cuts s into characters the way the merger does (by lead byte).
template <class F>
void for_each_char(const std::string& s, F f) {
  for (size_t off = 0; off < s.size();) {
    const size_t len = std::min(utf8::utf8_seq_len(uint8_t(s[off])), s.size() - off);
    f(off, len);
    off += len;
  }
}

uint32_t pack(const std::string& s, size_t off, size_t len) {
  uint32_t v = 0;
  for (size_t i = 0; i < len; ++i) v = v << 8 | uint8_t(s[off + i]);
  return v;
}

uint64_t pair_key(uint32_t a, uint32_t b) { return uint64_t(a) << 32 | b; }

}  // namespace

SpmTokenizer::SpmTokenizer(const Vocab& vocab) : vocab_(vocab) {
  for (const VocabToken& t : vocab.tokens) {
    uint32_t prev = 0;
    bool first = true;
    for_each_char(t.text, [&](size_t off, size_t len) {
      const uint32_t cur = pack(t.text, off, len);
      if (!first) joinable_.insert(pair_key(prev, cur));
      prev = cur;
      first = false;
    });
  }
}

void SpmTokenizer::tokenize(const std::string& text, std::vector<int32_t>& out) const {
  const Vocab& v = vocab_;
  std::vector<Symbol> syms;
  std::vector<uint32_t> packed;  // each symbol's bytes, for the run cuts
  syms.reserve(text.size());
  for_each_char(text, [&](size_t off, size_t len) {
    const int32_t idx = int32_t(syms.size());
    syms.push_back({uint32_t(off), uint32_t(len), idx - 1, off + len == text.size() ? -1 : idx + 1});
    packed.push_back(pack(text, off, len));
  });
  if (syms.empty()) return;

  std::vector<Bigram> heap;
  std::priority_queue<Bigram, std::vector<Bigram>, Worse> queue(Worse{}, std::move(heap));
  std::string scratch;
  auto try_pair = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    scratch.assign(text, syms[l].offset, syms[l].length + syms[r].length);
    const int32_t id = v.find(scratch);
    if (id < 0) return;
    queue.push({v.tokens[id].score, l, r, syms[l].length + syms[r].length});
  };

  // Merge each run [run_begin, run_end) of symbols on its own.
  const int32_t n = int32_t(syms.size());
  for (int32_t run_begin = 0; run_begin < n;) {
    int32_t run_end = run_begin + 1;
    while (run_end < n && joinable_.count(pair_key(packed[run_end - 1], packed[run_end]))) ++run_end;

    for (int32_t i = run_begin + 1; i < run_end; ++i) try_pair(i - 1, i);
    while (!queue.empty()) {
      const Bigram b = queue.top();
      queue.pop();
      if (!join_bigram(syms, b)) continue;
      const Symbol& left = syms[b.left];
      // Neighbours outside the run never form a token with it (that is the cut).
      if (left.prev >= run_begin) try_pair(left.prev, b.left);
      if (left.next >= 0 && left.next < run_end) try_pair(b.left, left.next);
    }
    run_begin = run_end;
  }

  // Every merged symbol is a token by construction; a single character may not be.
  std::vector<int32_t> bytes;
  for (int32_t i = 0; i != -1; i = syms[i].next) {
    const Symbol& s = syms[i];
    scratch.assign(text, s.offset, s.length);
    const int32_t id = v.find(scratch);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    bytes.clear();
    bool all = true;
    for (char c : scratch) {
      const int32_t b = byte_token(v, uint8_t(c));
      all = all && b >= 0;
      bytes.push_back(b);
    }
    if (all) out.insert(out.end(), bytes.begin(), bytes.end());
    else if (v.unk >= 0) out.push_back(v.unk);
  }
}

}  // namespace tome
