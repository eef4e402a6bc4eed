#include "model/weight_interleave.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>

#include "cpu/kernels.h"
#include "cpu/thread_pool.h"
#include "gguf/gguf_file.h"

namespace tome {

namespace {

// The copies take ordinary pages, not huge_pages.h's: a decode step streams them in
// order, which the prefetcher covers either way (1b shape, Q4_0: 23-25 ms/token on
// both), while 2 MiB pages must be found or compacted as they are first written (700 MB
// of them took 1.1-1.6 s to load where small pages take 0.3-0.5).
std::shared_ptr<uint8_t> allocate(size_t bytes) {
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) throw std::bad_alloc();
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
}

// Interleaves m when the kernels read it so; whole_rows: the rows that must be whole
// groups (a stack's expert matrices are multiplied one expert at a time).
void interleave(WeightMatrix& m, int64_t whole_rows, Weights& w, const GgufFile& g, ThreadPool& pool) {
  if (!m.data || m.rows == 0 || m.interleave != 1 || !kernels::interleaves_rows(m.type, whole_rows) ||
      !kernels::interleaves_rows(m.type, m.rows))
    return;
  const size_t bytes = size_t(m.rows) * m.row_bytes;
  std::shared_ptr<uint8_t> copy = allocate(bytes);
  const uint8_t* original = m.data;
  m = interleave_rows(m, copy.get(), &pool);
  g.release(original, bytes);
  w.interleaved.push_back(std::move(copy));
}

}  // namespace

void interleave_weights(Weights& w, const HParams& hp, const GgufFile& g) {
  // the copy is page faults and memory traffic: every core helps (a load, not a session)
  ThreadPool pool(int(std::clamp(std::thread::hardware_concurrency(), 1u, 8u)));
  if (!w.tied_output) interleave(w.output, w.output.rows, w, g, pool);
  for (LayerWeights& L : w.layers) {
    for (WeightMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down, &L.gate_shexp, &L.up_shexp,
                            &L.down_shexp})
      interleave(*m, m->rows, w, g, pool);
    if (L.gate_exps.data)  // (n_expert * rows, cols) stacks
      for (WeightMatrix* m : {&L.gate_exps, &L.up_exps, &L.down_exps}) interleave(*m, m->rows / hp.n_expert, w, g, pool);
  }
}

}  // namespace tome
