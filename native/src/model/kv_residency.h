// KvResidency: the host tier under a RAM budget. Once a session decodes
// sparsely (retrieval indexes built) with a KV store attached, the K/V rows
// outside the static set are only read where the index retrieves them, so they
// need not all stay in RAM: each block of KvCache::kBlockRows positions of one
// (layer, KV head) is resident or not; a block not resident is read back from
// the store (checksum verified) when a step retrieves one of its rows, and
// blocks are released (KvCache::release_block) to keep
//     index bytes + resident host blocks * block bytes <= budget.
// Never released: blocks overlapping the static set (sinks + window: the device
// tier), blocks not yet whole in the store, and blocks a step in progress uses
// (the current epoch: one layer of one token). Which block goes first is the
// eviction policy (LRU or LFU; chosen by `tome bench store`).
// Outputs are bit-identical to an unlimited budget: a block read back holds the
// bytes that were written.
#pragma once
#include <cstdint>
#include <mutex>
#include <vector>

#include "kvstore/kv_store.h"
#include "model/kv_cache.h"

namespace tome {

enum class EvictionPolicy { kLru, kLfu };

struct ResidencyStats {
  int64_t hits = 0;               // rows needed that were in RAM
  int64_t misses = 0;             // blocks read back from the store
  int64_t evictions = 0;
  uint64_t resident_bytes = 0;    // host blocks in RAM now
  uint64_t fixed_bytes = 0;       // indexes (always resident)
  uint64_t budget_bytes = 0;
};

// Makes rows resident before a step reads them (implemented by KvResidency).
class KvRowGuard {
 public:
  virtual ~KvRowGuard() = default;
  // A new step of one layer begins: what it touches stays until the next.
  virtual void begin_epoch() = 0;
  // Positions rows[0, n) of (layer, KV head) are about to be read. Thread-safe.
  virtual void need_rows(int layer, int head, const int32_t* rows, int64_t n) = 0;
};

class KvResidency : public KvRowGuard {
 public:
  KvResidency(KvCache& kv, KvStore& store, int n_layer, int n_head_kv, EvictionPolicy policy);

  // The context now: positions [0, n_past), static set [0, sinks) and
  // [window_start, n_past), whole blocks in the store below `committed`;
  // fixed_bytes (the indexes) count against the budget. Blocks of positions
  // >= n_past are forgotten (a truncate). Then releases blocks down to the
  // budget; throws BUDGET_TOO_SMALL when even that cannot fit.
  void update(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed, uint64_t fixed_bytes,
              uint64_t budget_bytes);
  // Host-tier bytes with every block resident (what a budget fraction is of).
  uint64_t unlimited_bytes(int64_t n_past, int64_t sinks, int64_t window_start, uint64_t fixed_bytes) const;

  // Reads back every released block below position limit (before attention
  // reads all rows again; blocks are only released once whole in the store).
  void load_all(int64_t limit);

  void begin_epoch() override { ++epoch_; }
  void need_rows(int layer, int head, const int32_t* rows, int64_t n) override;
  ResidencyStats stats() const;

 private:
  struct Block {
    bool resident = true;   // blocks start resident: the prefill or the restore wrote them
    int64_t last_epoch = 0;
    int64_t uses = 0;
  };
  size_t index(int layer, int head, int64_t block) const {
    return (size_t(layer) * size_t(n_head_kv_) + size_t(head)) * size_t(n_blocks_) + size_t(block);
  }
  bool is_static(int64_t block) const;
  bool evictable(int64_t block) const;
  // Releases blocks (policy order) until resident bytes <= target; false when it could not.
  bool evict_to(uint64_t target);
  void load(int layer, int head, int64_t block);

  KvCache& kv_;
  KvStore& store_;
  int n_layer_, n_head_kv_;
  int64_t n_blocks_;
  EvictionPolicy policy_;
  std::vector<Block> blocks_;   // (n_layer, n_head_kv, n_blocks)
  int64_t n_past_ = 0, sinks_ = 0, window_start_ = 0, committed_ = 0;
  uint64_t fixed_ = 0, budget_ = 0, resident_ = 0;  // resident_: host blocks only
  int64_t epoch_ = 1;
  ResidencyStats stats_;
  mutable std::mutex mu_;
};

}  // namespace tome
