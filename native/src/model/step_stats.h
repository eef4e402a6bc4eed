// What the steps of one eval() did, for the CLI's --stats, benchmarks and the
// app's live panels. Times in milliseconds, summed over layers and tokens.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tome {

struct StepStats {
  int64_t tokens = 0;         // tokens evaluated
  double matmul_ms = 0, static_ms = 0, search_ms = 0, retrieved_ms = 0, merge_ms = 0;
  double full_attention_ms = 0, other_ms = 0, index_build_ms = 0;
  double index_insert_ms = 0;  // keys that left the window, inserted into the indexes
  double monitor_ms = 0;       // live quality monitor: exact scans of the sampled heads
  int64_t keys_scanned = 0;   // q . k evaluations in index searches, all layers and heads
  int64_t keys_indexed = 0;   // keys in the searched indexes, summed over searches
  int64_t keys_retrieved = 0; // keys attended through retrieval, all layers and heads
  int top_k = 0;
  bool widened = false;       // the monitor widened the search beam
  // Live quality monitor: sums over the sampled (layer, KV head) pairs.
  int quality_samples = 0;
  double recall_sum = 0, mass_sum = 0;
  // Attention weight of retrieved positions as (position, weight) pairs in the
  // order they were added; top_positions() sums each position's pairs in that
  // order. Appending is cheaper than a map update: a 3-KV-head, 30-layer step
  // adds ~80K pairs.
  std::vector<std::pair<int32_t, float>> position_weights;
  int32_t lowest_position = INT32_MAX, highest_position = INT32_MIN;  // over position_weights
  static constexpr int kMaxPositions = 64;  // positions reported to JS

  bool has_quality() const { return quality_samples > 0; }
  double recall() const { return quality_samples ? recall_sum / quality_samples : 0.0; }
  double mass() const { return quality_samples ? mass_sum / quality_samples : 0.0; }
  double keys_scanned_frac() const { return keys_indexed ? double(keys_scanned) / double(keys_indexed) : 0.0; }
  void add_position_weights(const int32_t* pos, const float* w, size_t n);
  // Positions first, first + 1, .., first + n - 1 with weights w (a full-attention step's keys).
  void add_position_run(int32_t first, const float* w, size_t n);
  // The n heaviest retrieved positions (weights summed over heads and layers), heaviest first.
  void top_positions(size_t n, std::vector<int32_t>& pos, std::vector<float>& w) const;

 private:
  void merge_if_long();  // sums each position's pairs once they pass kMergeAbove
};

}  // namespace tome
