// Causal attention for a chunk of queries (prefill, and single-token decode in
// full mode):
//   for query i (context position pos0 + i) and head h in KV group g:
//   out[i][h] = softmax_j<=pos0+i (scale * q[i][h] . k_g[j]) . v_g[j]
// with partial_attention.h's numerics (q and probabilities rounded to f16, as
// llama.cpp does), two passes over the keys: scores, then V weighted by the
// normalized probabilities. A tile of queries shares each converted key block.
#pragma once
#include <cstdint>

#include "attention/partial_attention.h"

namespace tome {

class ThreadPool;

struct CausalAttentionArgs {
  const float* q;       // (n_tokens, n_head, hd)
  float* out;           // (n_tokens, n_head, hd)
  int64_t n_tokens;
  int64_t pos0;         // position of the first query; keys [0, pos0 + n_tokens) are present
  int n_head, n_head_kv, hd;
  float scale;
  // KV rows of KV head g: k(g) + j * stride
  const uint16_t* const* k_heads;  // (n_head_kv) pointers
  const uint16_t* const* v_heads;
  size_t stride;
  AttentionNumerics numerics = AttentionNumerics::LLAMA_CPP;
  // > 0: a sliding window (gemma3's local layers): the query at position p attends keys
  // j > p - window only. The keys before it are masked as llama.cpp masks them (score
  // -inf, probability 0, still in every sum's order), so the sums are its sums.
  int64_t window = 0;
  // With a window, the key blocks every query of a tile (or the decode query) has left
  // behind are not read: whole key blocks (64 keys), a multiple of every kernel's lanes
  // and of the exp's 16-key chunks, so every kept key keeps its lane and every sum gets
  // the same terms (a skipped key's were exact zeros, for finite V rows): the same bits.
  // false: every key is scored and masked (the oracle the skip is checked against).
  bool skip_masked = true;
  // Decode only (n_tokens == 1, no window), optional: (n_head_kv, pos0 + 1) floats, row g
  // each key's probability summed over KV group g's heads: where a full-attention step
  // looked (StepStats' positions, the app's highlights). The sums are read from the
  // probabilities the step computes anyway; the output does not change.
  float* key_weights = nullptr;
  // gpt-oss, optional: (n_head) each head's sink logit, in every query's softmax denominator
  // (AttentionMath::softmax_with_sink).
  const float* sinks = nullptr;
};

void causal_attention(const CausalAttentionArgs& a, ThreadPool& pool);

}  // namespace tome
