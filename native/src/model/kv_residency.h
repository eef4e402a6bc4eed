// KvResidency: the host tier under a RAM budget. Once a session decodes
// sparsely (retrieval indexes built) with a KV store attached, the K/V rows
// outside the static set are only read where the index retrieves them, so they
// need not all stay in RAM. Two places hold them:
//   - in place, in the KV cache: units of unit_rows positions of one (layer,
//     KV head) (a page of K rows and the V page beside it: 32 positions at
//     head_dim 64). Units overlapping the static set (sinks + window: the
//     device tier) and units of a store block not yet whole in the store (an
//     append rewrites its block from the block's start, reading its rows from
//     RAM) always stay there. Other units stay until room is needed: then
//     they are released (KvCache::release_rows), least used first, after
//     their rows were written to the spill file, and never come back in place
//     while the budget is in force. A layer that reads only its window
//     (gemma3's local layers; see the constructor) loses its other units as
//     soon as they are stored, without the spill.
//   - in the row cache: single rows (K then V) in slots of an arena, filled
//     when a step retrieves a row that is not in place, from the spill file
//     (kvstore/kv_spill.h: one pread, checked against the row's checksum) or,
//     for rows never spilled (a lazy restore left them in the store) and rows
//     whose spilled bytes fail their check, from their store block (its
//     checksum verified; the block's units then go to the spill). Slots are
//     reused by a clock sweep over use counters (LFU: a counter of up to 3
//     uses; LRU: one bit), skipping rows the step in progress uses.
// A step retrieves a few hundred scattered rows of each (layer, KV head), one
// or two per unit: rows, not units, are what it pays to keep. Accounting:
//     index bytes + tables + in-place units * unit bytes + slots * row bytes <= budget
// (tables: this class's per-row slot map and the spill's row checksums; index
// bytes: resident indexes, or paged ones' floor and record caches; in-place
// units: the static set's too, RAM wherever the static set is attended).
// Outputs are bit-identical to an unlimited budget: every row read back holds
// the bytes that were written.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "kvstore/kv_spill.h"
#include "kvstore/kv_store.h"
#include "model/kv_cache.h"

namespace tome {

enum class EvictionPolicy { kLru, kLfu };

struct ResidencyStats {
  int64_t hits = 0;               // rows needed that were in RAM (in place or cached)
  int64_t misses = 0;             // rows read back (spill or store)
  int64_t evictions = 0;          // cached rows dropped for others
  int64_t units_released = 0;     // units released from place
  uint64_t resident_bytes = 0;    // K/V rows in RAM now: in-place units (the static set's too) + row cache slots
  uint64_t fixed_bytes = 0;       // indexes and tables (always resident)
  uint64_t budget_bytes = 0;
  uint64_t peak_bytes = 0;        // most of fixed + resident seen at once
  int64_t unread_units = 0;       // units a lazy restore left in the store (start_unread)
  int64_t spill_reads = 0;        // misses served by the spill file (the rest read store blocks)
  int64_t store_reads = 0;        // store blocks read on demand
  int64_t spill_writes = 0;       // units written to the spill
  uint64_t spill_bytes = 0;       // what the spill file holds now (on disk / page cache, not RAM)
  // graph indexes paged out (their keys and adjacency as records, node_pager.h);
  // filled by the session
  bool indexes_paged = false;
  uint64_t index_cache_bytes = 0;  // what their record caches hold now
  int64_t index_hits = 0, index_reads = 0, index_writebacks = 0, index_evictions = 0;
  uint64_t index_spill_bytes = 0;  // their records in the file
  // and their navigation codes, under a tighter budget (cached in index_cache_bytes too)
  bool codes_paged = false;
  int64_t code_hits = 0, code_reads = 0;
};

// Hands a step the K/V rows it reads (implemented by KvResidency).
class KvRowGuard {
 public:
  virtual ~KvRowGuard() = default;
  // A new step of one layer begins: what it touches stays until the next.
  virtual void begin_epoch() = 0;
  // Copies the K and V rows of positions rows[0, n) of (layer, KV head) to
  // k_out and v_out (n rows of head_dim f16 each), reading back what is not in
  // RAM. Thread-safe across (layer, KV head) pairs; one pair's calls must not
  // overlap.
  virtual void gather_rows(int layer, int head, const int32_t* rows, int64_t n, uint16_t* k_out, uint16_t* v_out) = 0;
};

class KvResidency : public KvRowGuard {
 public:
  // use_spill false: misses always read the store (tests compare the two).
  // window_rows (per layer, empty: none): a layer with w > 0 reads only its last
  // w positions (gemma3's sliding-window layers). Its units outside the static
  // set go as soon as their store block is committed, whatever the budget, and
  // never to the spill: nothing retrieves them, and a truncate that needs them
  // again reads their store block. The unlimited host tier counts such a layer
  // at its window and two store blocks, as a session without a budget holds it.
  KvResidency(KvCache& kv, KvStore& store, int n_layer, int n_head_kv, EvictionPolicy policy, bool use_spill = true,
              std::vector<int64_t> window_rows = {});
  ~KvResidency() override;
  KvSpill* spill() { return spill_.get(); }  // nullptr when none could be made

  // The context now: positions [0, n_past), static set [0, sinks) and
  // [window_start, n_past), positions below `committed` in the store;
  // fixed_bytes (the indexes) count against the budget. Rows of positions
  // >= n_past are forgotten (a truncate). Then releases units and cached rows
  // down to the budget; throws BUDGET_TOO_SMALL when even that cannot fit.
  void update(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed, uint64_t fixed_bytes,
              uint64_t budget_bytes);
  // A restore that reads lazily: the context [0, n_past) is in the store, and
  // only the units that must stay in RAM (static, or of a block not whole in
  // the store) were read into the cache; every other unit is marked not in
  // place, read on demand. Call before the first update().
  void start_unread(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed);
  // After start_unread: every unit it left in the store is copied to the
  // spill, one verified read of each block holding one (~60 us a block at
  // head dim 64), so that decoding reads rows back from the spill (a pread of
  // the row) and never waits on a store block (a lazy reopen of 32K tokens at
  // 25% read ~2K blocks in the first step, 300 ms, and ~12K over 160 steps).
  // A block that is missing or fails its checksum is left in the store: the
  // step that needs it reports it. Returns the blocks read; none without a spill.
  int64_t spill_unread();
  // Whether unit-of-position pos must stay in RAM under that state (what a lazy restore reads).
  bool must_stay(int64_t pos, int64_t sinks, int64_t window_start, int64_t committed) const;
  int64_t unit_rows() const { return unit_rows_; }
  // Start of the first store block found missing or damaged when read on
  // demand (-1: none); load failures throw STORE_CORRUPT.
  int64_t damaged_at() const { return damaged_at_; }
  // Bytes with every unit in place (what a budget fraction is of): the static
  // set's units count, as they are RAM wherever the static set is attended.
  uint64_t unlimited_bytes(int64_t n_past, uint64_t fixed_bytes) const;

  // Releases the unit holding position pos of (layer, head) from RAM, marked
  // not in place (a layer-major prefill, once the layer is in the store).
  void release(int layer, int head, int64_t pos);
  // Puts back in place every row below position limit that is not (before
  // attention reads all rows again; units are only released once whole in the
  // store, which may since have been cut inside one: its rows up to limit),
  // and empties the row cache.
  void load_all(int64_t limit);

  void begin_epoch() override { ++epoch_; }
  void gather_rows(int layer, int head, const int32_t* rows, int64_t n, uint16_t* k_out, uint16_t* v_out) override;
  ResidencyStats stats() const;
  uint64_t table_bytes() const { return tables_; }  // this class's and its spill's tables
  // The least the K/V rows need of a budget in that state (as update()): the
  // units that stay in place (the static set's, and those of blocks not whole
  // in the store; with next_block, the next block's too, as the context grows
  // into it) and room to cache twice rows_per_step rows (a step's reads).
  uint64_t least_bytes(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed,
                       int64_t rows_per_step, bool next_block = true) const;

 private:
  struct Unit {
    bool in_place = true;   // units start in place: the prefill or the restore wrote them
    bool spilled = false;   // every row of the unit is in the spill
    int64_t last_epoch = 0;
    int64_t uses = 0;
  };
  struct Slot {
    int64_t row = -1;       // global row (row_index) it holds; -1: free
    uint32_t epoch = 0;     // last step that used it (low bits of epoch_; not reused within it)
    uint8_t count = 0;      // clock counter
  };
  // A row a gather_rows call must read back into its slot.
  struct Fill {
    int64_t unit, row, slot;
    bool spilled;
  };
  size_t unit_index(int layer, int head, int64_t unit) const {
    return (size_t(layer) * size_t(n_head_kv_) + size_t(head)) * size_t(n_units_) + size_t(unit);
  }
  int64_t row_index(int layer, int head, int64_t pos) const {
    return (int64_t(layer) * n_head_kv_ + head) * n_ctx_ + pos;
  }
  bool is_static(int64_t unit) const;
  bool window_only(int layer) const { return !window_rows_.empty() && window_rows_[size_t(layer)] > 0; }
  bool evictable(int64_t unit) const;
  uint64_t unit_bytes() const { return uint64_t(unit_rows_) * row_bytes_; }
  uint64_t slot_cost() const { return row_bytes_ + sizeof(Slot); }  // a cached row and its bookkeeping
  uint64_t limit() const;  // what in-place host units and slots may take
  void note_peak() { stats_.peak_bytes = std::max(stats_.peak_bytes, fixed_ + tables_ + resident_); }
  uint8_t* slot_data(int64_t s) { return arena_ + size_t(s) * row_bytes_; }

  // Releases in-place evictable units not used in this epoch, least used
  // first, until resident_ + need <= limit or none is left; true when it fits.
  bool release_units(uint64_t need);
  void release_unit(int layer, int head, int64_t unit);  // to the spill first, unless it is there
  // A slot for a row (caller holds mu_): a free one, a new one within the
  // budget (releasing in-place units for room), else the clock's victim.
  int64_t acquire_slot();
  void free_slot(int64_t s);
  // Drops cached rows of positions in [p0, p1) of every (layer, head).
  void drop_rows(int64_t p0, int64_t p1);
  // Shrinks the arena to n slots (rows in the slots past it dropped; their memory released).
  void shrink_slots(int64_t n);
  // Reads the fills' rows from their store blocks into their slots (caller
  // holds mu_; fills of one (layer, head), sorted by row) and writes the
  // blocks' units out of place to the spill.
  void fill_from_store(int layer, int head, const std::vector<Fill>& fills);
  // A store block's units out of place and not in the spill go to it (rows:
  // the block's, k and v its bytes); each run of consecutive units in one write.
  void spill_block(int layer, int head, int64_t b, const uint8_t* k, const uint8_t* v, int64_t rows);
  bool wants_spill(int layer, int head, int64_t u) const;
  // Puts one unit's first rows_needed rows back in place: from the row cache,
  // the spill, else its store block.
  void load_in_place(int layer, int head, int64_t unit, int64_t rows_needed);
  [[noreturn]] void block_damaged(int layer, int head, int64_t block);

  KvCache& kv_;
  KvStore& store_;
  int n_layer_, n_head_kv_, head_dim_;
  int64_t n_ctx_;
  int64_t unit_rows_;   // positions per unit (a power of two dividing the store block)
  int64_t n_units_;
  size_t row_bytes_;    // one row's K and V: 2 * head_dim f16
  EvictionPolicy policy_;
  std::vector<int64_t> window_rows_;  // (n_layer) or empty: see the constructor
  std::vector<Unit> units_;        // (n_layer, n_head_kv, n_units); a unit's index is its spill slot
  std::vector<int32_t> row_slot_;  // (n_layer, n_head_kv, n_ctx): slot of a cached row, -1 none
  std::vector<Slot> slots_;        // the arena's slots in use or free (size: slots allocated)
  std::vector<int64_t> free_;      // free slots
  uint8_t* arena_ = nullptr;       // reserved for one slot per row of the context, backed as used
  size_t arena_bytes_ = 0;
  size_t hand_ = 0;                // the clock's position in slots_
  size_t in_place_left_ = 0;       // in-place evictable units (as of the last update or selection)
  std::unique_ptr<KvSpill> spill_;
  int64_t n_past_ = 0, sinks_ = 0, window_start_ = 0, committed_ = 0;
  uint64_t fixed_ = 0, budget_ = 0, tables_ = 0, resident_ = 0;  // resident_: in-place host units + slots
  int64_t epoch_ = 1;
  int64_t damaged_at_ = -1;
  ResidencyStats stats_;
  std::atomic<int64_t> spill_reads_{0};
  mutable std::mutex mu_;
};

}  // namespace tome
