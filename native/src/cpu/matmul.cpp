// matmul: y (n_tokens, W.rows) = x (n_tokens, W.cols) . W^T
//  1. x rows are converted once to vec_dot_type(W.type) into scratch (F32 weights
//     read x in place).
//  2. W's rows are cut into chunks that threads claim dynamically (an atomic
//     counter: a core that is busy elsewhere on a shared machine just takes fewer).
//     Within a chunk, kernels take tiles of up to 4 weight rows x 4 tokens: each
//     weight block is loaded once per 4 tokens, independent accumulator chains
//     hide latency, and the chunk's rows stay in L2 while all token tiles pass.
// Every output element is one kernel dot of the same two rows in the canonical
// order, so y does not depend on the thread count, the chunking or the tiling.
// (Where llama.cpp repacks W, the order also depends on whether the token is in
// one of its 4-token gemm groups: a property of the token index, not the tiling.)
#include "cpu/matmul.h"

#include <algorithm>
#include <atomic>
#include <string>

#include "common/error.h"
#include "cpu/kernels.h"
#include "cpu/quant.h"
#include "cpu/thread_pool.h"

namespace tome {

namespace {

// Below this many multiply-adds a matmul runs on the calling thread alone: waking
// workers costs more than it saves (tiny test models have 64-wide layers).
constexpr int64_t kMinParallelWork = 1 << 16;
// Weight bytes per chunk when tokens are tiled (fits L2 with room to spare).
constexpr size_t kChunkBytesPrefill = 64 * 1024;

void check(const WeightMatrix& W, int64_t n_tokens) {
  const GgmlTypeTraits* tr = ggml_type_traits(W.type);
  if (!tr) throw Error("UNSUPPORTED_TYPE", "matmul: unknown weight type");
  if (W.rows < 0 || W.cols <= 0 || n_tokens < 0 || W.cols % tr->block_size != 0)
    throw Error("BAD_ARGUMENT", "matmul: bad shape (" + std::to_string(W.rows) + " x " + std::to_string(W.cols) +
                                    ", " + std::to_string(n_tokens) + " tokens) for " + tr->name);
  if (W.row_bytes != ggml_row_bytes(*tr, uint64_t(W.cols)))
    throw Error("BAD_ARGUMENT", "matmul: row_bytes does not match the type and column count");
}

}  // namespace

void matmul(const WeightMatrix& W, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            std::vector<uint8_t>& scratch) {
  check(W, n_tokens);
  const GgmlType act_type = vec_dot_type(W.type);  // throws UNSUPPORTED_TYPE
  // Where llama.cpp would repack W, its gemm order for full tiles of 4 tokens (the
  // tiles start at multiples of 4, like its gemm groups) and its gemv order for
  // the n % 4 tokens left; else ggml's vec_dot order (kernels.h).
  const bool repack = kernels::llama_repacks(W.type, W.rows);
  const kernels::DotFn dot = repack ? kernels::select_dot_repack(W.type, false) : kernels::select_dot(W.type);
  const kernels::DotFn dot_gemm = repack ? kernels::select_dot_repack(W.type, true) : dot;
  const kernels::ConvertFn convert = kernels::select_convert(act_type);
  if (!dot || !dot_gemm || !convert) throw Error("UNSUPPORTED_TYPE", std::string("matmul: no kernel for ") + ggml_type_name(uint32_t(W.type)));
  if (n_tokens == 0 || W.rows == 0) return;

  const int64_t cols = W.cols, rows = W.rows;
  const bool parallel = pool.size() > 1 && rows * cols * n_tokens >= kMinParallelWork;

  // 1. activations -> vec_dot_type, (n_tokens, act_bytes)
  const size_t act_bytes = type_row_bytes(act_type, cols);
  const uint8_t* act;
  if (act_type == GgmlType::F32) {
    act = reinterpret_cast<const uint8_t*>(x);
  } else {
    if (scratch.size() < size_t(n_tokens) * act_bytes) scratch.resize(size_t(n_tokens) * act_bytes);
    uint8_t* dst = scratch.data();
    auto convert_rows = [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t) convert(x + t * cols, dst + size_t(t) * act_bytes, cols);
    };
    if (parallel && n_tokens >= 2 * pool.size()) pool.parallel_for(n_tokens, convert_rows);
    else convert_rows(0, n_tokens, 0);
    act = dst;
  }

  // 2. chunks of weight rows, claimed dynamically
  int64_t rows_per_chunk;
  if (n_tokens == 1) {  // decode: enough chunks to balance, big enough to stream
    rows_per_chunk = std::max<int64_t>(8, rows / (int64_t(pool.size()) * 16));
  } else {  // prefill: a chunk's weights stay cached while all token tiles pass
    rows_per_chunk = std::max<int64_t>(4, int64_t(kChunkBytesPrefill / std::max<size_t>(W.row_bytes, 1)));
    rows_per_chunk = std::min(rows_per_chunk, std::max<int64_t>(4, rows / (int64_t(pool.size()) * 4)));
  }
  const int64_t n_chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
  std::atomic<int64_t> next_chunk{0};

  auto work = [&](int) {
    kernels::DotTile tile{nullptr, W.row_bytes, 0, nullptr, act_bytes, 0, cols, nullptr, size_t(rows)};
    for (;;) {
      const int64_t c = next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (c >= n_chunks) return;
      const int64_t r0 = c * rows_per_chunk, r1 = std::min(rows, r0 + rows_per_chunk);
      for (int64_t t0 = 0; t0 < n_tokens; t0 += kernels::kMaxActRows) {
        tile.act = act + size_t(t0) * act_bytes;
        tile.n_act = int(std::min<int64_t>(kernels::kMaxActRows, n_tokens - t0));
        const kernels::DotFn f = tile.n_act == 4 ? dot_gemm : dot;
        for (int64_t r = r0; r < r1; r += kernels::kMaxWeightRows) {
          tile.w = W.data + size_t(r) * W.row_bytes;
          tile.n_w = int(std::min<int64_t>(kernels::kMaxWeightRows, r1 - r));
          tile.out = y + t0 * rows + r;
          f(tile);
        }
      }
    }
  };
  if (parallel) pool.run(work);
  else work(0);
}

}  // namespace tome
