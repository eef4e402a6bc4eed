#include "tokenizer/bpe_merger.h"

#include <algorithm>
#include <queue>

#include "tokenizer/symbol_join.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace tome {

BpeMerger::BpeMerger(const Vocab& vocab) : vocab_(vocab) {
  auto intern = [&](const std::string& s) {
    auto it = parts_.emplace(s, int32_t(parts_.size())).first;
    return it->second;
  };
  ranks_.reserve(vocab.merges.size() * 2);
  for (size_t r = 0; r < vocab.merges.size(); ++r) {
    const auto& m = vocab.merges[r];
    const uint64_t key = uint64_t(uint32_t(intern(m.first))) << 32 | uint32_t(intern(m.second));
    ranks_.emplace(key, int32_t(r));  // the first occurrence keeps its rank
  }
}

int32_t BpeMerger::part_id(const std::string& s) const {
  auto it = parts_.find(s);
  return it == parts_.end() ? -1 : it->second;
}

int32_t BpeMerger::rank(int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return -1;
  auto it = ranks_.find(uint64_t(uint32_t(left)) << 32 | uint32_t(right));
  return it == ranks_.end() ? -1 : it->second;
}

namespace {

struct Symbol {
  uint32_t offset, length;  // bytes of the word; length 0 once merged into its left neighbour
  int32_t prev, next;       // neighbours still alive, -1 at the ends
  int32_t part;             // part id of its text, -1 if no merge uses it
};

struct Bigram {
  int32_t rank;
  int32_t left, right;
  uint32_t length;  // bytes of both symbols when queued; a mismatch later means stale
};

// Lowest rank first, then leftmost.
struct Later {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

void BpeMerger::encode_word(const std::string& word, std::vector<int32_t>& out) const {
  if (vocab_.ignore_merges) {
    const int32_t id = vocab_.find(word);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }

  std::vector<Symbol> syms;
  for (size_t off = 0; off < word.size();) {
    const size_t len = std::min(utf8::utf8_seq_len(uint8_t(word[off])), word.size() - off);
    const int32_t idx = int32_t(syms.size());
    syms.push_back({uint32_t(off), uint32_t(len), idx - 1, off + len == word.size() ? -1 : idx + 1,
                    part_id(word.substr(off, len))});
    off += len;
  }

  std::priority_queue<Bigram, std::vector<Bigram>, Later> queue;
  auto try_pair = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const int32_t rk = rank(syms[l].part, syms[r].part);
    if (rk >= 0) queue.push({rk, l, r, syms[l].length + syms[r].length});
  };
  for (int32_t i = 1; i < int32_t(syms.size()); ++i) try_pair(i - 1, i);

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    if (!join_bigram(syms, b)) continue;
    Symbol& left = syms[b.left];
    left.part = part_id(word.substr(left.offset, left.length));
    try_pair(left.prev, b.left);
    try_pair(b.left, left.next);
  }

  for (const Symbol& s : syms) {
    if (s.length == 0) continue;
    const std::string text = word.substr(s.offset, s.length);
    const int32_t id = vocab_.find(text);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (char c : text) {  // llama.cpp looks up each byte as a one-byte token text
      const int32_t byte_id = vocab_.find(std::string(1, c));
      if (byte_id >= 0) out.push_back(byte_id);
    }
  }
}

}  // namespace tome
