// KvResidency: the host tier under a RAM budget. Once a session decodes
// sparsely (retrieval indexes built) with a KV store attached, the K/V rows
// outside the static set are only read where the index retrieves them, so they
// need not all stay in RAM. The unit of residency is a page of K rows (and the
// V page beside it): unit_rows positions of one (layer, KV head), 32 for
// head_dim 64, 16 for 128 (at most a store block of 128). A step retrieves a
// few hundred scattered rows, so units much smaller than a block keep the RAM
// a step touches close to the rows it reads. A unit not resident is read back
// from its store block (the block's checksum verified) when a step retrieves
// one of its rows, and units are released (KvCache::release_rows) to keep
//     index bytes + resident host units * unit bytes <= budget.
// Never released: units overlapping the static set (sinks + window: the device
// tier), units of a store block not yet whole in the store (an append rewrites
// its block from the block's start, reading those rows from RAM), and units a
// step in progress uses (the current epoch: one layer of one token). Which unit goes first is the
// eviction policy (LFU by default, LRU; chosen by `tome bench store`).
// A unit released is first written to the session's spill file
// (kvstore/kv_spill.h), once: reading it back is then one preadv of its bytes,
// checked against the checksum taken when it was written; a unit the spill
// lacks or fails is read from its store block, and the block's other units not
// in RAM go to the spill while the block is at hand.
// Outputs are bit-identical to an unlimited budget: a unit read back holds the
// bytes that were written.
#pragma once
#include <algorithm>
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
  int64_t hits = 0;               // rows needed that were in RAM
  int64_t misses = 0;             // units read back from the store
  int64_t evictions = 0;
  uint64_t resident_bytes = 0;    // host units in RAM now
  uint64_t fixed_bytes = 0;       // indexes (always resident)
  uint64_t budget_bytes = 0;
  uint64_t peak_bytes = 0;        // most of fixed + resident host units seen at once
  int64_t unread_units = 0;       // units a lazy restore left in the store (start_unread)
  int64_t spill_reads = 0;        // misses served by the spill file (the rest read store blocks)
  int64_t spill_writes = 0;
  uint64_t spill_bytes = 0;       // what the spill file holds now (on disk / page cache, not RAM)
};

// Makes rows resident before a step reads them (implemented by KvResidency).
class KvRowGuard {
 public:
  virtual ~KvRowGuard() = default;
  // A new step of one layer begins: what it touches stays until the next.
  virtual void begin_epoch() = 0;
  // Positions rows[0, n) of (layer, KV head) are about to be read. Thread-safe
  // across (layer, KV head) pairs; one pair's calls must not overlap.
  virtual void need_rows(int layer, int head, const int32_t* rows, int64_t n) = 0;
};

class KvResidency : public KvRowGuard {
 public:
  // use_spill false: misses always read the store (tests compare the two).
  KvResidency(KvCache& kv, KvStore& store, int n_layer, int n_head_kv, EvictionPolicy policy, bool use_spill = true);
  KvSpill* spill() { return spill_.get(); }  // nullptr when none could be made

  // The context now: positions [0, n_past), static set [0, sinks) and
  // [window_start, n_past), positions below `committed` in the store;
  // fixed_bytes (the indexes) count against the budget. Units of positions
  // >= n_past are forgotten (a truncate). Then releases units down to the
  // budget; throws BUDGET_TOO_SMALL when even that cannot fit.
  void update(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed, uint64_t fixed_bytes,
              uint64_t budget_bytes);
  // A restore that reads lazily: the context [0, n_past) is in the store, and
  // only the units that must stay in RAM (static, or of a block not whole in
  // the store) were read into the cache; every other unit is marked not
  // resident, read on demand. Call before the first update().
  void start_unread(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed);
  // Whether unit-of-position pos must stay in RAM under that state (what a lazy restore reads).
  bool must_stay(int64_t pos, int64_t sinks, int64_t window_start, int64_t committed) const;
  int64_t unit_rows() const { return unit_rows_; }
  // Start of the first store block found missing or damaged when read on
  // demand (-1: none); load failures throw STORE_CORRUPT.
  int64_t damaged_at() const { return damaged_at_; }
  // Host-tier bytes with every unit resident (what a budget fraction is of).
  uint64_t unlimited_bytes(int64_t n_past, int64_t sinks, int64_t window_start, uint64_t fixed_bytes) const;

  // Releases the unit holding position pos of (layer, head) from RAM, marked
  // not resident (a layer-major prefill, once the layer is in the store).
  void release(int layer, int head, int64_t pos);
  // Reads back every released unit below position limit (before attention
  // reads all rows again; units are only released once whole in the store).
  void load_all(int64_t limit);

  void begin_epoch() override { ++epoch_; }
  void need_rows(int layer, int head, const int32_t* rows, int64_t n) override;
  ResidencyStats stats() const;

 private:
  struct Unit {
    bool resident = true;   // units start resident: the prefill or the restore wrote them
    int64_t last_epoch = 0;
    int64_t uses = 0;
  };
  size_t index(int layer, int head, int64_t unit) const {
    return (size_t(layer) * size_t(n_head_kv_) + size_t(head)) * size_t(n_units_) + size_t(unit);
  }
  bool is_static(int64_t unit) const;
  bool evictable(int64_t unit) const;
  void note_peak() { stats_.peak_bytes = std::max(stats_.peak_bytes, fixed_ + resident_); }
  uint64_t unit_bytes() const;
  // Releases units (policy order) until resident bytes <= target; false when it could not.
  bool evict_to(uint64_t target);
  // Releases one unit's rows, written to the spill first when it lacks them.
  void release_unit(int layer, int head, int64_t unit);
  uint16_t* unit_k(int layer, int head, int64_t unit) { return kv_.k(layer, head) + size_t(unit * unit_rows_) * row_; }
  uint16_t* unit_v(int layer, int head, int64_t unit) { return kv_.v(layer, head) + size_t(unit * unit_rows_) * row_; }
  // Reads the units listed in `want` (sorted, of one store block) into RAM:
  // each from the spill when it has it intact, the others with one read of the
  // block (caller holds mu_). Marks nothing.
  void load_units(int layer, int head, const int64_t* want, int64_t n);
  void load(int layer, int head, int64_t unit) { load_units(layer, head, &unit, 1); }
  // The spill's copy of a unit into RAM; false when it has none intact. Needs
  // no lock (see KvSpill::read); the caller forgets a failed slot under mu_.
  bool read_spilled(int layer, int head, int64_t unit);
  void load_from_store(int layer, int head, const int64_t* want, int64_t n);

  KvCache& kv_;
  KvStore& store_;
  int n_layer_, n_head_kv_;
  int64_t unit_rows_;   // positions per unit (a power of two dividing the store block)
  int64_t n_units_;
  EvictionPolicy policy_;
  size_t row_;                // f16 values per K (and V) row
  std::vector<Unit> units_;   // (n_layer, n_head_kv, n_units); a unit's index is its spill slot
  std::unique_ptr<KvSpill> spill_;
  int64_t n_past_ = 0, sinks_ = 0, window_start_ = 0, committed_ = 0;
  uint64_t fixed_ = 0, budget_ = 0, resident_ = 0;  // resident_: host units only
  int64_t epoch_ = 1;
  int64_t damaged_at_ = -1;
  ResidencyStats stats_;
  std::atomic<int64_t> spill_reads_{0};
  mutable std::mutex mu_;
};

}  // namespace tome
