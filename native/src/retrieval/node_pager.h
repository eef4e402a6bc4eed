// NodePager: a graph index's per-key records, paged between RAM and a file
// through a RecordCache (record_cache.h), so that under a RAM budget a graph
// index keeps in RAM only its int8 navigation codes (themselves paged when the
// budget is tighter still), degrees, entries and anchors (about 70 bytes a
// key at head dim 64, where the resident index takes 390) plus a cache of the
// records its searches use.
//   record v: key v (d f16, padded to 4 bytes), then its adjacency row
//             (R int32; the first deg[v] are valid, the degrees stay in RAM)
// A decode step's searches touch a few percent of an index's records (the
// adjacency of the keys they expand, the keys of the beams they rerank), and
// much the same ones step after step, so a cache of records, not of pages
// (a 4 KiB page holds 12 records, and a search touches most pages), is what
// pays to keep.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "retrieval/adjacency_rows.h"
#include "retrieval/record_cache.h"

namespace tome {

class NodePager {
 public:
  // Records [first, first + capacity) of file hold this index's ids [0, capacity).
  NodePager(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity, int d, int R);

  // A record's bytes for keys of d values and R neighbour slots.
  static size_t key_bytes_for(int d) { return (size_t(d) * 2 + 3) / 4 * 4; }  // f16 key, 4-byte aligned
  static size_t record_bytes_for(int d, int R) { return key_bytes_for(d) + size_t(R) * 4; }

  int dim() const { return d_; }
  int max_degree() const { return R_; }
  int64_t size() const { return cache_.size(); }
  int64_t capacity() const { return cache_.capacity(); }
  size_t record_bytes() const { return cache_.record_bytes(); }

  // Writes records v = size() .. size() + n - 1 straight to the file (paging
  // an index out): keys[i] (d f16) and rows' dense rows of R ids, made a chunk
  // at a time; false when a write failed.
  bool put(const uint16_t* const* keys, const DenseRowSource& rows, int64_t n);
  // A new record v = size(), cached and changed (an insert).
  void append(const uint16_t* key, const int32_t* row);

  // Copies of records' parts, through the cache: n keys (n * d f16) or n
  // adjacency rows (n * R int32).
  void read_keys(const int32_t* ids, int64_t n, uint16_t* out);
  void read_adjacency(const int32_t* ids, int64_t n, int32_t* out);
  void write_adjacency(int32_t v, const int32_t* row);

  // Records [begin, begin + n) in order, read past the cache (RecordCache::scan).
  void scan_keys(int64_t begin, int64_t n, uint16_t* out) const;
  void scan_adjacency(int64_t begin, int64_t n, int32_t* out) const;

  RecordCache& cache() { return cache_; }
  const RecordCache& cache() const { return cache_; }

 private:
  // Record i of recs (zeroed first): key then row.
  void pack(uint8_t* rec, const uint16_t* key, const int32_t* row) const;

  int d_, R_;
  size_t key_bytes_;
  RecordCache cache_;
};

}  // namespace tome
