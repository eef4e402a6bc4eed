#include "model/kv_residency.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.h"

namespace tome {

namespace {

constexpr int64_t kBlock = KvCache::kBlockRows;  // == the store's block
constexpr uint8_t kMaxCount = 3;                  // LFU clock: uses remembered per cached row

// Rows of one page of K (head_dim f16 each), as a power of two in [1, kBlock].
int64_t rows_per_page(int head_dim) {
  const int64_t page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
  const int64_t fit = std::max<int64_t>(1, page / (int64_t(head_dim) * 2));
  int64_t r = 1;
  while (r * 2 <= fit && r * 2 <= kBlock) r *= 2;
  return r;
}

size_t page_size() { return sysconf(_SC_PAGESIZE) > 0 ? size_t(sysconf(_SC_PAGESIZE)) : 4096; }

}  // namespace

KvResidency::KvResidency(KvCache& kv, KvStore& store, int n_layer, int n_head_kv, EvictionPolicy policy,
                         bool use_spill, std::vector<int64_t> window_rows)
    : kv_(kv), store_(store), n_layer_(n_layer), n_head_kv_(n_head_kv), head_dim_(int(kv.rows(0, 0).stride)),
      n_ctx_(kv.n_ctx()), unit_rows_(rows_per_page(head_dim_)), n_units_((n_ctx_ + unit_rows_ - 1) / unit_rows_),
      row_bytes_(2 * size_t(head_dim_) * sizeof(uint16_t)), policy_(policy), window_rows_(std::move(window_rows)),
      units_(size_t(n_layer) * size_t(n_head_kv) * size_t(n_units_)),
      row_slot_(size_t(n_layer) * size_t(n_head_kv) * size_t(n_ctx_), -1) {
  // address space for a slot per row; pages are backed only as slots are used
  arena_bytes_ = std::max<size_t>(row_slot_.size() * row_bytes_, page_size());
  void* p = mmap(nullptr, arena_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw Error("KV_ALLOC", "cannot reserve address space for the row cache");
  arena_ = static_cast<uint8_t*>(p);
  if (use_spill)
    spill_ = KvSpill::create(std::filesystem::path(store.path()).parent_path().string(), row_bytes_,
                             size_t(unit_rows_), units_.size());
  tables_ = row_slot_.size() * sizeof(int32_t) + units_.size() * sizeof(Unit) + (spill_ ? spill_->table_bytes() : 0);
}

KvResidency::~KvResidency() { munmap(arena_, arena_bytes_); }

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

uint64_t KvResidency::limit() const {
  return budget_ > fixed_ + tables_ ? budget_ - fixed_ - tables_ : 0;
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
      for (int h = 0; h < n_head_kv_; ++h) units_[unit_index(l, h, u)].in_place = false;
    stats_.unread_units += int64_t(n_layer_) * n_head_kv_;
  }
}

uint64_t KvResidency::unlimited_bytes(int64_t n_past, uint64_t fixed) const {
  const int64_t units = (n_past + unit_rows_ - 1) / unit_rows_;
  uint64_t layer_units = 0;  // over the layers, each layer's units held
  for (int l = 0; l < n_layer_; ++l)
    layer_units += uint64_t(window_only(l) ? std::min(units, (window_rows_[size_t(l)] + 2 * kBlock + unit_rows_ - 1) / unit_rows_)
                                           : units);
  return fixed + tables_ + layer_units * uint64_t(n_head_kv_) * unit_bytes();
}

uint64_t KvResidency::least_bytes(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed,
                                  int64_t rows_per_step, bool next_block) const {
  int64_t stay = 0;  // units per (layer, KV head) that stay in place
  for (int64_t u = 0; u * unit_rows_ < n_past; ++u) stay += must_stay(u * unit_rows_, sinks, window_start, committed);
  if (next_block) stay += (kBlock + unit_rows_ - 1) / unit_rows_;  // as the context grows into it
  return uint64_t(n_layer_) * uint64_t(n_head_kv_) * uint64_t(stay) * unit_bytes() +
         2 * uint64_t(std::max<int64_t>(0, rows_per_step)) * slot_cost();
}

void KvResidency::update(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed, uint64_t fixed,
                         uint64_t budget) {
  std::lock_guard<std::mutex> lock(mu_);
  if (n_past < n_past_) {  // a truncate: cached rows past the context go, and units wholly past it
    drop_rows(n_past, n_past_);
    for (int64_t u = (n_past + unit_rows_ - 1) / unit_rows_; u * unit_rows_ < n_past_; ++u)
      for (int l = 0; l < n_layer_; ++l)
        for (int h = 0; h < n_head_kv_; ++h) {
          const size_t i = unit_index(l, h, u);
          units_[i] = Unit{};  // in place, to be written again
          if (spill_) spill_->forget(i);
        }
  }
  n_past_ = n_past;
  sinks_ = sinks;
  window_start_ = window_start;
  committed_ = committed;
  fixed_ = fixed;
  budget_ = budget;
  resident_ = 0;
  in_place_left_ = 0;
  for (int64_t u = 0; u * unit_rows_ < n_past_; ++u)
    for (int l = 0; l < n_layer_; ++l)
      for (int h = 0; h < n_head_kv_; ++h) {
        const size_t i = unit_index(l, h, u);
        Unit& x = units_[i];
        if (!evictable(u)) {
          // back in the static set, or its block reopened by a truncate: in place, and
          // no spilled copy to go stale when its rows are written again
          if (!x.in_place) load_in_place(l, h, u, std::min(unit_rows_, n_past_ - u * unit_rows_));
          x.in_place = true;
          if (x.spilled && spill_) spill_->forget(i);
          x.spilled = false;
        } else if (x.in_place && window_only(l)) {  // stored, and never read again but through a truncate
          kv_.release_rows(l, h, u * unit_rows_, unit_rows_);
          x.in_place = false;
          ++stats_.units_released;
        }
        // (static units count: the static set's rows are RAM, read in place on
        // the CPU, copied from here to a GPU)
        if (x.in_place) resident_ += unit_bytes();
        if (x.in_place && evictable(u)) ++in_place_left_;
      }
  resident_ += uint64_t(slots_.size()) * slot_cost();
  // between steps: the last step's rows may go too (a new epoch)
  ++epoch_;
  if (fixed_ + tables_ > budget_)
    throw Error("BUDGET_TOO_SMALL", "the RAM budget (" + std::to_string(budget_) + " bytes) is below the retrieval "
                                    "indexes and the residency tables (" + std::to_string(fixed_ + tables_) + " bytes)");
  if (!release_units(0)) {  // in-place units first, then the row cache
    const uint64_t over = resident_ - limit();
    const int64_t drop = int64_t((over + slot_cost() - 1) / slot_cost());
    if (drop > int64_t(slots_.size()))
      throw Error("BUDGET_TOO_SMALL", "the RAM budget (" + std::to_string(budget_) + " bytes) cannot hold the rows "
                                      "not yet in the KV store; flush the store or raise the budget");
    shrink_slots(int64_t(slots_.size()) - drop);
  }
  note_peak();
}

bool KvResidency::release_units(uint64_t need) {
  const uint64_t lim = limit();
  if (resident_ + need <= lim) return true;
  // candidates: in place, evictable, not used by the step in progress; policy order
  struct Cand { int64_t key1, key2; size_t i; int l, h; int64_t u; };
  thread_local std::vector<Cand> c;
  c.clear();
  for (int l = 0; l < n_layer_; ++l)
    for (int h = 0; h < n_head_kv_; ++h)
      for (int64_t u = 0; u * unit_rows_ < n_past_; ++u) {
        const size_t i = unit_index(l, h, u);
        const Unit& x = units_[i];
        if (!x.in_place || x.last_epoch == epoch_ || !evictable(u)) continue;
        if (policy_ == EvictionPolicy::kLru) c.push_back({x.last_epoch, 0, i, l, h, u});
        else c.push_back({x.uses, x.last_epoch, i, l, h, u});
      }
  // a little more than asked, so a run of misses does not select again for each row
  const uint64_t want = resident_ + need - lim + std::max<uint64_t>(unit_bytes(), lim / 32);
  const size_t count = std::min(c.size(), size_t((want + unit_bytes() - 1) / unit_bytes()));
  const auto before = [](const Cand& a, const Cand& b) {
    return a.key1 < b.key1 || (a.key1 == b.key1 && (a.key2 < b.key2 || (a.key2 == b.key2 && a.i < b.i)));
  };
  if (count < c.size()) std::nth_element(c.begin(), c.begin() + std::ptrdiff_t(count), c.end(), before);
  for (size_t j = 0; j < count; ++j) {
    release_unit(c[j].l, c[j].h, c[j].u);
    units_[c[j].i].in_place = false;
    resident_ -= unit_bytes();
    ++stats_.units_released;
  }
  in_place_left_ = c.size() - count;
  return resident_ + need <= lim;
}

void KvResidency::release_unit(int layer, int head, int64_t u) {
  const size_t i = unit_index(layer, head, u), half = size_t(head_dim_) * sizeof(uint16_t);
  if (spill_ && !units_[i].spilled) {
    thread_local std::vector<uint8_t> rows;  // the unit's rows, K then V each
    rows.resize(size_t(unit_bytes()));
    const uint8_t* k = reinterpret_cast<const uint8_t*>(kv_.k(layer, head) + size_t(u * unit_rows_) * size_t(head_dim_));
    const uint8_t* v = reinterpret_cast<const uint8_t*>(kv_.v(layer, head) + size_t(u * unit_rows_) * size_t(head_dim_));
    for (int64_t r = 0; r < unit_rows_; ++r) {
      std::memcpy(rows.data() + size_t(r) * row_bytes_, k + size_t(r) * half, half);
      std::memcpy(rows.data() + size_t(r) * row_bytes_ + half, v + size_t(r) * half, half);
    }
    units_[i].spilled = spill_->write(i, rows.data());
  }
  kv_.release_rows(layer, head, u * unit_rows_, unit_rows_);
}

int64_t KvResidency::acquire_slot() {
  if (!free_.empty()) {
    const int64_t s = free_.back();
    free_.pop_back();
    return s;
  }
  // a new slot within the budget, releasing in-place units for room
  if (slots_.size() < row_slot_.size() &&
      (resident_ + slot_cost() <= limit() || (in_place_left_ > 0 && release_units(slot_cost())))) {
    slots_.push_back(Slot{});
    resident_ += slot_cost();
    note_peak();
    return int64_t(slots_.size()) - 1;
  }
  // the clock: the first slot the step in progress does not use whose counter is
  // down to 0, counters decremented on the way
  const uint32_t now = uint32_t(epoch_);
  const size_t n = slots_.size();
  for (size_t seen = 0; seen < (kMaxCount + 1u) * n + 1; ++seen) {
    if (hand_ >= n) hand_ = 0;
    const size_t s = hand_++;
    Slot& x = slots_[s];
    if (x.row < 0 || x.epoch == now) continue;
    if (x.count > 0) {
      --x.count;
      continue;
    }
    row_slot_[size_t(x.row)] = -1;
    x.row = -1;
    ++stats_.evictions;
    return int64_t(s);
  }
  throw Error("BUDGET_TOO_SMALL", "the RAM budget cannot hold the K/V rows one decode step retrieves (" +
                                      std::to_string(n) + " rows cached, " + std::to_string(limit()) +
                                      " bytes left for K/V rows); raise it");
}

void KvResidency::free_slot(int64_t s) {
  Slot& x = slots_[size_t(s)];
  if (x.row >= 0) row_slot_[size_t(x.row)] = -1;
  x.row = -1;
  free_.push_back(s);
}

void KvResidency::drop_rows(int64_t p0, int64_t p1) {
  for (int l = 0; l < n_layer_; ++l)
    for (int h = 0; h < n_head_kv_; ++h)
      for (int64_t p = p0; p < p1; ++p) {
        const int32_t s = row_slot_[size_t(row_index(l, h, p))];
        if (s >= 0) free_slot(s);
      }
}

void KvResidency::shrink_slots(int64_t n) {
  const int64_t old = int64_t(slots_.size());
  if (n >= old) return;
  for (int64_t s = n; s < old; ++s)
    if (slots_[size_t(s)].row >= 0) {
      row_slot_[size_t(slots_[size_t(s)].row)] = -1;
      ++stats_.evictions;
    }
  free_.erase(std::remove_if(free_.begin(), free_.end(), [n](int64_t s) { return s >= n; }), free_.end());
  slots_.resize(size_t(n));
  hand_ = std::min(hand_, size_t(n));
  resident_ -= uint64_t(old - n) * slot_cost();
  // the whole pages past the last slot kept go back to the system
  const size_t ps = page_size(), from = (size_t(n) * row_bytes_ + ps - 1) / ps * ps, to = size_t(old) * row_bytes_;
  if (to > from) madvise(arena_ + from, (to - from + ps - 1) / ps * ps, MADV_DONTNEED);
}

[[noreturn]] void KvResidency::block_damaged(int layer, int head, int64_t b) {
  damaged_at_ = damaged_at_ < 0 ? b * kBlock : std::min(damaged_at_, b * kBlock);
  throw Error("STORE_CORRUPT", "KV store block (layer " + std::to_string(layer) + ", head " + std::to_string(head) +
                                   ", block " + std::to_string(b) + ") is missing or damaged; reopen the document "
                                   "to rebuild its cache");
}

void KvResidency::fill_from_store(int layer, int head, const std::vector<Fill>& fills) {
  const size_t half = size_t(head_dim_) * sizeof(uint16_t);
  const int64_t row0 = row_index(layer, head, 0);
  for (size_t i = 0; i < fills.size();) {
    const int64_t b = (fills[i].row - row0) / kBlock;
    size_t j = i;
    while (j < fills.size() && (fills[j].row - row0) / kBlock == b) ++j;
    for (size_t t = i; t < j; ++t) {  // spilled bytes that failed their check: the spill's copy goes
      Unit& x = units_[unit_index(layer, head, fills[t].unit)];
      if (x.spilled && spill_) spill_->forget(unit_index(layer, head, fills[t].unit));
      x.spilled = false;
    }
    bool fits = true;
    ++stats_.store_reads;
    const bool ok = store_.read_block(layer, head, b, [&](const uint8_t* k, const uint8_t* v, int64_t rows) {
      for (size_t t = i; t < j; ++t) {
        const int64_t in_block = fills[t].row - row0 - b * kBlock;
        if (in_block >= rows) {
          fits = false;
          return;
        }
        uint8_t* dst = slot_data(fills[t].slot);
        std::memcpy(dst, k + size_t(in_block) * half, half);
        std::memcpy(dst + half, v + size_t(in_block) * half, half);
      }
      // the block's units out of place go to the spill while it is at hand
      spill_block(layer, head, b, k, v, rows);
    });
    if (!ok || !fits) block_damaged(layer, head, b);
    i = j;
  }
}

bool KvResidency::wants_spill(int layer, int head, int64_t u) const {
  const Unit& x = units_[unit_index(layer, head, u)];
  return !x.in_place && !x.spilled && evictable(u) && !window_only(layer);
}

void KvResidency::spill_block(int layer, int head, int64_t b, const uint8_t* k, const uint8_t* v, int64_t rows) {
  if (!spill_) return;
  const size_t half = size_t(head_dim_) * sizeof(uint16_t);
  thread_local std::vector<uint8_t> unit_rows;
  const int64_t u0 = b * kBlock / unit_rows_;
  int64_t n_units = 0;
  while ((u0 + n_units + 1) * unit_rows_ - b * kBlock <= rows) ++n_units;
  unit_rows.resize(size_t(n_units * unit_bytes()));
  // each run of consecutive units (consecutive slots) in one write
  for (int64_t a = u0; a < u0 + n_units;) {
    if (!wants_spill(layer, head, a)) {
      ++a;
      continue;
    }
    int64_t e = a;
    for (; e < u0 + n_units && wants_spill(layer, head, e); ++e) {
      uint8_t* dst = unit_rows.data() + size_t(e - a) * unit_bytes();
      const size_t at = size_t(e * unit_rows_ - b * kBlock) * half;
      for (int64_t r = 0; r < unit_rows_; ++r) {
        std::memcpy(dst + size_t(r) * row_bytes_, k + at + size_t(r) * half, half);
        std::memcpy(dst + size_t(r) * row_bytes_ + half, v + at + size_t(r) * half, half);
      }
    }
    const bool written = spill_->write(unit_index(layer, head, a), size_t(e - a), unit_rows.data());
    for (int64_t u = a; u < e; ++u) units_[unit_index(layer, head, u)].spilled = written;
    a = e;
  }
}

int64_t KvResidency::spill_unread() {
  if (!spill_) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t units_per_block = kBlock / unit_rows_;
  int64_t read = 0;
  for (int l = 0; l < n_layer_; ++l)
    for (int h = 0; h < n_head_kv_; ++h)
      for (int64_t b = 0; b * kBlock < n_past_; ++b) {
        bool any = false;
        for (int64_t u = b * units_per_block; u < (b + 1) * units_per_block && u * unit_rows_ < n_past_; ++u)
          any = any || wants_spill(l, h, u);
        if (!any) continue;
        // (a block missing or damaged is left: the step that needs it reports it)
        if (store_.read_block(l, h, b, [&](const uint8_t* k, const uint8_t* v, int64_t rows) {
              spill_block(l, h, b, k, v, rows);
            }))
          ++read;
      }
  stats_.store_reads += read;
  return read;
}

// Three phases, so that the two threads' misses overlap: under the lock, the
// rows are looked up, the units and slots they use are marked with the epoch
// (no eviction takes them before the next), and missing rows get slots; then,
// without the lock, those rows are read from the spill (only this call writes
// these slots); last, under the lock again, the few the spill lacks are read
// from their store blocks. The copy out needs no lock either.
void KvResidency::gather_rows(int layer, int head, const int32_t* rows, int64_t n, uint16_t* k_out,
                              uint16_t* v_out) {
  thread_local std::vector<const uint8_t*> src_k, src_v;
  thread_local std::vector<Fill> fills, from_store;
  src_k.resize(size_t(n));
  src_v.resize(size_t(n));
  fills.clear();
  from_store.clear();
  const size_t half = size_t(head_dim_) * sizeof(uint16_t);
  {
    std::lock_guard<std::mutex> lock(mu_);
    const uint32_t now = uint32_t(epoch_);
    const uint8_t* k_base = reinterpret_cast<const uint8_t*>(kv_.k(layer, head));
    const uint8_t* v_base = reinterpret_cast<const uint8_t*>(kv_.v(layer, head));
    try {
    for (int64_t j = 0; j < n; ++j) {
      const int64_t pos = rows[j], u = pos / unit_rows_;
      Unit& x = units_[unit_index(layer, head, u)];
      if (x.last_epoch != epoch_) {
        ++x.uses;
        x.last_epoch = epoch_;
      }
      if (x.in_place) {
        src_k[size_t(j)] = k_base + size_t(pos) * half;
        src_v[size_t(j)] = v_base + size_t(pos) * half;
        ++stats_.hits;
        continue;
      }
      const int64_t r = row_index(layer, head, pos);
      int64_t s = row_slot_[size_t(r)];
      if (s >= 0) {
        Slot& y = slots_[size_t(s)];
        y.count = policy_ == EvictionPolicy::kLfu ? uint8_t(std::min<int>(y.count + 1, kMaxCount)) : 1;
        y.epoch = now;
        ++stats_.hits;
      } else {
        s = acquire_slot();
        slots_[size_t(s)] = Slot{r, now, 1};
        row_slot_[size_t(r)] = int32_t(s);
        fills.push_back(Fill{u, r, s, x.spilled});
        ++stats_.misses;
      }
      src_k[size_t(j)] = slot_data(s);
      src_v[size_t(j)] = slot_data(s) + half;
    }
    } catch (...) {
      for (const Fill& f : fills) free_slot(f.slot);  // slots given to rows not read
      throw;
    }
  }
  const int64_t row0 = row_index(layer, head, 0);
  for (const Fill& f : fills) {
    const size_t r = size_t((f.row - row0) % unit_rows_);
    if (f.spilled && spill_ && spill_->read_row(unit_index(layer, head, f.unit), r, slot_data(f.slot))) ++spill_reads_;
    else from_store.push_back(f);
  }
  if (!from_store.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    std::sort(from_store.begin(), from_store.end(), [](const Fill& a, const Fill& b) { return a.row < b.row; });
    try {
      fill_from_store(layer, head, from_store);
    } catch (...) {
      for (const Fill& f : from_store) free_slot(f.slot);  // what was not read is not cached
      throw;
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    std::memcpy(k_out + size_t(j) * size_t(head_dim_), src_k[size_t(j)], half);
    std::memcpy(v_out + size_t(j) * size_t(head_dim_), src_v[size_t(j)], half);
  }
}

void KvResidency::load_in_place(int layer, int head, int64_t u, int64_t rows_needed) {
  const size_t half = size_t(head_dim_) * sizeof(uint16_t);
  uint8_t* k = reinterpret_cast<uint8_t*>(kv_.k(layer, head) + size_t(u * unit_rows_) * size_t(head_dim_));
  uint8_t* v = reinterpret_cast<uint8_t*>(kv_.v(layer, head) + size_t(u * unit_rows_) * size_t(head_dim_));
  Unit& x = units_[unit_index(layer, head, u)];
  bool whole = true;
  thread_local std::vector<uint8_t> row;
  row.resize(row_bytes_);
  for (int64_t r = 0; r < rows_needed && whole; ++r) {
    const int32_t s = row_slot_[size_t(row_index(layer, head, u * unit_rows_ + r))];
    const uint8_t* src = row.data();
    if (s >= 0) src = slot_data(s);
    else whole = x.spilled && spill_ && spill_->read_row(unit_index(layer, head, u), size_t(r), row.data());
    if (!whole) break;
    std::memcpy(k + size_t(r) * half, src, half);
    std::memcpy(v + size_t(r) * half, src + half, half);
  }
  if (!whole) {
    const int64_t b = u * unit_rows_ / kBlock, in_block = u * unit_rows_ - b * kBlock;
    bool fits = true;
    ++stats_.store_reads;
    const bool ok = store_.read_block(layer, head, b, [&](const uint8_t* bk, const uint8_t* bv, int64_t rows) {
      if (in_block + rows_needed > rows) {
        fits = false;
        return;
      }
      std::memcpy(k, bk + size_t(in_block) * half, size_t(rows_needed) * half);
      std::memcpy(v, bv + size_t(in_block) * half, size_t(rows_needed) * half);
    });
    if (!ok || !fits) block_damaged(layer, head, b);
  }
  for (int64_t r = 0; r < unit_rows_; ++r) {  // in place now: not cached as well
    const int32_t s = row_slot_[size_t(row_index(layer, head, u * unit_rows_ + r))];
    if (s >= 0) free_slot(s);
  }
}

void KvResidency::release(int layer, int head, int64_t pos) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t u = pos / unit_rows_;
  kv_.release_rows(layer, head, u * unit_rows_, unit_rows_);
  Unit& x = units_[unit_index(layer, head, u)];
  x.in_place = false;
}

void KvResidency::load_all(int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int l = 0; l < n_layer_; ++l)
    for (int h = 0; h < n_head_kv_; ++h)
      for (int64_t u = 0; u * unit_rows_ < limit; ++u) {
        Unit& x = units_[unit_index(l, h, u)];
        if (x.in_place) continue;
        // a window-only layer's unit whose block the store dropped (a sealed prefix): no window reads it
        if (window_only(l) && store_.dropped(l, u * unit_rows_ / kBlock)) continue;
        // the unit holding limit: its rows below it (the store was cut there; the rest are
        // past the context, written again as it grows). Left out, those rows read as zeros and
        // the next flush committed them over the cut block under a valid checksum.
        load_in_place(l, h, u, std::min(unit_rows_, limit - u * unit_rows_));
        x.in_place = true;
      }
  shrink_slots(0);
}

ResidencyStats KvResidency::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  ResidencyStats s = stats_;
  s.resident_bytes = resident_;
  s.fixed_bytes = fixed_ + tables_;
  s.budget_bytes = budget_;
  s.spill_reads = spill_reads_.load();
  if (spill_) {
    s.spill_writes = spill_->writes();
    s.spill_bytes = spill_->bytes();
  }
  return s;
}

}  // namespace tome
