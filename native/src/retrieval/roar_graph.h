// RoarGraphIndex: the attention-aware key graph of RetrievalAttention (Liu et
// al. 2024), built as RoarGraph (Chen et al., VLDB 2024) builds its projected
// bipartite graph. Queries and keys of attention come from different
// distributions, so key-to-key proximity says little about which keys a query
// scores highest; the prefill QUERIES say it directly. Build (roar_graph_build.cpp):
//   1. kNN      each training query (all prefill queries of the head, or a seeded
//               sample) gets its exact top-kq keys by q . k (knn_batch).
//   2. project  the query->key bipartite graph onto keys: each query's pivot
//               gets edges to the query's other top keys, occlusion-pruned to M
//               (graph_prune.h). The pivot is the query's best-ranked key that is
//               not yet the pivot of pivot_cap queries: an attention sink is
//               everyone's top-1, and without a cap one key would collect the
//               candidates of every query (a pool of up to n keys to prune)
//               while the other keys got no projected edges at all.
//   3. link     keys with no edge yet (in no query's top-kq, or occluded): each
//               joins the top lists of the link_queries training queries it comes
//               closest to entering (largest q . k - theta_q, theta_q = the query's
//               kq-th best score; one more knn_batch over an evenly spaced query
//               sample), and keeps the union of their lists, pruned, as its
//               out-edges: where the key belongs from the queries' point of view.
//               A search with the key itself as query (link_queries = 0) ranks by
//               key-key similarity, which the out-of-distribution gap makes
//               unreliable. Measured (OOD workload, 128K keys, 32K queries): at
//               ef = 300 recall@100 0.89 by search, 0.97 by queries. With this
//               step the pivot cap matters little (cap 1 .. unlimited: recall
//               0.968 .. 0.977 at ~1.4% scanned); 16 bounds the pivot pools
//               and keeps in-distribution recall (Gaussian: 0.955 at 6.3%
//               scanned with cap 1 or 16, 0.945 with 64).
//   4. reverse  every edge u->v adds v->u; a list over the cap R is re-pruned.
//   5. connect  BFS from the entry points; each unreached key gets an in-edge
//               from the best reached key found by searching for it, until every
//               key is reachable (graph_connect.cpp).
// Entry points: the n_entry keys that appear in the most training top-kq lists
// (sinks and heavy hitters, good starts for any query). Search (graph_search.cpp):
// best-first beam of width ef >= k from all entry points by q . k; keys_scanned
// counts every q . k evaluated (entries included).
//
// Cost (measured, 2 cores; CPU seconds are summed over threads, so a loaded
// machine does not inflate them): the build is the kNN of step 1, m * n * d * 2
// flops at 55..75 GFLOP per CPU second (knn_batch.h), plus 10..20% for steps
// 2..5. 32K keys x 32K queries, d 128: 4.6 CPU s (kNN 4.2); with half the
// queries (max_queries = n / 2) 2.6 CPU s at the same recall (the engine uses 3n/10:
// retrieval_attention.cpp). 128K keys x 32K
// queries: 16 CPU s. Search at 128K keys (d 64, cold caches), k 100, ef 300: ~0.15 ms, 2.9%
// scanned (bench_index --n 131072 --d 64 --cold 24).
//
// Decode-time search() navigates by an int8 copy of the keys (nav_codes.h: one
// cache line per key at d 64 where the f16 row takes two) and reranks its beam
// by the f16 keys, so its ids and scores are exact; build, insert and connect
// search by the f16 keys.
//
// Storage: keys (n, d) f16; int8 codes (n, d rounded up to 32) + 3 d floats;
// adjacency: a 16-id head row a key, and for longer lists a tail row of R - 15
// ids (adjacency_rows.h; the build, paging and images use dense (n, R) rows,
// first deg[v] valid); deg (n) u16; anchors
// (graph_anchors.h). Images carry no codes: they are recomputed from the keys.
// Under a RAM budget the engine pages the keys and adjacency out (page_out):
// each key's f16 row and adjacency row become a record of a NodePager
// (node_pager.h), cached by use, and only the codes, degrees, entries and
// anchors stay in RAM; under a tighter budget the codes page out too
// (page_out_codes: a record per code row, cached by use). A paged graph searches, inserts, reconnects and
// serializes exactly as a resident one (the same values in the same order):
// only where the bytes come from differs.
#pragma once
#include <memory>
#include <string>

#include "common/huge_pages.h"
#include "retrieval/adjacency_rows.h"
#include "retrieval/graph_anchors.h"
#include "retrieval/graph_prune.h"
#include "retrieval/key_index.h"
#include "retrieval/key_matrix.h"
#include "retrieval/nav_codes.h"
#include "retrieval/node_pager.h"

namespace tome {

class ThreadPool;
class ByteReader;
struct GraphView;

// Metric of the searches that link keys into the graph (key as query).
enum class LinkMetric : uint32_t { kInnerProduct = 0, kL2 = 1 };

struct GraphBuildParams {
  int kq = 100;              // exact top keys per training query
  int M = 32;                // out-degree kept by projection / linking
  int R = 48;                // hard degree cap (reverse and connectivity edges fill M..R)
  int64_t max_queries = 0;   // training queries used (seeded sample); 0 = all
  int pivot_cap = 16;        // queries one key may serve as pivot for
  int n_entry = 0;           // entry points; 0 = clamp(sqrt(n) / 4, 8, 64)
  // Step 3: best training queries per isolated key (0 = link by search). One, not two:
  // the same recall for 10% less build (sorting and pruning the union of two queries'
  // lists, ~165 candidates a key, was most of step 3). bench_index --n 32768 --train 9830
  // --test 400, ef 300, recall@100 at % scanned, 2 / 1: OOD d 64 seeds 1, 2, 3 0.9486 @
  // 11.53 / 0.9496 @ 11.51, 0.9376 @ 11.92 / 0.9382 @ 11.69, 0.9380 @ 11.87 / 0.9402 @
  // 11.67; d 128 0.9791 @ 5.09 / 0.9785 @ 4.80; 128K keys (train 32768) 0.9187 @ 2.92 /
  // 0.9177 @ 2.82, build 5.19 / 4.68 s; captured (stories260K, tiny over Alice) within
  // 0.0003 at every ef. The in-distribution Gaussian workload loses about a point at the
  // same scan (ef 300: 0.5721 @ 13.7 / 0.4958 @ 11.3; ef 400 with one: 0.5639 @ 14.0).
  int link_queries = 1;
  int64_t link_query_sample = 8192;   // training queries considered in step 3 (evenly spaced)
  int ef_link = 48;          // beam width when linking a key by search (insert, connect)
  int rank_slots = 0;        // projection: slots given to the top-ranked candidates before occlusion
  float alpha = 1.0f;        // occlusion slack: c is occluded if alpha * |n - c| < |p - c|
  LinkMetric link_metric = LinkMetric::kInnerProduct;
  int n_anchors = 1024;      // prefill queries kept to link inserted keys (graph_anchors.h); 0 = none
  int anchor_k = 32;         // top keys kept per anchor
  int anchor_links = 2;      // anchors whose lists an inserted key is linked to
  int default_ef = 0;        // search beam when SearchParams.ef == 0; 0 = 3 k
  uint64_t seed = 1;
  // When set: the f16 rows (n, d apart) holding the same values as the build's
  // keys (the KV cache's K rows); the index reads them in place (a KeyMatrix
  // view, key_matrix.h) instead of keeping a copy, and its inserts must be the
  // rows that follow. The caller keeps them alive and unchanged (own_keys()
  // copies them when that stops being true).
  const uint16_t* shared_keys = nullptr;
};

struct GraphBuildStats {
  int64_t n_keys = 0, n_queries = 0;
  int64_t n_pivots = 0;       // keys that received projected edges
  int64_t n_linked = 0;       // isolated keys linked in step 3
  int64_t n_reconnected = 0;  // in-edges added by the connectivity pass
  int64_t n_edges = 0;
  // Wall seconds per step, and process CPU seconds (all threads together).
  double knn_s = 0, project_s = 0, link_s = 0, reverse_s = 0, connect_s = 0, total_s = 0;
  double knn_cpu_s = 0, project_cpu_s = 0, link_cpu_s = 0, reverse_cpu_s = 0, connect_cpu_s = 0, total_cpu_s = 0;
};

class RoarGraphIndex : public KeyIndex {
 public:
  // keys: (n, d) rows key_stride apart; queries: (m, d) rows query_stride apart
  // (m == 0 builds a key-only graph by inserting the keys one by one).
  static std::unique_ptr<RoarGraphIndex> build(const float* keys, int64_t n, size_t key_stride, int d,
                                               const float* queries, int64_t m, size_t query_stride,
                                               const GraphBuildParams& p, ThreadPool* pool,
                                               GraphBuildStats* stats = nullptr);

  const char* kind() const override { return "graph"; }
  int dim() const override { return keys_.dim(); }  // a paged graph keeps an empty KeyMatrix of its d
  int64_t size() const override { return pager_ ? pager_->size() : keys_.rows(); }
  size_t bytes() const override;
  // Resident graphs only (a paged one has no rows in RAM: null / empty).
  const uint16_t* key(int32_t id) const override { return pager_ ? nullptr : keys_.row(id); }
  const KeyMatrix& key_rows() const override { return keys_; }
  void copy_keys(int64_t begin, int64_t n, uint16_t* out) const override;
  bool keys_in_ram() const override { return !pager_; }
  void own_keys() override { keys_.own(); }

  // Paging under a RAM budget (see Storage above). page_out writes every
  // record to records [first, first + capacity) of file (capacity: the most
  // keys the index may reach) and releases the keys and adjacency; false
  // (nothing changed) when a write failed. page_in reads them back.
  bool page_out(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity);
  // Page_in brings the codes back too.
  void page_in();
  bool paged() const { return pager_ != nullptr; }
  NodePager* pager() const { return pager_.get(); }
  // Tighter still, once paged: the int8 navigation codes page out as well
  // (nav_codes.h; file's records are code rows, record_bytes() == their
  // stride), leaving degrees, entries and anchors in RAM; false (nothing
  // changed) when a write failed.
  bool page_out_codes(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity);
  void page_in_codes();
  bool codes_paged() const { return nav_.paged(); }
  RecordCache* code_pager() const { return nav_.pager(); }
  size_t code_record_bytes() const { return size_t(nav_.stride()); }
  // RAM the graph takes resident (keys owned), whether paged or not (paged:
  // what page_in() allocates).
  size_t resident_bytes() const;

  void search(const float* q, const SearchParams& p, SearchResult& out) const override;
  // kJoint: the group's heads in one traversal (beam_search_joint); else as KeyIndex.
  void search_group(const float* q, int n_q, const SearchParams& p, SearchResult& out) const override;
  // A key added while decoding (graph_insert.cpp). Candidates: the top lists of
  // the anchor queries it comes closest to entering (as build step 3), the
  // keys found by searching with the key itself, and, when given, with the
  // query of the same token; pruned to M, plus reverse edges. It always gets an
  // in-edge, so it is reachable when inserted (later inserts may re-prune that
  // edge away; reconnect() repairs, e.g. every few thousand inserts).
  // Paged, an insert that fails part way (a record that cannot be written
  // back: STORE_FULL; one that fails its check: STORE_CORRUPT) leaves the
  // graph incomplete: from then on it refuses searches, inserts and images
  // with that error (reopen the document: the store holds the last whole index).
  int32_t insert(const float* key) override { return insert_with_query(key, nullptr); }
  int32_t insert_with_query(const float* key, const float* query);

  // Connectivity pass (build step 5) over the current graph; returns the
  // in-edges it added (0 when every key is reachable).
  int64_t reconnect(ThreadPool* pool);
  // Runs reconnect() (serially, inside the insert) when an insert brings the
  // size to a multiple of `every` plus `phase` (every 0: never). A function of
  // the size, not of the history, so an index restored and grown again repairs
  // at the same points as one that never stopped; the engine gives each index
  // its own phase, so the indexes of a model do not all pay on one step.
  void reconnect_every(int64_t every, int64_t phase) {
    reconnect_every_ = every;
    reconnect_phase_ = every > 0 ? phase % every : 0;
  }
  int64_t reconnects() const { return reconnects_; }
  int64_t reconnect_edges() const { return reconnect_edges_; }  // in-edges those added

  std::vector<uint8_t> serialize(bool with_keys = true) const override;
  static std::unique_ptr<RoarGraphIndex> deserialize_payload(ByteReader& r, KeyMatrix* external_keys);

  // Introspection (tests, stats).
  const KeyMatrix& keys() const { return keys_; }
  const NavCodes& nav_codes() const { return nav_; }
  int degree(int32_t v) const { return deg_[size_t(v)]; }
  std::vector<int32_t> neighbour_list(int32_t v) const;  // resident or paged
  const std::vector<int32_t>& entries() const { return entries_; }
  int max_degree() const { return R_; }
  int64_t edge_count() const;
  int64_t reachable_count() const;  // keys reachable from the entry points
  GraphView view() const;  // its arrays as the search functions read them, until the next insert

 private:
  friend struct GraphBuilder;
  friend int64_t connect_unreached(RoarGraphIndex& g, ThreadPool* pool);
  RoarGraphIndex() = default;
  // a search's beam: p.ef, else the index default, else 3k; times p.widen; at least k
  int beam_width(const SearchParams& p, int k) const;
  int32_t insert_now(const float* key, const float* query);  // insert_with_query's work
  void check_whole() const;  // throws the error an insert left the graph incomplete with
  // Row and key access that works resident or paged (roar_graph_paging.cpp):
  // copies in, copies out.
  void key_f32(int32_t v, float* out) const;
  void read_row(int32_t v, int32_t* row) const;  // R ids (first deg[v] valid)
  void write_row(int32_t v, const int32_t* row);
  // Sorts ids (unique) by L2 to pivot into sorted and occlusion-prunes them to
  // at most max_out neighbours in out; returns the count (sort_by_distance,
  // prune_occlusion over the keys wherever they are; ids in the results are
  // graph ids either way).
  int link_pruned(const float* pivot, const std::vector<int32_t>& ids, int max_out, int32_t* out,
                  std::vector<DistId>& sorted) const;

  KeyMatrix keys_;
  NavCodes nav_;  // int8 copy of keys_ that search() navigates by (nav_codes.h); not serialized
  int M_ = 32, R_ = 48, ef_link_ = 48, default_ef_ = 0;
  float alpha_ = 1.0f;
  LinkMetric link_metric_ = LinkMetric::kInnerProduct;
  AdjacencyRows adj_;           // out-lists by degree (adjacency_rows.h); read at random by searches
  std::vector<uint16_t> deg_;   // (n)
  std::vector<int32_t> entries_;
  AnchorQueries anchors_;
  int anchor_links_ = 2;
  std::unique_ptr<NodePager> pager_;  // set while paged out: keys_ and adj_ are then empty
  int64_t reconnect_every_ = 0, reconnect_phase_ = 0, reconnects_ = 0, reconnect_edges_ = 0;
  std::string broken_code_, broken_message_;  // set when a paged insert failed part way
};

}  // namespace tome
