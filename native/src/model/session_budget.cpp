// Session under a RAM budget (the host tier, model/kv_residency.h): when the
// budget is in force, what it holds, and when the graph indexes page out.
#include <algorithm>
#include <filesystem>
#include <utility>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "model/session.h"

namespace tome {

namespace {

// Under a RAM budget (apply_budget): graph indexes page out once resident they
// would take more than kPageIndexesAbove of the budget (paged, a step reads
// records back: at 32K tokens, smol shape, 160 tokens, a 70% budget decoded at
// 118 ms/token paged against 45-52 resident), and their record caches then
// take kIndexCacheShare of what the fixed parts leave (the K/V rows the rest;
// at 25%: shares 0.5 / 0.8 / 0.9 gave 141 / 117 / 113 ms/token).
constexpr double kPageIndexesAbove = 0.97;
constexpr double kIndexCacheShare = 0.9;

// Returns the heap's free memory to the system (glibc keeps what free()
// released, so the process's resident size would not fall when indexes page out).
void release_freed_memory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace

// The RAM budget is in force while attention is sparse and a store holds the
// blocks; otherwise every block is brought back (full attention reads them all).
void Session::apply_budget() {
  const bool wanted = (opts_.ram_budget_bytes > 0 || opts_.ram_budget_frac > 0) && store_ && sparse_active();
  if (!wanted) {
    if (residency_) {
      residency_->load_all(std::min(n_past_, store_committed_));
      if (sparse_) {
        sparse_->page_in_indexes();
        sparse_->set_row_guard(nullptr);
      }
      residency_.reset();
      index_spill_.reset();
    }
    return;
  }
  const HParams& hp = model_.hparams();
  if (!residency_) {
    residency_ = make_residency();
    sparse_->set_row_guard(residency_.get());
  }
  const int64_t sinks = opts_.retrieval.sinks;
  const int64_t window_start = next_window_start(n_past_);
  const uint64_t resident_indexes = sparse_->index_resident_bytes();
  const uint64_t budget = budget_bytes(*residency_, n_past_, resident_indexes);
  const uint64_t kv_least = kv_least_bytes(*residency_, n_past_, store_committed_, model_.hparams().n_layer);
  // Graph indexes that, resident, would leave the K/V rows less than that
  // within kPageIndexesAbove of the budget page their keys and adjacency out
  // (a file beside the store, records cached by use; retrieval/node_pager.h),
  // all at once: a search reads a few percent of its index's records, so the
  // budget does better holding those and the K/V rows the steps read. Indexes
  // under exact_below keys (scanned whole each step) stay. Paged indexes (a
  // lazy reopen and a layer-major prefill page each out as they make it) come
  // back in once the budget holds them resident.
  const bool over = double(resident_indexes + residency_->table_bytes() + kv_least) >
                    kPageIndexesAbove * double(budget);
  if (over) {
    for (int l = 0; l < hp.n_layer; ++l)
      for (int g = 0; g < hp.n_head_kv; ++g) page_out_index(l, g, false);
  } else if (sparse_->any_paged()) {
    sparse_->page_in_indexes();
    index_spill_.reset();
    code_spill_.reset();
  }
  uint64_t fixed = sparse_->index_bytes();
  if (sparse_->any_paged()) {
    // Tighter still: where the paged indexes' floor with their navigation
    // codes in RAM (a sixth of a resident index at head dim 64, most of the
    // floor) would not leave the K/V rows room for one layer's rows, the codes
    // page out too (a lazy reopen and a layer-major prefill page them with
    // the index then; they come back in once the budget holds them). Only
    // then: codes read back cost more than records do (tome bench store
    // --quick, 4K, 35%: codes paged 175-197 ms/token, in RAM beside a record
    // cache of a few records per search 76-89).
    const uint64_t floor_with_codes = sparse_->index_floor_bytes(true) + index_spill_->table_bytes();
    if (!codes_fit(*residency_, floor_with_codes, n_past_, store_committed_, budget)) {
      for (int l = 0; l < hp.n_layer; ++l)
        for (int g = 0; g < hp.n_head_kv; ++g) page_out_index(l, g, true);
    } else if (sparse_->any_codes_paged()) {
      sparse_->page_in_codes();
      code_spill_.reset();
    }
    // the paged indexes' record (and code) caches take kIndexCacheShare of
    // what the fixed parts leave, short of what the K/V rows need at least
    fixed = sparse_->index_floor_bytes() + index_spill_->table_bytes() + (code_spill_ ? code_spill_->table_bytes() : 0);
    const uint64_t taken = fixed + residency_->table_bytes();
    const uint64_t room = budget > taken ? budget - taken : 0;
    const uint64_t cache = std::min(uint64_t(kIndexCacheShare * double(room)), room > kv_least ? room - kv_least : 0);
    sparse_->set_index_cache(cache);
    fixed += cache;
  }
  // what the last step (or paging) freed goes back to the system: glibc keeps
  // freed heap memory, which the budget does not see (measured at 32K tokens,
  // 25% budget: 187 MB of it after 160 tokens)
  release_freed_memory();
  residency_->update(n_past_, sinks, window_start, store_committed_, fixed, budget);
}

std::unique_ptr<KvResidency> Session::make_residency() {
  const HParams& hp = model_.hparams();
  std::vector<int64_t> window_rows;  // gemma3's local layers read their window only
  if (hp.has_swa()) {
    window_rows.assign(size_t(hp.n_layer), 0);
    for (int l = 0; l < hp.n_layer; ++l)
      if (hp.is_swa(l)) window_rows[size_t(l)] = hp.n_swa;
  }
  return std::make_unique<KvResidency>(kv_, *store_, hp.n_layer, hp.n_head_kv, opts_.eviction, true,
                                       std::move(window_rows));
}

int64_t Session::next_window_start(int64_t n_past) const {
  // the static set of the next step (position n_past): [0, sinks) and [n_past + 1 - window, n_past];
  // the window is at least a sliding-window layer's, whose rows that step reads in place
  const HParams& hp = model_.hparams();
  const int64_t window = std::max<int64_t>(opts_.retrieval.window, hp.has_swa() ? hp.n_swa : 0);
  return std::max<int64_t>(opts_.retrieval.sinks, n_past + 1 - window);
}

uint64_t Session::budget_bytes(const KvResidency& r, int64_t n_past, uint64_t resident_indexes) const {
  // a fraction is of the host tier with every index resident
  return opts_.ram_budget_bytes > 0 ? opts_.ram_budget_bytes
                                    : uint64_t(opts_.ram_budget_frac * double(r.unlimited_bytes(n_past, resident_indexes)));
}

uint64_t Session::kv_least_bytes(const KvResidency& r, int64_t n_past, int64_t committed, int layers) const {
  // the units that stay in place (the static set's, and those of blocks not
  // yet whole in the store) and room for twice the rows `layers` layers
  // retrieve (up to top_k per query head)
  const HParams& hp = model_.hparams();
  return r.least_bytes(n_past, opts_.retrieval.sinks, next_window_start(n_past), committed,
                       int64_t(layers) * hp.n_head * opts_.retrieval.top_k);
}

bool Session::codes_fit(const KvResidency& r, uint64_t floor_with_codes, int64_t n_past, int64_t committed,
                        uint64_t budget) const {
  // beside them, at the least the units that stay in place now and room for
  // the rows of one layer's step (what a step holds at once: each layer
  // begins an epoch); as the context grows, a later step may page them
  const HParams& hp = model_.hparams();
  const uint64_t rows = r.least_bytes(n_past, opts_.retrieval.sinks, next_window_start(n_past), committed,
                                      int64_t(hp.n_head) * opts_.retrieval.top_k, false);
  return floor_with_codes + r.table_bytes() + rows <= budget;
}

bool Session::page_out_index(int layer, int kv_head, bool codes) {
  if (!sparse_ || sparse_->index_record_bytes() == 0) return false;
  // (called for every index on every step while the budget pages them: the
  // files are made once, beside the store, each index's n_ctx records)
  auto make = [&](size_t record_bytes) {
    const HParams& hp = model_.hparams();
    return IndexSpill::create(std::filesystem::path(store_->path()).parent_path().string(), record_bytes,
                              size_t(hp.n_layer) * size_t(hp.n_head_kv) * size_t(kv_.n_ctx()));
  };
  if (!index_spill_) index_spill_ = make(sparse_->index_record_bytes());
  if (!index_spill_ || !sparse_->page_index(layer, kv_head, index_spill_, kv_.n_ctx(), opts_.retrieval.exact_below))
    return false;
  if (!codes) return true;
  if (!code_spill_) code_spill_ = make(sparse_->code_record_bytes());
  return code_spill_ && sparse_->page_codes(layer, kv_head, code_spill_, kv_.n_ctx());
}

ResidencyStats Session::residency() const {
  if (!residency_) return ResidencyStats{};
  ResidencyStats s = residency_->stats();
  if (sparse_ && sparse_->any_paged()) {
    const RecordCacheStats p = sparse_->index_pager_stats();
    s.indexes_paged = true;
    s.index_cache_bytes = sparse_->index_bytes() > sparse_->index_floor_bytes()
                              ? sparse_->index_bytes() - sparse_->index_floor_bytes() : 0;
    s.index_hits = p.hits;
    s.index_reads = p.reads;
    s.index_writebacks = p.writebacks;
    s.index_evictions = p.evictions;
    s.index_spill_bytes = (index_spill_ ? index_spill_->disk_bytes() : 0) + (code_spill_ ? code_spill_->disk_bytes() : 0);
    if (sparse_->any_codes_paged()) {
      const RecordCacheStats c = sparse_->code_pager_stats();
      s.codes_paged = true;
      s.code_hits = c.hits;
      s.code_reads = c.reads;
    }
  }
  return s;
}

}  // namespace tome
