// Workload files of bench_index (header-only: bench_*.cpp are one executable each).
//
// read_captured_workload: a file written by main/bench/index.ts captureWorkload():
//   uint32 {dim, n_keys, n_queries, reserved}, keys f32 (n_keys, dim), queries f32
//   (n_queries, dim), little-endian. The queries are the prefill queries of one
//   (layer, KV head); a seeded random n_test of them are held out as the "decode"
//   queries the indexes are scored on, the rest are the training queries the graph
//   is built from (held out rather than a prefix, so test queries come from the
//   whole book, not its end). Every key is kept, attention sinks included: they are
//   in real top-k lists and an index has to find them too.
//
// write_workload_dump: the keys, test queries and exact top-k ids, so the JS side
// (main/bench/hnsw.ts, hnswlib-node) scores against the same queries and truth:
//   uint32 {dim, n_keys, n_test, k}, keys f32, test f32, truth int32 (n_test, k).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "retrieval/rng.h"
#include "retrieval/synthetic_workload.h"

namespace tome::bench {

inline Workload read_captured_workload(const std::string& path, int64_t n_test, uint64_t seed) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  uint32_t h[4];
  auto read = [&](void* p, size_t bytes) {
    if (std::fread(p, 1, bytes, f) != bytes) {
      std::fclose(f);
      throw std::runtime_error(path + ": truncated workload file");
    }
  };
  read(h, sizeof h);
  const int d = int(h[0]);
  const int64_t n_keys = h[1], n_q = h[2];
  if (d <= 0 || n_keys <= 0 || n_q < 2) {
    std::fclose(f);
    throw std::runtime_error(path + ": bad header");
  }
  Workload w;
  w.d = d;
  w.n_keys = n_keys;
  w.keys.resize(size_t(n_keys) * d);
  read(w.keys.data(), w.keys.size() * sizeof(float));
  std::vector<float> q(size_t(n_q) * d);
  read(q.data(), q.size() * sizeof(float));
  std::fclose(f);

  // At most a fifth of the queries are held out, so the graph keeps most of its training data.
  w.n_test = std::min<int64_t>(n_test, n_q / 5);
  std::vector<uint8_t> held(size_t(n_q), 0);
  Rng rng(seed);
  for (int64_t picked = 0; picked < w.n_test;) {
    const uint64_t i = rng.below(uint64_t(n_q));
    if (!held[i]) held[i] = 1, ++picked;
  }
  w.n_train = n_q - w.n_test;
  w.train.reserve(size_t(w.n_train) * d);
  w.test.reserve(size_t(w.n_test) * d);
  for (int64_t i = 0; i < n_q; ++i) {  // both sets in position order
    auto& dst = held[size_t(i)] ? w.test : w.train;
    dst.insert(dst.end(), q.begin() + i * d, q.begin() + (i + 1) * d);
  }
  return w;
}

inline void write_workload_dump(const std::string& path, const Workload& w, const std::vector<int32_t>& truth, int k) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  const uint32_t h[4] = {uint32_t(w.d), uint32_t(w.n_keys), uint32_t(w.n_test), uint32_t(k)};
  bool ok = std::fwrite(h, sizeof h, 1, f) == 1;
  ok = ok && std::fwrite(w.keys.data(), sizeof(float), w.keys.size(), f) == w.keys.size();
  ok = ok && std::fwrite(w.test.data(), sizeof(float), size_t(w.n_test) * w.d, f) == size_t(w.n_test) * w.d;
  ok = ok && std::fwrite(truth.data(), sizeof(int32_t), truth.size(), f) == truth.size();
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error("cannot write " + path);
}

}  // namespace tome::bench
