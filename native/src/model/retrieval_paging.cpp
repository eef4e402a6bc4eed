// RetrievalAttention's graph indexes under a RAM budget: paged out to a record
// file and back, their record caches sized, their bytes counted
// (retrieval_attention.h; the graph side: roar_graph_paging.cpp).
#include "model/retrieval_attention.h"
#include "retrieval/roar_graph.h"

namespace tome {

namespace {
RoarGraphIndex* as_graph(const std::unique_ptr<KeyIndex>& idx) { return dynamic_cast<RoarGraphIndex*>(idx.get()); }
}  // namespace

bool RetrievalAttention::page_index(int layer, int kv_head, const std::shared_ptr<RecordFile>& file,
                                    int64_t capacity, int64_t min_keys) {
  const size_t pair = size_t(layer) * size_t(hp_.n_head_kv) + size_t(kv_head);
  RoarGraphIndex* g = as_graph(index_[pair]);
  if (!g || g->paged() || g->size() < std::max<int64_t>(min_keys, 1)) return true;
  return g->page_out(file, pair * size_t(capacity), capacity);
}

void RetrievalAttention::page_in_indexes() {
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx)) g->page_in();
}

bool RetrievalAttention::any_paged() const {
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx); g && g->paged()) return true;
  return false;
}

void RetrievalAttention::set_index_cache(uint64_t cache_bytes) {
  std::vector<NodePager*> pagers;
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx); g && g->paged()) pagers.push_back(g->pager());
  if (pagers.empty()) return;
  const uint64_t each = cache_bytes / pagers.size();
  for (NodePager* p : pagers) {
    const uint64_t per_record = p->ram_bytes_at(1) - p->ram_bytes_at(0);
    p->set_max_slots(int64_t(each / per_record));  // (at least one)
  }
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

size_t RetrievalAttention::index_floor_bytes() const {
  size_t b = 0;
  for (const auto& idx : index_) {
    if (!idx) continue;
    const RoarGraphIndex* g = as_graph(idx);
    b += idx->bytes();
    if (g && g->paged()) b = b - g->pager()->ram_bytes() + g->pager()->ram_bytes_at(1);
  }
  return b;
}

size_t RetrievalAttention::index_record_bytes() const {
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx)) return NodePager::record_bytes_for(g->dim(), g->max_degree());
  return 0;
}

NodePagerStats RetrievalAttention::index_pager_stats() const {
  NodePagerStats t;
  for (const auto& idx : index_)
    if (RoarGraphIndex* g = as_graph(idx); g && g->paged()) {
      const NodePagerStats s = g->pager()->stats();
      t.hits += s.hits;
      t.reads += s.reads;
      t.writebacks += s.writebacks;
      t.evictions += s.evictions;
    }
  return t;
}

}  // namespace tome
