// RecordCache: fixed-size records of one index paged between RAM and a
// RecordFile (record_file.h), cached by use. Under a RAM budget a graph
// index's per-key records (node_pager.h: f16 key + adjacency) and, when the
// budget is tighter still, its int8 navigation codes (nav_codes.h) live in a
// file, and only the records its searches use stay in RAM.
//
// Records are handed out as copies of their parts, never as pointers into the
// cache: a slot may be reused as soon as a call returns, and concurrent
// searches of one index need nothing but this class's lock. The cache holds at
// most max_slots() records (at least one), reused by a clock over use counters
// (up to 3 uses remembered: frequency with aging). Changed records are
// written back when evicted; the file is then their only copy, so a record
// that fails its check when read back throws STORE_CORRUPT and one that cannot
// be written back STORE_FULL; neither is ever served wrong.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "retrieval/record_file.h"

namespace tome {

struct RecordCacheStats {
  int64_t hits = 0;        // records served from the cache
  int64_t reads = 0;       // records read from the file into it
  int64_t writebacks = 0;  // changed records written back
  int64_t evictions = 0;   // records dropped for others
};

class RecordCache {
 public:
  // Records [first, first + capacity) of file hold this index's ids [0, capacity).
  RecordCache(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity);
  ~RecordCache();
  RecordCache(const RecordCache&) = delete;
  RecordCache& operator=(const RecordCache&) = delete;

  // Records a scan or a put moves at once (80 KB at head dim 64, R 48).
  static constexpr int64_t kChunk = 256;

  int64_t size() const { return n_; }
  int64_t capacity() const { return capacity_; }
  size_t record_bytes() const { return rec_bytes_; }

  // Writes records size() .. size() + n - 1 (n * record_bytes()) straight to
  // the file in one write (paging an index out); false when it failed.
  bool put(const uint8_t* recs, int64_t n);
  // A new record v = size(), cached and changed (an insert).
  void append(const uint8_t* rec);
  // Records [begin, begin + n) replaced by recs (whole records): the file
  // written, cached copies updated (a requantization of every code).
  void overwrite(int64_t begin, int64_t n, const uint8_t* recs);

  // Bytes [offset, offset + bytes) of records ids[0, n), through the cache,
  // packed into out.
  void read(const int32_t* ids, int64_t n, size_t offset, size_t bytes, uint8_t* out);
  // Record v's bytes [offset, offset + bytes) replaced (cached, changed).
  void write(int32_t v, size_t offset, size_t bytes, const uint8_t* data);
  // Bytes [offset, offset + bytes) of records [begin, begin + n) in order,
  // read past the cache (a cached one from its slot): scans that touch every
  // record (a monitor's exact scores, a connectivity check, serialization)
  // without evicting what searches use.
  void scan(int64_t begin, int64_t n, size_t offset, size_t bytes, uint8_t* out) const;

  // The most records cached; lowering it writes back and drops the records
  // above it.
  void set_max_slots(int64_t n);
  int64_t max_slots() const { return max_slots_; }
  RecordCacheStats stats() const;
  // RAM held now: cached records, their bookkeeping, the id -> slot table.
  size_t ram_bytes() const;
  // RAM held with `slots` records cached.
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
  // Whole records [begin, begin + n) into out, past the cache (caller holds mu_).
  void scan_whole(int64_t begin, int64_t n, uint8_t* out) const;

  std::shared_ptr<RecordFile> file_;
  size_t first_;
  int64_t capacity_;
  size_t rec_bytes_;
  int64_t n_ = 0;
  std::vector<int32_t> slot_of_;  // (capacity): slot of a cached record, -1 none
  std::vector<Slot> slots_;
  std::vector<int32_t> free_;
  size_t hand_ = 0;
  int64_t max_slots_ = 1;
  uint8_t* arena_ = nullptr;  // address space for capacity records, backed as slots are used
  size_t arena_bytes_ = 0;
  RecordCacheStats stats_;
  mutable std::mutex mu_;
};

}  // namespace tome
