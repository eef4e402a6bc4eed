// KeyIndex: maximum-inner-product search over the keys of ONE (layer, KV head).
// At a decode step the attention scores are s_j = q . k_j, so the keys that carry
// the softmax mass are the top-k keys by inner product with the query: every
// index here answers "top-k keys by q . k" and says how many keys it scanned.
//
// Keys are f32 rows of dimension d (64..128 in practice; any d >= 1 works). Ids
// are insertion order (0, 1, 2, ...), which the engine maps to context positions.
// Implementations (one per file):
//   FlatIndex      exact: scans every key (the oracle)          flat_index.h
//   IvfIndex       k-means over keys, probes nprobe lists        ivf_index.h
//   RoarGraphIndex attention-aware key graph built from prefill  roar_graph.h
//                  queries (RetrievalAttention / RoarGraph)
//
// Threading: search() is const and may run concurrently on one index from
// several threads (scratch is thread-local); insert() needs exclusive access.
//
// Grouped-query attention (GQA). The n_q query heads of a group share one KV
// head, hence one index. Two ways to serve them:
//   GroupMode::kUnion  search once per query head, return the union (dedup) of
//                      their top-k lists. Each head gets its own true top-k (heads
//                      of a group attend to different keys), at n_q times the
//                      search cost; the retrieved set has up to n_q * k keys, and
//                      attention over it is computed for all heads (a key found
//                      by one head is harmless for the others: the merge is exact
//                      over whatever set is retrieved).
//   GroupMode::kMean   one search with the mean of the group's queries: one
//                      search's cost, top-k of sum_h q_h . k (the keys the group
//                      as a whole scores highest), which misses keys that only one
//                      head attends to.
//   GroupMode::kJoint  graph only (other indexes: kUnion): the heads search in
//                      one traversal (graph_search_joint.cpp), each keeping its
//                      own beam and top-k, sharing the visited set and each
//                      visited key's memory loads; returns the union as kUnion.
// search_group() implements them; which one the engine uses is decided by
// measurement (recall and captured softmax mass per head), see the engine's
// retrieval settings.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tome {

struct Scored;

enum class GroupMode : int { kUnion = 0, kMean = 1, kJoint = 2 };

struct SearchParams {
  int k = 100;          // keys to return
  int ef = 0;           // graph: beam width (clamped to >= k); 0 = default (see roar_graph.h)
  int nprobe = 0;       // ivf: lists to probe; 0 = default (see ivf_index.h)
  int widen = 1;        // breadth multiplier on ef / nprobe (the quality monitor's widening)
  GroupMode group = GroupMode::kUnion;  // search_group() only
  bool nav_keys = false;  // graph: navigate by the f16 keys instead of the int8 codes (benchmarks, tests)
};

struct SearchResult {
  std::vector<int32_t> ids;   // best first (highest q . k)
  std::vector<float> scores;  // q . k, same order (for kUnion: the best over the group's heads)
  int64_t keys_scanned = 0;   // q . k evaluations against stored keys (the cost measure)
  int64_t other_dots = 0;     // dot products against non-keys (ivf centroids)
  void clear() { ids.clear(); scores.clear(); keys_scanned = 0; other_dots = 0; }
  // ids and scores from a best-first list (the counters untouched).
  void set_results(const std::vector<Scored>& best_first);
};

class KeyMatrix;

class KeyIndex {
 public:
  virtual ~KeyIndex() = default;

  virtual const char* kind() const = 0;  // "flat", "ivf", "graph"
  virtual int dim() const = 0;
  virtual int64_t size() const = 0;
  // Memory held by the index (keys included), in bytes.
  virtual size_t bytes() const = 0;
  // Key id as stored (d f16 values; valid until the next insert).
  virtual const uint16_t* key(int32_t id) const = 0;
  // Every key, in id order (each index kind keeps them so), when
  // keys_in_ram() (a graph paged out under a RAM budget has none there).
  virtual const KeyMatrix& key_rows() const = 0;
  virtual bool keys_in_ram() const { return true; }
  // Keys [begin, begin + n) as f16 rows (n * dim()), from wherever they are.
  virtual void copy_keys(int64_t begin, int64_t n, uint16_t* out) const;
  // An index reading its keys from shared rows (a KeyMatrix view of the KV
  // cache) copies them, before the cache may release them.
  virtual void own_keys() {}

  // Top-k keys by q . k for one query q (d floats). out is overwritten.
  virtual void search(const float* q, const SearchParams& p, SearchResult& out) const = 0;
  // n_q queries (n_q, d) sharing this index (a GQA group); see GroupMode above.
  // kUnion / kJoint: ids sorted by their best score over the heads; keys_scanned
  // summed over the searches (kJoint: each key once).
  virtual void search_group(const float* q, int n_q, const SearchParams& p, SearchResult& out) const;

  // Appends one key (d floats); returns its id (== size() before the call).
  virtual int32_t insert(const float* key) = 0;
  // Same, from an f16 row (the KV cache's storage); converted once on insertion.
  int32_t insert_f16(const uint16_t* key);

  // Byte image (magic + version header, checksum); see index_io.h. Without
  // the keys (with_keys = false) it is self-contained but for them: the KV
  // store keeps them once, as its K rows.
  virtual std::vector<uint8_t> serialize(bool with_keys = true) const = 0;
};

// Rebuilds any index from serialize()'s bytes; an image written without its
// keys takes them (moved) from *external_keys. Throws tome::Error with code
// RETRIEVAL_CORRUPT on any malformed, truncated or inconsistent input.
std::unique_ptr<KeyIndex> deserialize_index(const uint8_t* data, size_t size, KeyMatrix* external_keys = nullptr);

}  // namespace tome
