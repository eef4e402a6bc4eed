#include "model/kv_residency.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "common/error.h"

namespace tome {

namespace {

constexpr int64_t kBlock = KvCache::kBlockRows;  // == the store's block

// Rows of one page of K (head_dim f16 each), as a power of two in [1, kBlock].
int64_t rows_per_page(int head_dim) {
  const int64_t page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
  const int64_t fit = std::max<int64_t>(1, page / (int64_t(head_dim) * 2));
  int64_t r = 1;
  while (r * 2 <= fit && r * 2 <= kBlock) r *= 2;
  return r;
}

}  // namespace

KvResidency::KvResidency(KvCache& kv, KvStore& store, int n_layer, int n_head_kv, EvictionPolicy policy,
                         bool use_spill)
    : kv_(kv), store_(store), n_layer_(n_layer), n_head_kv_(n_head_kv),
      unit_rows_(rows_per_page(int(kv.rows(0, 0).stride))), n_units_((kv.n_ctx() + unit_rows_ - 1) / unit_rows_),
      policy_(policy), row_(kv.rows(0, 0).stride), units_(size_t(n_layer) * size_t(n_head_kv) * size_t(n_units_)) {
  if (use_spill) spill_ = KvSpill::create(std::filesystem::path(store.path()).parent_path().string(), unit_bytes(), units_.size());
}

uint64_t KvResidency::unit_bytes() const { return 2 * uint64_t(unit_rows_) * kv_.rows(0, 0).stride * sizeof(uint16_t); }

bool KvResidency::is_static(int64_t u) const {
  const int64_t p0 = u * unit_rows_, p1 = p0 + unit_rows_;
  return p0 < sinks_ || p1 > window_start_;
}

// A unit goes only once its whole store block is committed: the next append
// rewrites a partly committed block from its start, reading its rows from RAM.
bool KvResidency::evictable(int64_t u) const {
  return !is_static(u) && (u * unit_rows_ / kBlock + 1) * kBlock <= committed_;
}

bool KvResidency::must_stay(int64_t pos, int64_t sinks, int64_t window_start, int64_t committed) const {
  const int64_t u = pos / unit_rows_, p0 = u * unit_rows_, p1 = p0 + unit_rows_;
  const bool stat = p0 < sinks || p1 > window_start;
  return stat || (p0 / kBlock + 1) * kBlock > committed;
}

void KvResidency::start_unread(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed) {
  std::lock_guard<std::mutex> lock(mu_);
  n_past_ = n_past;
  sinks_ = sinks;
  window_start_ = window_start;
  committed_ = committed;
  resident_ = 0;
  for (int64_t u = 0; u * unit_rows_ < n_past_; ++u) {
    if (!evictable(u)) continue;
    for (int l = 0; l < n_layer_; ++l)
      for (int h = 0; h < n_head_kv_; ++h) units_[index(l, h, u)].resident = false;
    stats_.unread_units += int64_t(n_layer_) * n_head_kv_;
  }
}

uint64_t KvResidency::unlimited_bytes(int64_t n_past, int64_t sinks, int64_t window_start, uint64_t fixed) const {
  int64_t host = 0;
  for (int64_t u = 0; u * unit_rows_ < n_past; ++u)
    if (!(u * unit_rows_ < sinks || (u + 1) * unit_rows_ > window_start)) ++host;
  return fixed + uint64_t(host) * uint64_t(n_layer_) * uint64_t(n_head_kv_) * unit_bytes();
}

void KvResidency::update(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed, uint64_t fixed,
                         uint64_t budget) {
  std::lock_guard<std::mutex> lock(mu_);
  // units past the context (a truncate) are forgotten: resident, to be written again
  for (int64_t u = (n_past + unit_rows_ - 1) / unit_rows_; u * unit_rows_ < n_past_; ++u)
    for (int l = 0; l < n_layer_; ++l)
      for (int h = 0; h < n_head_kv_; ++h) units_[index(l, h, u)] = Unit{};
  n_past_ = n_past;
  sinks_ = sinks;
  window_start_ = window_start;
  committed_ = committed;
  fixed_ = fixed;
  budget_ = budget;
  // a truncate can move the window back over released units: the static set is always in RAM
  resident_ = 0;
  for (int64_t u = 0; u * unit_rows_ < n_past_; ++u)
    for (int l = 0; l < n_layer_; ++l)
      for (int h = 0; h < n_head_kv_; ++h) {
        const size_t i = index(l, h, u);
        Unit& x = units_[i];
        if (!evictable(u) && !x.resident) {  // back in the static set, or its block reopened by a truncate
          load(l, h, u);
          x.resident = true;
        }
        // a unit that may not go (its block reopened by a truncate: its rows get
        // written again) has no spilled copy to go stale
        if (spill_ && !evictable(u)) spill_->forget(i);
        if (!is_static(u) && x.resident) resident_ += unit_bytes();
      }
  // between steps: the last step's units may go too (a new epoch)
  ++epoch_;
  if (fixed_ > budget_)
    throw Error("BUDGET_TOO_SMALL", "the RAM budget (" + std::to_string(budget_) + " bytes) is below the retrieval "
                                    "indexes alone (" + std::to_string(fixed_) + " bytes)");
  if (!evict_to(budget_ - fixed_)) {
    throw Error("BUDGET_TOO_SMALL", "the RAM budget (" + std::to_string(budget_) + " bytes) cannot hold the rows "
                                    "not yet in the KV store; flush the store or raise the budget");
  }
  note_peak();
}

bool KvResidency::evict_to(uint64_t target) {
  if (resident_ <= target) return true;
  // candidates: resident, evictable, not used by the step in progress; policy order
  struct Cand { int64_t key1, key2; size_t i; int l, h; int64_t u; };
  std::vector<Cand> c;
  for (int l = 0; l < n_layer_; ++l)
    for (int h = 0; h < n_head_kv_; ++h)
      for (int64_t u = 0; u * unit_rows_ < n_past_; ++u) {
        const size_t i = index(l, h, u);
        const Unit& x = units_[i];
        if (!x.resident || !evictable(u) || x.last_epoch == epoch_) continue;
        if (policy_ == EvictionPolicy::kLru) c.push_back({x.last_epoch, 0, i, l, h, u});
        else c.push_back({x.uses, x.last_epoch, i, l, h, u});
      }
  // go a little below the target, so a run of misses does not select again for each unit
  const uint64_t slack = std::max<uint64_t>(unit_bytes(), target / 32);
  const uint64_t goal = target > slack ? target - slack : 0;
  // the first `count` units in policy order (a selection, not a sort: the
  // scan is over every unit of the context, ~92K at 32K tokens on smol)
  const size_t count = std::min(c.size(), size_t((resident_ - goal + unit_bytes() - 1) / unit_bytes()));
  const auto before = [](const Cand& a, const Cand& b) {
    return a.key1 < b.key1 || (a.key1 == b.key1 && (a.key2 < b.key2 || (a.key2 == b.key2 && a.i < b.i)));
  };
  if (count < c.size()) std::nth_element(c.begin(), c.begin() + std::ptrdiff_t(count), c.end(), before);
  for (size_t j = 0; j < count; ++j) {
    const Cand& x = c[j];
    release_unit(x.l, x.h, x.u);
    units_[x.i].resident = false;
    resident_ -= unit_bytes();
    ++stats_.evictions;
  }
  return resident_ <= target;
}

void KvResidency::release_unit(int layer, int head, int64_t u) {
  const size_t i = index(layer, head, u), half = unit_bytes() / 2;
  if (spill_ && !spill_->has(i)) spill_->write(i, unit_k(layer, head, u), half, unit_v(layer, head, u), half);
  kv_.release_rows(layer, head, u * unit_rows_, unit_rows_);
}

bool KvResidency::read_spilled(int layer, int head, int64_t u) {
  const size_t half = unit_bytes() / 2;
  return spill_ && spill_->read(index(layer, head, u), unit_k(layer, head, u), half, unit_v(layer, head, u), half);
}

void KvResidency::load_units(int layer, int head, const int64_t* want_in, int64_t n_in) {
  int64_t want[kBlock], n = 0;
  for (int64_t i = 0; i < n_in; ++i) {
    const int64_t u = want_in[i];
    if (read_spilled(layer, head, u)) {
      ++spill_reads_;
      continue;
    }
    if (spill_) spill_->forget(index(layer, head, u));
    want[n++] = u;
  }
  if (n > 0) load_from_store(layer, head, want, n);
}

void KvResidency::load_from_store(int layer, int head, const int64_t* want, int64_t n) {
  const int64_t b = want[0] * unit_rows_ / kBlock;
  const size_t row_bytes = row_ * sizeof(uint16_t), half = unit_bytes() / 2;
  bool fits = true;
  const bool ok = store_.read_block(layer, head, b, [&](const uint8_t* k, const uint8_t* v, int64_t rows) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t in_block = want[i] * unit_rows_ - b * kBlock;
      if (in_block + unit_rows_ > rows) {
        fits = false;
        return;
      }
      std::memcpy(unit_k(layer, head, want[i]), k + size_t(in_block) * row_bytes, half);
      std::memcpy(unit_v(layer, head, want[i]), v + size_t(in_block) * row_bytes, half);
    }
    // the block's other units out of RAM go to the spill while it is at hand
    if (!spill_) return;
    for (int64_t u = b * kBlock / unit_rows_; (u + 1) * unit_rows_ - b * kBlock <= rows; ++u) {
      const size_t i = index(layer, head, u);
      if (units_[i].resident || !evictable(u) || spill_->has(i) || std::find(want, want + n, u) != want + n) continue;
      const size_t at = size_t(u * unit_rows_ - b * kBlock) * row_bytes;
      spill_->write(i, k + at, half, v + at, half);
    }
  });
  if (!ok || !fits) {
    damaged_at_ = damaged_at_ < 0 ? b * kBlock : std::min(damaged_at_, b * kBlock);
    throw Error("STORE_CORRUPT", "KV store block (layer " + std::to_string(layer) + ", head " + std::to_string(head) +
                                     ", block " + std::to_string(b) + ") is missing or damaged; reopen the document "
                                     "to rebuild its cache");
  }
}

// Three phases, so that the two threads' misses overlap: under the lock, the
// step's units are marked (so making room never releases one of them; their
// epoch keeps other threads' evictions off them until the next epoch), room
// is made and the missing ones are counted resident; then, without the lock,
// each is read from the spill (rows of this (layer, head) only: no other
// thread touches them now); last, under the lock again, the few the spill
// lacks are read from their store blocks.
void KvResidency::need_rows(int layer, int head, const int32_t* rows, int64_t n) {
  thread_local std::vector<int64_t> missing, from_store;
  missing.clear();
  from_store.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t u = rows[j] / unit_rows_;
      Unit& x = units_[index(layer, head, u)];
      if (x.last_epoch != epoch_) {
        ++x.uses;
        x.last_epoch = epoch_;
        if (!x.resident) missing.push_back(u);
      }
      stats_.hits += x.resident;
    }
    if (missing.empty()) return;
    std::sort(missing.begin(), missing.end());
    uint64_t host = 0;
    for (int64_t u : missing) host += is_static(u) ? 0 : unit_bytes();
    if (resident_ + host > budget_ - fixed_ && !evict_to(budget_ - fixed_ - host))
      throw Error("BUDGET_TOO_SMALL", "the RAM budget cannot hold the K/V rows one decode step retrieves; raise it");
    for (int64_t u : missing) {
      units_[index(layer, head, u)].resident = true;
      if (!is_static(u)) resident_ += unit_bytes();
      ++stats_.misses;
    }
    note_peak();
  }
  for (int64_t u : missing)
    if (read_spilled(layer, head, u)) ++spill_reads_;
    else from_store.push_back(u);
  if (from_store.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  try {
    const int64_t per_block = kBlock / unit_rows_;
    for (size_t i = 0; i < from_store.size();) {
      size_t j = i + 1;
      while (j < from_store.size() && from_store[j] / per_block == from_store[i] / per_block) ++j;
      for (size_t t = i; t < j; ++t)
        if (spill_) spill_->forget(index(layer, head, from_store[t]));
      load_from_store(layer, head, from_store.data() + i, int64_t(j - i));
      i = j;
    }
  } catch (...) {
    // what was not read is not resident
    for (int64_t u : from_store) {
      units_[index(layer, head, u)].resident = false;
      if (!is_static(u)) resident_ -= unit_bytes();
    }
    throw;
  }
}

void KvResidency::release(int layer, int head, int64_t pos) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t u = pos / unit_rows_;
  kv_.release_rows(layer, head, u * unit_rows_, unit_rows_);
  units_[index(layer, head, u)].resident = false;
}

void KvResidency::load_all(int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int l = 0; l < n_layer_; ++l)
    for (int h = 0; h < n_head_kv_; ++h)
      for (int64_t u = 0; (u + 1) * unit_rows_ <= limit; ++u) {
        Unit& x = units_[index(l, h, u)];
        if (x.resident) continue;
        load(l, h, u);
        x.resident = true;
        ++stats_.misses;
      }
}

ResidencyStats KvResidency::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  ResidencyStats s = stats_;
  s.resident_bytes = resident_;
  s.fixed_bytes = fixed_;
  s.budget_bytes = budget_;
  s.spill_reads = spill_reads_.load();
  if (spill_) {
    s.spill_writes = spill_->writes();
    s.spill_bytes = spill_->bytes();
  }
  return s;
}

}  // namespace tome
