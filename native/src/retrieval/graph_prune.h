// Occlusion pruning of a key's candidate neighbours (RoarGraph's projection
// rule, the same as HNSW's neighbour heuristic and NSG's MRNG edge rule).
// Candidates are taken nearest first (L2 to the pivot p); c is kept unless an
// already kept neighbour n "occludes" it: alpha * |n - c| < |p - c|, i.e. a walk
// that reaches n is already closer to c than p is, so the edge p->c adds little.
//
// Why L2 between keys, although search ranks by inner product: occlusion is a
// triangle-inequality argument, which needs a metric. Inner product is not one:
// a large-norm key has a large inner product with everything (an attention sink
// would "occlude" every candidate and end with one edge), and a key's best
// match by inner product need not be itself. L2 keeps neighbours that point in
// different directions from the pivot, which is what a best-first walk toward an
// unknown query direction needs. The query-awareness is in WHICH keys are
// candidates (co-occurring in a query's top-k), not in the pruning metric.
#pragma once
#include <cstdint>
#include <vector>

namespace tome {

struct DistId {
  float dist;  // squared L2 to the pivot
  int32_t id;
};

// Sorts ids (no duplicates, pivot excluded) by squared L2 to `pivot` into out.
// keys: (n, d) f16 rows (KeyMatrix).
void sort_by_distance(const uint16_t* keys, int d, const float* pivot, const int32_t* ids, int64_t n,
                      std::vector<DistId>& out);

// Keeps at most max_out of the sorted candidates; returns the count written to out.
// out[0..n_kept) may hold neighbours kept beforehand (they occlude too; the
// candidates must not repeat them).
int prune_occlusion(const uint16_t* keys, int d, const DistId* cands, int64_t n_cands, int max_out, float alpha,
                    int32_t* out, int n_kept = 0);

}  // namespace tome
