// RoarGraphIndex::insert_with_query: a key that joins the index while decoding
// (it left the static window). Neighbours: the top lists of the anchor queries
// the key comes closest to entering (graph_anchors.h), the keys found by
// searching with the key itself (link metric) and, when given, with the query
// of the same token (inner product; its top keys are what that token attended
// to), pruned to M around the key. Reverse edges v->u go in where v has room, else v's list
// is re-pruned with u among the candidates; if u ends with no in-edge at all,
// its nearest neighbour's last edge is overwritten, so u is always reachable.
#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "retrieval/graph_prune.h"
#include "retrieval/growth.h"
#include "retrieval/graph_search.h"
#include "retrieval/roar_graph.h"

namespace tome {

int64_t connect_unreached(RoarGraphIndex& g, ThreadPool* pool);  // graph_connect.cpp

int32_t RoarGraphIndex::insert_with_query(const float* key, const float* query) {
  check_whole();
  if (!pager_) return insert_now(key, query);
  // (resident, nothing in an insert can fail part way but allocation)
  try {
    return insert_now(key, query);
  } catch (const Error& e) {
    broken_code_ = e.code();
    broken_message_ =
        std::string(e.what()) + " (the retrieval index was left incomplete by an insert; reopen the document)";
    throw;
  }
}

void RoarGraphIndex::check_whole() const {
  if (!broken_code_.empty()) throw Error(broken_code_, broken_message_);
}

int32_t RoarGraphIndex::insert_now(const float* key, const float* query) {
  if (size() >= INT32_MAX) throw Error("BAD_ARGUMENT", "RoarGraphIndex: too many keys");
  const int d = dim();
  // u's key as stored (f16, KeyMatrix's rounding), widened
  KeyMatrix stored(d);
  stored.append(key, 1, size_t(d));
  std::vector<float> ku_row(static_cast<size_t>(d));
  stored.row_f32(0, ku_row.data());
  const float* ku = ku_row.data();
  std::vector<int32_t> ru(size_t(R_), -1);  // u's adjacency row
  int32_t u;
  if (pager_) {
    // u's record is appended once its row is known (searches never meet u
    // before: it has no in-edges and is no entry)
    u = int32_t(size());
    nav_.append(stored, [&] {
      KeyMatrix all(d);
      all.storage().resize(size_t(u + 1) * size_t(d));
      pager_->scan_keys(0, u, all.storage().data());
      std::memcpy(all.storage().data() + size_t(u) * size_t(d), stored.row(0), size_t(d) * sizeof(uint16_t));
      return all;
    });
  } else {
    u = int32_t(keys_.append_f16(stored.row(0), 1, size_t(d)));
    nav_.extend(keys_);
    adj_.grow(int64_t(u) + 1);
  }
  reserve_for(deg_, size_t(u) + 1);
  deg_.push_back(0);
  if (entries_.empty()) {  // the first key
    entries_.push_back(u);
    if (pager_) pager_->append(stored.row(0), ru.data());
    return u;
  }

  // Candidates: searches never meet u (no in-edges yet, not an entry).
  std::vector<int32_t> ids, more;
  int64_t scanned = 0;
  // By inner product (the default link metric) the searches navigate by the
  // int8 codes, 4 expansions per round, as decode-time searches do: only
  // their ids are used, sorted by exact distance below. Measured (bench_index
  // --n 131072 --d 64 --inserts 5000): 82 -> 63 us per insert (the search part
  // 114K -> 60K cycles), recall@100 after the inserts unchanged (0.918).
  // (The codes hold one row more than the view below, u's; a check that
  // wanted them equal sent these searches back to the keys, unnoticed until
  // a paged index's inserts read ~800 records each. --n 32768 --inserts
  // 16384, seeds 1-3, keys -> codes: 34.5 -> 32.7 us per insert, recall@100
  // at ef 300 0.942 -> 0.944.)
  constexpr int kInsertWidth = 4;
  GraphView gv = view();
  gv.n = u;  // (a resident graph holds u's key and empty row already; no search reaches them)
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
  deg_[size_t(u)] = uint16_t(link_pruned(ku, ids, M_, ru.data(), sorted));
  if (pager_) pager_->append(stored.row(0), ru.data());
  else write_row(u, ru.data());

  // Reverse edges.
  bool has_in = false;
  std::vector<int32_t> pool, rv(static_cast<size_t>(R_));
  std::vector<DistId> psorted;
  std::vector<float> kv_row(static_cast<size_t>(d));  // v as stored, widened
  for (int i = 0; i < deg_[size_t(u)]; ++i) {
    const int32_t v = ru[size_t(i)];
    read_row(v, rv.data());
    int dv = deg_[size_t(v)];
    if (dv < R_) {
      rv[size_t(dv)] = u;
      deg_[size_t(v)] = uint16_t(dv + 1);
      write_row(v, rv.data());
      has_in = true;
      continue;
    }
    pool.assign(rv.begin(), rv.begin() + dv);
    pool.push_back(u);
    key_f32(v, kv_row.data());
    dv = link_pruned(kv_row.data(), pool, R_, rv.data(), psorted);
    deg_[size_t(v)] = uint16_t(dv);
    write_row(v, rv.data());
    if (std::find(rv.begin(), rv.begin() + dv, u) != rv.begin() + dv) has_in = true;
  }
  if (!has_in) {
    // Nearest candidate (or the first entry when the search found nothing).
    const int32_t v = !sorted.empty() ? sorted[0].id : entries_[0];
    read_row(v, rv.data());
    if (deg_[size_t(v)] < R_) rv[deg_[size_t(v)]++] = u;
    else rv[size_t(R_ - 1)] = u;
    write_row(v, rv.data());
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
