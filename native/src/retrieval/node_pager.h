// NodePager: a graph index's per-key records, paged between RAM and a file
// (record_file.h), so that under a RAM budget a graph index keeps in RAM only
// its int8 navigation codes, degrees, entries and anchors (about 70 bytes a
// key at head dim 64, where the resident index takes 390) plus a cache of the
// records its searches use.
//   record v: key v (d f16, padded to 4 bytes), then its adjacency row
//             (R int32; the first deg[v] are valid, the degrees stay in RAM)
// A decode step's searches touch a few percent of an index's records (the
// adjacency of the keys they expand, the keys of the beams they rerank), and
// much the same ones step after step, so a cache of records, not of pages
// (a 4 KiB page holds 12 records, and a search touches most pages), is what
// pays to keep.
//
// Records are handed out as copies, never as pointers into the cache: a slot
// may be reused as soon as a call returns, and concurrent searches of one
// index need nothing but this class's lock. The cache holds at most
// max_slots() records (at least one), reused by a clock over use counters (up
// to 3 uses remembered: frequency with aging). Changed records (an insert's
// new key and the adjacency rows it rewrites) are written back when evicted.
// The file is then their only copy, so a record that fails its check when
// read back throws STORE_CORRUPT and one that cannot be written back
// STORE_FULL; neither is ever served wrong.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "retrieval/record_file.h"

namespace tome {

struct NodePagerStats {
  int64_t hits = 0;        // records served from the cache
  int64_t reads = 0;       // records read from the file into it
  int64_t writebacks = 0;  // changed records written back
  int64_t evictions = 0;   // records dropped for others
};

class NodePager {
 public:
  // Records [first, first + capacity) of file hold this index's ids [0, capacity).
  NodePager(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity, int d, int R);
  ~NodePager();
  NodePager(const NodePager&) = delete;
  NodePager& operator=(const NodePager&) = delete;

  // A record's bytes for keys of d values and R neighbour slots.
  static size_t key_bytes_for(int d) { return (size_t(d) * 2 + 3) / 4 * 4; }  // f16 key, 4-byte aligned
  static size_t record_bytes_for(int d, int R) { return key_bytes_for(d) + size_t(R) * 4; }

  int dim() const { return d_; }
  int max_degree() const { return R_; }
  int64_t size() const { return n_; }
  int64_t capacity() const { return capacity_; }
  size_t record_bytes() const { return rec_bytes_; }

  // Writes records v = size() .. size() + n - 1 straight to the file (paging
  // an index out): keys[i] (d f16) and rows (n, R); false when a write failed.
  bool put(const uint16_t* const* keys, const int32_t* rows, int64_t n);
  // A new record v = size(), cached and changed (an insert).
  void append(const uint16_t* key, const int32_t* row);

  // Copies of records' parts, through the cache: n keys (n * d f16) or n
  // adjacency rows (n * R int32).
  void read_keys(const int32_t* ids, int64_t n, uint16_t* out);
  void read_adjacency(const int32_t* ids, int64_t n, int32_t* out);
  void write_adjacency(int32_t v, const int32_t* row);

  // Records [begin, begin + n) in order, read past the cache (a cached one
  // from its slot): scans that touch every record (a monitor's exact scores,
  // a connectivity check, serialization) without evicting what searches use.
  void scan_keys(int64_t begin, int64_t n, uint16_t* out) const;
  void scan_adjacency(int64_t begin, int64_t n, int32_t* out) const;

  // The most records cached; lowering it writes back and drops the records
  // above it.
  void set_max_slots(int64_t n);
  int64_t max_slots() const { return max_slots_; }
  NodePagerStats stats() const;
  // RAM held now: cached records, their bookkeeping, the id -> slot table.
  size_t ram_bytes() const;
  // RAM held with max_slots records cached.
  size_t ram_bytes_at(int64_t slots) const;

 private:
  struct Slot {
    int32_t id = -1;  // -1: free
    uint8_t count = 0;
    bool dirty = false;
  };
  uint8_t* slot_data(int32_t s) const { return arena_ + size_t(s) * rec_bytes_; }
  // The slot holding record v, read in if needed (caller holds mu_).
  int32_t fetch(int32_t v);
  int32_t take_slot();
  void evict(int32_t s);  // writes back a changed record
  void check_id(int64_t v) const;
  // Records [begin, begin + n) into out (whole records), past the cache.
  void scan(int64_t begin, int64_t n, uint8_t* out) const;
  // Their bytes [offset, offset + bytes) each, packed into out.
  void scan_part(int64_t begin, int64_t n, size_t offset, size_t bytes, uint8_t* out) const;

  std::shared_ptr<RecordFile> file_;
  size_t first_;
  int64_t capacity_;
  int d_, R_;
  size_t key_bytes_, rec_bytes_;
  int64_t n_ = 0;
  std::vector<int32_t> slot_of_;  // (capacity): slot of a cached record, -1 none
  std::vector<Slot> slots_;
  std::vector<int32_t> free_;
  size_t hand_ = 0;
  int64_t max_slots_ = 1;
  uint8_t* arena_ = nullptr;  // address space for capacity records, backed as slots are used
  size_t arena_bytes_ = 0;
  NodePagerStats stats_;
  mutable std::mutex mu_;
};

}  // namespace tome
