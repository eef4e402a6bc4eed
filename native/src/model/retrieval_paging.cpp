// RetrievalAttention's graph indexes under a RAM budget: paged out to a record
// file and back, their record caches sized, their bytes counted
// (retrieval_attention.h; the graph side: roar_graph_paging.cpp).
#include "model/retrieval_attention.h"
#include "retrieval/roar_graph.h"

namespace tome {

namespace {
RoarGraphIndex* as_graph(const std::unique_ptr<KeyIndex>& idx) { return dynamic_cast<RoarGraphIndex*>(idx.get()); }

// Where codes are paged too, their caches take this share of the cache bytes
// (the records the rest). A search scores ~13 new codes (64 bytes at head dim
// 64) per record it expands (320 bytes) and reranks ef records: about a third
// of the bytes it reads are codes.
constexpr double kCodeCacheShare = 1.0 / 3.0;

void add(RecordCacheStats& t, const RecordCacheStats& s) {
  t.hits += s.hits;
  t.reads += s.reads;
  t.writebacks += s.writebacks;
  t.evictions += s.evictions;
}

void size_caches(const std::vector<RecordCache*>& caches, uint64_t bytes) {
  if (caches.empty()) return;
  const uint64_t each = bytes / caches.size();
  for (RecordCache* c : caches) {
    const uint64_t per_record = c->ram_bytes_at(1) - c->ram_bytes_at(0);
    c->set_max_slots(int64_t(each / per_record));  // (at least one)
  }
}
}  // namespace

bool RetrievalAttention::page_index(int layer, int kv_head, const std::shared_ptr<RecordFile>& file,
                                    int64_t capacity, int64_t min_keys) {
  const size_t pair = size_t(layer) * size_t(hp_.n_head_kv) + size_t(kv_head);
  RoarGraphIndex* g = as_graph(index_[pair]);
  if (!g || g->paged() || g->size() < std::max<int64_t>(min_keys, 1)) return true;
  return g->page_out(file, pair * size_t(capacity), capacity);
}

bool RetrievalAttention::page_codes(int layer, int kv_head, const std::shared_ptr<RecordFile>& file,
                                    int64_t capacity) {
  const size_t pair = size_t(layer) * size_t(hp_.n_head_kv) + size_t(kv_head);
  RoarGraphIndex* g = as_graph(index_[pair]);
  if (!g || !g->paged() || g->codes_paged()) return true;
  return g->page_out_codes(file, pair * size_t(capacity), capacity);
}

void RetrievalAttention::page_in_indexes() {
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx)) g->page_in();
}

void RetrievalAttention::page_in_codes() {
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx)) g->page_in_codes();
}

bool RetrievalAttention::any_paged() const {
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx); g && g->paged()) return true;
  return false;
}

bool RetrievalAttention::any_codes_paged() const {
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx); g && g->codes_paged()) return true;
  return false;
}

void RetrievalAttention::set_index_cache(uint64_t cache_bytes) {
  std::vector<RecordCache*> records, codes;
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx); g && g->paged()) {
      records.push_back(&g->pager()->cache());
      if (g->codes_paged()) codes.push_back(g->code_pager());
    }
  const uint64_t code_bytes = codes.empty() ? 0 : uint64_t(kCodeCacheShare * double(cache_bytes));
  size_caches(codes, code_bytes);
  size_caches(records, cache_bytes - code_bytes);
}

size_t RetrievalAttention::index_resident_bytes() const {
  size_t b = 0;
  for (const auto& idx : index_) {
    if (!idx) continue;
    const RoarGraphIndex* g = as_graph(idx);
    b += g ? g->resident_bytes() : idx->bytes();
  }
  return b;
}

size_t RetrievalAttention::index_floor_bytes(bool codes_in_ram) const {
  size_t b = 0;
  for (const auto& idx : index_) {
    if (!idx) continue;
    const RoarGraphIndex* g = as_graph(idx);
    b += idx->bytes();
    if (g && g->paged()) b = b - g->pager()->cache().ram_bytes() + g->pager()->cache().ram_bytes_at(1);
    if (g && g->codes_paged())
      b = b - g->code_pager()->ram_bytes() +
          (codes_in_ram ? g->nav_codes().resident_bytes() - 3 * size_t(g->dim()) * sizeof(float)
                        : g->code_pager()->ram_bytes_at(1));
  }
  return b;
}

size_t RetrievalAttention::index_record_bytes() const {
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx)) return NodePager::record_bytes_for(g->dim(), g->max_degree());
  return 0;
}

size_t RetrievalAttention::code_record_bytes() const {
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx)) return g->code_record_bytes();
  return 0;
}

RecordCacheStats RetrievalAttention::index_pager_stats() const {
  RecordCacheStats t;
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx); g && g->paged()) add(t, g->pager()->cache().stats());
  return t;
}

RecordCacheStats RetrievalAttention::code_pager_stats() const {
  RecordCacheStats t;
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx); g && g->codes_paged()) add(t, g->code_pager()->stats());
  return t;
}

}  // namespace tome
