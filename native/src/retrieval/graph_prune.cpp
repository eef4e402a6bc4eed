#include "retrieval/graph_prune.h"

#include "attention/vec_kernels.h"

#include <algorithm>
#include <limits>

#include "retrieval/dot_kernels.h"

namespace tome {

void sort_by_distance(const uint16_t* keys, int d, const float* pivot, const int32_t* ids, int64_t n,
                      std::vector<DistId>& out) {
  std::vector<float> dist(static_cast<size_t>(n));
  l2_gather_h(pivot, keys, size_t(d), ids, n, d, dist.data());
  out.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    const float dd = dist[size_t(i)];
    out[size_t(i)] = DistId{dd == dd ? dd : std::numeric_limits<float>::infinity(), ids[i]};  // NaN last
  }
  std::sort(out.begin(), out.end(),
            [](const DistId& a, const DistId& b) { return a.dist < b.dist || (a.dist == b.dist && a.id < b.id); });
}

int prune_occlusion(const uint16_t* keys, int d, const DistId* cands, int64_t n_cands, int max_out, float alpha,
                    int32_t* out, int n_kept) {
  const float a2 = alpha * alpha;  // on squared distances
  // The kept neighbours as f32 rows, back to back: a candidate is widened once,
  // into the slot it takes if kept, and checked against four kept rows at a time
  // (independent sums). Widening each kept key again for every candidate, one
  // dependent sum at a time, made the build's link step 7% longer: a pruning
  // there reads all of its ~160 candidates.
  thread_local std::vector<float> kept_rows;
  kept_rows.resize(size_t(std::max(max_out, n_kept)) * size_t(d));
  for (int j = 0; j < n_kept; ++j)
    f16_to_f32_row(keys + size_t(out[j]) * size_t(d), kept_rows.data() + size_t(j) * d, d);
  int kept = n_kept;
  float dist[4];
  for (int64_t i = 0; i < n_cands && kept < max_out; ++i) {
    const DistId& c = cands[i];
    float* kc = kept_rows.data() + size_t(kept) * d;  // the next free slot (kept < max_out)
    f16_to_f32_row(keys + size_t(c.id) * size_t(d), kc, d);
    bool occluded = false;
    for (int j = 0; j < kept && !occluded; j += 4) {
      const int m = std::min(4, kept - j);
      l2_rows(kc, kept_rows.data() + size_t(j) * d, size_t(d), m, d, dist);
      for (int t = 0; t < m; ++t) occluded |= a2 * dist[t] < c.dist;
    }
    if (!occluded) out[kept++] = c.id;
  }
  return kept;
}

}  // namespace tome
