#include "model/weight_interleave.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>

#include "common/system_memory.h"
#include "cpu/kernels.h"
#include "cpu/thread_pool.h"
#include "gguf/gguf_file.h"

namespace tome {

namespace {

// The copies take ordinary pages, not huge_pages.h's: a decode step streams them in
// order, which the prefetcher covers either way (1b shape, Q4_0: 22.0-26.0 ms/token on
// 2 MiB pages, 25.3-27.6 on small ones, within the noise), while 2 MiB pages must be
// found or compacted as they are first written (700 MB took 0.70-0.86 s to load
// against 0.23-0.25). llama.cpp's repacked buffers are ordinary allocations too.
std::shared_ptr<uint8_t> allocate(size_t bytes) {
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) throw std::bad_alloc();
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
}

struct Copier {
  Weights& w;
  const GgufFile& g;
  uint64_t left;
  uint64_t copied = 0;
  // the copy is page faults and memory traffic: every core helps (a load, not a
  // session); started at the first copy, so a model with none (Q8_0, a CPU without
  // AVX2) starts no threads
  std::unique_ptr<ThreadPool> pool = nullptr;

  // Interleaves m when the kernels read it so and it fits; whole_rows: the rows that
  // must be whole groups (a stack's expert matrices are multiplied one expert at a time).
  void operator()(WeightMatrix& m, int64_t whole_rows) {
    if (!m.data || m.rows == 0 || m.interleave != 1 || !kernels::interleaves_rows(m.type, whole_rows) ||
        !kernels::interleaves_rows(m.type, m.rows))
      return;
    const size_t bytes = size_t(m.rows) * m.row_bytes;
    if (bytes > left) return;
    std::shared_ptr<uint8_t> copy = allocate(bytes);
    const uint8_t* original = m.data;
    if (!pool) pool = std::make_unique<ThreadPool>(int(std::clamp(std::thread::hardware_concurrency(), 1u, 8u)));
    m = interleave_rows(m, copy.get(), pool.get());
    g.release(original, bytes);
    w.interleaved.push_back(std::move(copy));
    w.interleaved_bytes += bytes;
    left -= bytes;
    copied += bytes;
  }
};

}  // namespace

uint64_t interleave_weights(Weights& w, const HParams& hp, const GgufFile& g, uint64_t budget_bytes) {
  Copier copy{w, g, budget_bytes};
  // a tied output's copy serves the embedding's lookups too (dequantize_matrix_row reads
  // either layout), so none of the mapping's pages of it stay resident: looked up in the
  // mapping, a prompt's tokens brought most of its 2 MiB folios back (1b: +36 MB)
  copy(w.output, w.output.rows);
  if (w.tied_output) w.token_embd = w.output;
  for (LayerWeights& L : w.layers)
    for (WeightMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down, &L.gate_shexp, &L.up_shexp,
                            &L.down_shexp})
      copy(*m, m->rows);
  for (LayerWeights& L : w.layers)
    if (L.gate_exps.data)  // (n_expert * rows, cols) stacks
      for (WeightMatrix* m : {&L.gate_exps, &L.up_exps, &L.down_exps}) copy(*m, m->rows / hp.n_expert);
  return copy.copied;
}

uint64_t default_interleave_budget() { return available_memory_bytes() / 2; }

}  // namespace tome
