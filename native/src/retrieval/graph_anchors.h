// AnchorQueries: a small sample of the prefill queries kept with the graph, so
// that keys inserted while decoding are linked the way the build links keys:
// from the queries' point of view, not by key-key similarity (which the
// query/key distribution gap makes unreliable). Each anchor keeps its exact
// top-ka keys (a bounded heap, updated on every insert, so it stays exact over
// the growing context) and its threshold theta (ka-th best score).
// A new key u is linked to the keys of the anchors it comes closest to
// entering (largest q_a . u - theta_a), exactly as build step 3 does.
// Cost per insert: one dot per anchor, a stream over every anchor query (an
// index's anchors are cold at every insert: a decode step inserts into every
// index). The queries are kept as bf16, as the engine captures prefill query
// rows (so without loss there; images hold them as f32): 128 KB an insert at
// 1024 anchors and d = 64, where f32 rows streamed 256 KB (bench_index --n
// 131072 --d 64 --inserts 600 --cold 90: a cold insert 107 -> 97 us, median
// of six). The thresholds sit in one array
// (4 KB), so the lists (256 bytes each) are read only for the r chosen anchors
// and the few the key enters.
// Memory: anchors * (2 d + 8 ka + 8) bytes (1024, 128, 32: 0.51 MiB per head).
#pragma once
#include <cstdint>
#include <vector>

#include "retrieval/topk.h"

namespace tome {

class ByteWriter;
class ByteReader;

struct AnchorQueries {
  int d = 0;
  int ka = 0;                        // top keys kept per anchor
  std::vector<uint16_t> q;           // (A, d) bf16
  std::vector<Scored> top;           // (A, ka) heaps, worst at front
  std::vector<int32_t> top_size;     // (A)
  std::vector<float> theta;          // (A) each list's threshold: its ka-th best score, -inf while not full

  int64_t count() const { return d ? int64_t(q.size() / size_t(d)) : 0; }
  size_t bytes() const {
    return q.capacity() * sizeof(uint16_t) + top.capacity() * sizeof(Scored) + top_size.capacity() * sizeof(int32_t) +
           theta.capacity() * sizeof(float);
  }
  // Adds an anchor (query rounded to bf16) with its current top list
  // (ids/scores best first, n entries).
  void add(const float* query, const int32_t* ids, const float* scores, int n);
  // Appends to `out` the ids in the top lists of the r anchors that key u
  // comes closest to entering; then records u (id) in every anchor it enters.
  void link_and_update(const float* key, int32_t id, int r, std::vector<int32_t>& out);

  void write(ByteWriter& w) const;
  // Validates every id against n_keys.
  void read(ByteReader& r, int dim, int64_t n_keys);
};

}  // namespace tome
