// Internal to RetrievalAttention (retrieval_attention.cpp, retrieval_step.cpp):
// what one layer of a decode step keeps per query head and per KV group while
// its tasks run on the pool's threads.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "model/retrieval_attention.h"
#include "retrieval/key_index.h"

namespace tome {

// What one query head's share of a layer's step produced (see attend_layer).
struct RetrievalAttention::HeadResult {
  double static_ms = 0, search_ms = 0, retrieved_ms = 0, merge_ms = 0;
  int64_t scanned = 0, indexed = 0, retrieved = 0;
  float lse = 0;                 // static set's log-sum-exp, then the merged one
  SearchResult found;            // this head's search (kMean, kJoint: the group's, in its first head)
  std::vector<int32_t> positions;
  std::vector<float> weights;    // each retrieved key's weight in this head's merged softmax
  bool sampled = false;
  double recall = 0, mass = 0;
};

// One part of a KV group's retrieved rows: its heads' partial attention over
// rows [begin, end) of the group's rows (the part's own log-sum-exp, merged
// with the static set and the other parts once all are in).
struct RetrievalAttention::RowPart {
  int64_t begin = 0, end = 0;
  std::vector<float> out;    // (n_gqa, hd)
  std::vector<float> lse;    // (n_gqa)
  std::vector<float> probs;  // (n_gqa, end - begin): each row's probability within the part
  double ms = 0;
};

// A KV group's progress through the layer's tasks; the task that finishes
// the last piece of a stage starts the next one:
//   inserted: its inserts are done (its searches wait for them);
//   searches_left: its searches; the last one forms the group's rows (their
//     union, ascending) and sets rows_ready, which its part tasks wait for;
//   merges_left: its static set and its parts; the last of them merges the
//     parts into the static result, in part order (the same sums whichever
//     thread finishes last).
//   gather_mu: under a RAM budget, its parts' row gathers one at a time.
struct RetrievalAttention::GroupProgress {
  std::atomic<bool> inserted{false};
  std::atomic<int> searches_left{0};
  std::atomic<bool> rows_ready{false};
  std::atomic<int> merges_left{0};
  std::mutex gather_mu;
};

}  // namespace tome
