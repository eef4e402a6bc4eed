// RoarGraphIndex::insert_with_query: a key that joins the index while decoding
// (it left the static window). Neighbours: the top lists of the anchor queries
// the key comes closest to entering (graph_anchors.h), the keys found by
// searching with the key itself (link metric) and, when given, with the query
// of the same token (inner product; its top keys are what that token attended
// to), pruned to M around the key. Reverse edges v->u go in where v has room, else v's list
// is re-pruned with u among the candidates; if u ends with no in-edge at all,
// its nearest neighbour's last edge is overwritten, so u is always reachable.
#include <algorithm>

#include "common/error.h"
#include "retrieval/graph_prune.h"
#include "retrieval/growth.h"
#include "retrieval/graph_search.h"
#include "retrieval/roar_graph.h"

namespace tome {

int64_t connect_unreached(RoarGraphIndex& g, ThreadPool* pool);  // graph_connect.cpp

int32_t RoarGraphIndex::insert_with_query(const float* key, const float* query) {
  if (size() >= INT32_MAX) throw Error("BAD_ARGUMENT", "RoarGraphIndex: too many keys");
  const int d = dim();
  const int32_t u = int32_t(keys_.append(key, 1, size_t(d)));
  nav_.extend(keys_);
  reserve_for(adj_, size_t(u + 1) * size_t(R_));
  adj_.resize(size_t(u + 1) * size_t(R_), -1);
  reserve_for(deg_, size_t(u) + 1);
  deg_.push_back(0);
  if (entries_.empty()) {  // the first key
    entries_.push_back(u);
    return u;
  }
  std::vector<float> ku_row(static_cast<size_t>(d));  // u as stored (f16), widened
  keys_.row_f32(u, ku_row.data());
  const float* ku = ku_row.data();

  // Candidates: searches never meet u (no in-edges yet, not an entry).
  std::vector<int32_t> ids, more;
  int64_t scanned = 0;
  // By inner product (the default link metric) the searches navigate by the
  // int8 codes, 4 expansions per round, as decode-time searches do: only
  // their ids are used, sorted by exact distance below. Measured (bench_index
  // --n 131072 --d 64 --inserts 5000): 82 -> 63 us per insert (the search part
  // 114K -> 60K cycles), recall@100 after the inserts unchanged (0.918).
  constexpr int kInsertWidth = 4;
  const GraphView gv = view();
  if (link_metric_ == LinkMetric::kL2) {
    std::vector<Scored> found;
    beam_search(gv, ku, SearchMetric::kL2, ef_link_, found, &scanned);
    for (const Scored& s : found) ids.push_back(s.id);
  } else {
    beam_search_nav(gv, &nav_, ku, ef_link_, kInsertWidth, ids, &scanned);
  }
  if (query) {
    beam_search_nav(gv, &nav_, query, ef_link_, kInsertWidth, more, &scanned);
    ids.insert(ids.end(), more.begin(), more.end());
  }
  anchors_.link_and_update(ku, u, anchor_links_, ids);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<DistId> sorted;
  sort_by_distance(keys_.data(), d, ku, ids.data(), int64_t(ids.size()), sorted);
  int32_t* ru = adj_.data() + size_t(u) * size_t(R_);
  deg_[size_t(u)] = uint16_t(prune_occlusion(keys_.data(), d, sorted.data(), int64_t(sorted.size()), M_, alpha_, ru));

  // Reverse edges.
  bool has_in = false;
  std::vector<int32_t> pool;
  std::vector<DistId> psorted;
  std::vector<float> kv_row(static_cast<size_t>(d));  // v as stored, widened
  for (int i = 0; i < deg_[size_t(u)]; ++i) {
    const int32_t v = ru[i];
    int32_t* rv = adj_.data() + size_t(v) * size_t(R_);
    int dv = deg_[size_t(v)];
    if (dv < R_) {
      rv[dv] = u;
      deg_[size_t(v)] = uint16_t(dv + 1);
      has_in = true;
      continue;
    }
    pool.assign(rv, rv + dv);
    pool.push_back(u);
    keys_.row_f32(v, kv_row.data());
    sort_by_distance(keys_.data(), d, kv_row.data(), pool.data(), int64_t(pool.size()), psorted);
    dv = prune_occlusion(keys_.data(), d, psorted.data(), int64_t(psorted.size()), R_, alpha_, rv);
    deg_[size_t(v)] = uint16_t(dv);
    if (std::find(rv, rv + dv, u) != rv + dv) has_in = true;
  }
  if (!has_in) {
    // Nearest candidate (or the first entry when the search found nothing).
    const int32_t v = !sorted.empty() ? sorted[0].id : entries_[0];
    int32_t* rv = adj_.data() + size_t(v) * size_t(R_);
    if (deg_[size_t(v)] < R_) rv[deg_[size_t(v)]++] = u;
    else rv[R_ - 1] = u;
  }
  // re-pruned lists can strand an earlier key (u itself always has an in-edge)
  if (reconnect_every_ > 0 && size() % reconnect_every_ == reconnect_phase_) {
    reconnect_edges_ += connect_unreached(*this, nullptr);
    ++reconnects_;
  }
  return u;
}

int64_t RoarGraphIndex::reconnect(ThreadPool* pool) { return connect_unreached(*this, pool); }

}  // namespace tome
