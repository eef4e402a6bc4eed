// The step that BPE (bpe_merger.cpp) and SentencePiece (spm_tokenizer.cpp) merging
// share: a word's symbols are a doubly linked list over its bytes (offset,
// length, prev, next; -1 at the ends), and a queue of bigrams (left, right, and
// the bytes of both when queued) proposes joins best first.
#pragma once
#include <vector>

namespace tome {

// Joins b.right into b.left and unlinks it; false, changing nothing, when the
// bigram is stale (either symbol already joined elsewhere since it was queued).
template <class Symbol, class Bigram>
bool join_bigram(std::vector<Symbol>& syms, const Bigram& b) {
  Symbol& left = syms[size_t(b.left)];
  Symbol& right = syms[size_t(b.right)];
  if (left.length == 0 || right.length == 0 || left.length + right.length != b.length) return false;
  left.length += right.length;
  right.length = 0;
  left.next = right.next;
  if (left.next >= 0) syms[size_t(left.next)].prev = b.left;
  return true;
}

}  // namespace tome
