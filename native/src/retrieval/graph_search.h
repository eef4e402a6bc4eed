// Internal: best-first beam search over a key graph (HNSW's search-layer loop),
// shared by decode-time search, linking during build, insertion and the
// connectivity pass.
#pragma once
#include <cstdint>
#include <vector>

#include "retrieval/adjacency_rows.h"
#include "retrieval/topk.h"

namespace tome {

class NavCodes;
class NodePager;

// A read-only view of a graph: keys (n, d) f16; key v's deg[v] neighbours
// (at most R) in its row of adj, (n, stride) ids: with tails, head rows whose
// long lists go on in a tail row (adjacency_rows.h, stride kHead); without,
// dense rows (a build's, stride R). AdjacencyRows::parts reads either. Searches
// start from all entries. A graph paged out under a RAM budget (node_pager.h)
// has pager set and keys, adj and tails null: its keys and rows are read as
// copies (dense rows, R ids) through the pager.
struct GraphView {
  NodePager* pager = nullptr;
  const uint16_t* keys = nullptr;
  int d = 0;
  int64_t n = 0;
  const int32_t* adj = nullptr;
  int stride = 0;
  const int32_t* tails = nullptr;
  int tail_stride = 0;
  const uint16_t* deg = nullptr;
  int R = 0;
  const int32_t* entries = nullptr;
  int n_entries = 0;
};

enum class SearchMetric { kInnerProduct, kL2 };

// Up to ef results, best first (score = q . k, or -|q - k|^2 for kL2).
// *scanned += number of keys scored.
void beam_search(const GraphView& g, const float* q, SearchMetric metric, int ef, std::vector<Scored>& out,
                 int64_t* scanned);

// Decode-time search: top k by q . k (exact f16 scores, best first). The beam
// (width ef) navigates by the int8 codes (nav_codes.h; by the keys when codes
// is null or cannot encode q), then its ef results are rescored with the f16
// keys and the k best kept. *scanned counts the keys navigated (each once).
// Its beam expands several candidates per round (graph_search.cpp; default 8).
void beam_search_reranked(const GraphView& g, const NavCodes* codes, const float* q, int ef, int k,
                          std::vector<Scored>& out, int64_t* scanned);
// The ids of the beam (width ef, `width` expansions per round) that navigating
// by the codes (by the keys when null or q cannot be encoded) ends with, in no
// particular order; q . k is the metric. For insertion: its candidates are
// sorted by exact distances afterwards.
void beam_search_nav(const GraphView& g, const NavCodes* codes, const float* q, int ef, int width,
                     std::vector<int32_t>& ids, int64_t* scanned);

// The decode-time search of a GQA group's n_q queries q (n_q, d) in one
// traversal (graph_search_joint.cpp): out[h] = query h's top k by q_h . k,
// exact f16 scores, best first, as beam_search_reranked gives each head. The
// heads share the visited set and every scored key's memory loads; each keeps
// its own beam of width ef. *scanned counts the keys navigated (each once,
// whatever n_q). False (out untouched) when the codes do not cover the graph or
// cannot encode a query: the caller searches per head.
bool beam_search_joint(const GraphView& g, const NavCodes& codes, const float* q, int n_q, int ef, int k,
                       std::vector<std::vector<Scored>>& out, int64_t* scanned);

// Expansions per round of the decode-time searches, 1..16 (benchmarks; process-wide).
void set_decode_search_width(int width);
int decode_search_width();

// out[i] = q . k(ids[i]) (key_dots) or |q - k(ids[i])|^2 (key_l2) over the
// graph's f16 keys, in place or copied out of its pager.
void key_dots(const GraphView& g, const float* q, const int32_t* ids, int64_t n, float* out);
void key_l2(const GraphView& g, const float* q, const int32_t* ids, int64_t n, float* out);

// BFS from the entries: reached[v] = 1 for every reachable v. Returns the count.
int64_t mark_reachable(const GraphView& g, std::vector<uint8_t>& reached);

}  // namespace tome
