// Connectivity pass: every key must be reachable from the entry points, or a
// search can never return it. Rounds of: BFS from the entries; search the graph
// for each unreached key u (in parallel: the graph is read-only then; a search
// only meets reached keys); then, sequentially, give u an in-edge from the best
// found key that has room (deg < R), else overwrite the last edge of the best
// one. Overwriting can strand another key, hence the rounds until a BFS reaches
// everything.
#include <algorithm>

#include "retrieval/graph_search.h"
#include "cpu/parallel.h"
#include "retrieval/roar_graph.h"

namespace tome {

int64_t connect_unreached(RoarGraphIndex& g, ThreadPool* pool) {
  const int64_t n = g.size();
  int64_t added = 0;
  std::vector<uint8_t> reached;
  const SearchMetric metric = g.link_metric_ == LinkMetric::kL2 ? SearchMetric::kL2 : SearchMetric::kInnerProduct;
  for (int round = 0; round < 8; ++round) {
    const GraphView view = g.view();
    if (mark_reachable(view, reached) == n) break;
    std::vector<int32_t> todo;
    for (int64_t v = 0; v < n; ++v)
      if (!reached[size_t(v)]) todo.push_back(int32_t(v));
    std::vector<std::vector<Scored>> found(todo.size());
    parallel_dynamic(pool, int64_t(todo.size()), 16, [&](int64_t i, int) {
      thread_local std::vector<float> q;
      q.resize(size_t(g.dim()));
      g.key_f32(todo[size_t(i)], q.data());
      int64_t scanned = 0;
      beam_search(view, q.data(), metric, std::min(g.ef_link_, 16), found[size_t(i)], &scanned);
    });
    std::vector<int32_t> row(static_cast<size_t>(g.R_));
    for (size_t i = 0; i < todo.size(); ++i) {
      const int32_t u = todo[i];
      const std::vector<Scored>& f = found[i];
      if (f.empty()) continue;
      int32_t from = -1;
      for (const Scored& s : f)
        if (s.id != u && g.deg_[size_t(s.id)] < g.R_) {
          from = s.id;
          break;
        }
      if (from >= 0) {
        g.read_row(from, row.data());
        // Keep an existing edge to u from being duplicated.
        if (std::find(row.begin(), row.begin() + g.deg_[size_t(from)], u) != row.begin() + g.deg_[size_t(from)])
          continue;
        row[g.deg_[size_t(from)]++] = u;
      } else {
        from = f[0].id == u && f.size() > 1 ? f[1].id : f[0].id;
        if (from == u) continue;
        g.read_row(from, row.data());
        row[size_t(g.deg_[size_t(from)] - 1)] = u;
      }
      g.write_row(from, row.data());
      ++added;
    }
  }
  return added;
}

}  // namespace tome
