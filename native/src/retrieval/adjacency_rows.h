// AdjacencyRows: a graph index's out-lists in RAM, sized by degree rather than
// by the cap. Each key has a head row of kHead ids (64 bytes, one cache line);
// a list longer than kHead keeps its first kHead - 1 ids there and the rest in
// a tail row of cap - (kHead - 1) ids from a shared pool, whose number the head
// row's last slot holds as -2 - tail (ids are >= 0; -1 marks an empty slot).
// A search expanding a key reads its head line, and a second row only for the
// long lists.
//
// Why: the graphs hold few neighbours a key against a cap of R = 48 (OOD
// workload, 128K keys, d 64: 11.8 on average; 21% over 16, 10% over 24, 5% over
// 32), so dense (n, R) rows were three quarters padding: 192 of a graph
// index's ~262 bytes a key. Here a key takes 64 bytes plus 132 for the fifth
// with a tail.
//
// Degrees stay with the graph (its deg array, which searches read first): every
// call is told the key's degree. Not thread-safe for writes; reads may run in
// parallel with each other.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/huge_pages.h"

namespace tome {

// Dense (m, cap) rows made a chunk at a time: source(begin, m, out) fills out
// with rows [begin, begin + m) (paging a graph out to its records, and back).
using DenseRowSource = std::function<void(int64_t begin, int64_t m, int32_t* out)>;

// A key's list as searches read it: row[0, n_row), then tail[0, n_tail).
struct ListParts {
  int n_row;
  const int32_t* tail;
  int n_tail;
};

class AdjacencyRows {
 public:
  static constexpr int kHead = 16;

  // The parts of the deg-id list whose row is row: a head row when tails is
  // the pool (tails()), or a dense row (tails null: the rest follows in place).
  static ListParts parts(const int32_t* row, int deg, const int32_t* tails, int tail_stride) {
    if (deg <= kHead) return {deg, nullptr, 0};
    const int32_t* tail = tails ? tails + size_t(-2 - row[kHead - 1]) * size_t(tail_stride) : row + (kHead - 1);
    return {kHead - 1, tail, deg - (kHead - 1)};
  }

  // Empty, for lists of at most cap ids.
  void reset(int cap);
  int cap() const { return cap_; }
  int tail_stride() const { return cap_ - (kHead - 1); }
  int64_t rows() const { return int64_t(heads_.size() / kHead); }
  // Rows for keys [rows(), n), empty (their degree 0); shrinking is not allowed.
  void grow(int64_t n);
  // Every row from dense (n, cap) rows, row v's first deg[v] ids valid.
  void assign_dense(const int32_t* dense, const uint16_t* deg, int64_t n);
  // The same from rows made kAssignChunk at a time (a paged graph's page_in
  // reads its records so, never holding all n dense rows).
  static constexpr int64_t kAssignChunk = 4096;
  void assign_chunked(const uint16_t* deg, int64_t n, const DenseRowSource& rows);
  // Rows [begin, begin + n) into dense (n, cap) rows (deg: those n keys'
  // degrees): the first deg ids, then -1.
  void read_dense(int64_t begin, int64_t n, const uint16_t* deg, int32_t* out) const;
  // Key v's list into out (cap ids): the first deg valid, then -1.
  void read(int32_t v, int deg, int32_t* out) const;
  // Key v's list becomes row's first deg ids (deg <= cap).
  void write(int32_t v, const int32_t* row, int deg);

  // For searches (graph_search.h GraphView): head rows (rows(), kHead) and the tail pool.
  const int32_t* heads() const { return heads_.data(); }
  const int32_t* tails() const { return tails_.data(); }
  // RAM taken (capacity, huge pages counted as mapped); and what assign_dense
  // over these degrees would take (a paged graph's page_in).
  size_t bytes() const;
  static size_t bytes_for(const uint16_t* deg, int64_t n, int cap);
  int64_t tails_used() const {
    return cap_ >= kHead ? int64_t(tails_.size() / size_t(tail_stride())) - int64_t(free_.size()) : 0;
  }

 private:
  int32_t take_tail();
  // Empty rows for n keys, the tail pool reserved for deg's long lists (exact:
  // a restored index's size).
  void begin_assign(const uint16_t* deg, int64_t n);

  int cap_ = 0;
  HugeVector<int32_t> heads_;      // (rows, kHead): read at random by searches
  HugeVector<int32_t> tails_;      // (pool rows, tail_stride)
  std::vector<int32_t> free_;      // pool rows no list uses
};

}  // namespace tome
