// FlatIndex: exact top-k by scanning every key, the oracle of the other indexes
// (and the `flat` attention baseline). Keys are scanned in blocks of rows; with
// a ThreadPool the rows are split between threads, each keeping its own top-k,
// then merged. search_batch() answers many queries at once through knn_batch
// (blocked GEMM with fused top-k), e.g. for ground truth and graph building.
#pragma once
#include <memory>

#include "retrieval/key_index.h"
#include "retrieval/key_matrix.h"

namespace tome {

class ThreadPool;
class ByteReader;

// Exact top-k of each of n_q queries (n_q, d) over keys, in one pass over the
// rows (each row read once for all queries); out = the union of the heads'
// lists, best score per id, best first (KeyIndex::search_group's kUnion
// result); keys_scanned = rows read. Single-threaded: a decode step runs one
// per KV group on its own thread.
void exact_search_group(const KeyMatrix& keys, const float* q, int n_q, int k, SearchResult& out);

class FlatIndex : public KeyIndex {
 public:
  // pool (optional, not owned) parallelises search over rows; it must outlive
  // the index and must not be the pool whose worker is calling search().
  explicit FlatIndex(int d, ThreadPool* pool = nullptr);

  // Bulk append of n rows (stride elements apart).
  void add(const float* keys, int64_t n, size_t stride);
  void add_f16(const uint16_t* keys, int64_t n, size_t stride);
  void set_pool(ThreadPool* pool) { pool_ = pool; }
  const KeyMatrix& keys() const { return keys_; }

  const char* kind() const override { return "flat"; }
  int dim() const override { return keys_.dim(); }
  int64_t size() const override { return keys_.rows(); }
  size_t bytes() const override { return sizeof(*this) + keys_.bytes(); }
  const uint16_t* key(int32_t id) const override { return keys_.row(id); }
  const KeyMatrix& key_rows() const override { return keys_; }
  void own_keys() override { keys_.own(); }

  void search(const float* q, const SearchParams& p, SearchResult& out) const override;
  // kUnion: one pass over the keys for all n_q queries (each key row read once).
  void search_group(const float* q, int n_q, const SearchParams& p, SearchResult& out) const override;
  int32_t insert(const float* key) override;

  // Exact top-k for m queries (m, d) at stride ldq: ids/scores (m, k), best first.
  void search_batch(const float* Q, int64_t m, size_t ldq, int k, int32_t* ids, float* scores) const;

  std::vector<uint8_t> serialize(bool with_keys = true) const override;
  static std::unique_ptr<FlatIndex> deserialize_payload(ByteReader& r, KeyMatrix* external_keys);

 private:
  KeyMatrix keys_;
  ThreadPool* pool_ = nullptr;
};

}  // namespace tome
