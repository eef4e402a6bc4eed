// matmul: y (n_tokens, W.rows) = x (n_tokens, W.cols) . W^T, and matmul_multi:
// the same for several W of one x in one pool run (matmul is its one-matrix case).
//  1. x rows are converted once per distinct vec_dot_type into scratch (F32
//     weights read x in place).
//  2. The rows of every W are cut into chunks, numbered across all matrices, that
//     threads claim dynamically (an atomic counter: a core that is busy elsewhere
//     on a shared machine just takes fewer).
//     Within a chunk, kernels take tiles of up to 4 weight rows x 4 tokens: each
//     weight block is loaded once per 4 tokens, independent accumulator chains
//     hide latency, and the chunk's rows stay in L2 while all token tiles pass.
// Every output element is one kernel dot of the same two rows in the canonical
// order, so y does not depend on the thread count, the chunking or the tiling, nor on
// W's layout (rows interleaved in groups: tiles and chunks then keep to whole groups).
// (Where llama.cpp repacks W, the order also depends on whether the token is in
// one of its 4-token gemm groups: a property of the token index, not the tiling.)
#include "cpu/matmul.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "common/error.h"
#include "cpu/kernels.h"
#include "cpu/quant.h"
#include "cpu/quant_blocks.h"
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
  if (W.interleave != 1 && !(W.interleave == kernels::kInterleaveRows && kernels::interleaves_rows(W.type, W.rows)))
    throw Error("BAD_ARGUMENT", "matmul: rows interleaved by " + std::to_string(W.interleave) + " for a " +
                                    std::to_string(W.rows) + "-row " + tr->name + " matrix on this CPU");
}

// Where row r's first block is, in either layout (matmul.h: WeightMatrix::interleave).
const uint8_t* row_start(const WeightMatrix& W, int64_t r) {
  if (W.interleave == 1) return W.data + size_t(r) * W.row_bytes;
  const int64_t g = W.interleave;
  return W.data + size_t(r / g) * size_t(g) * W.row_bytes + size_t(r % g) * ggml_type_traits(W.type)->type_size;
}

// One target's part of a run: kernels, converted activations, chunking.
struct Part {
  const WeightMatrix* W;
  float* y;
  kernels::DotFn dot, dot_gemm;  // dot_gemm: for tiles of 4 tokens (see matmul.h)
  int tile_rows;                 // rows of a tile (kernels::tile_rows)
  int tile_tokens;               // tokens of a tile: kMaxActRows, kMaxPanelActRows for the IQ panel
  const uint8_t* act;            // (n_tokens, act_bytes) in W's vec_dot_type
  size_t act_bytes;
  int64_t rows_per_chunk;
  int64_t first_chunk;  // index of this part's first chunk in the whole run
};

// Rows per chunk. Decode (1 token): chunks of about equal weight bytes across all
// parts, enough of them (16 per thread) for threads claiming dynamically to end
// together, each a whole number of 8-row tiles (kernels::kMaxDecodeRows). Prefill: a
// chunk's weights stay in L2 while all token tiles pass, yet every thread gets a few
// chunks; whole tiles of tile_rows (a short tile costs a full one in some kernels).
int64_t rows_per_chunk(const WeightMatrix& W, int tile_rows, int64_t n_tokens, size_t total_bytes, int n_threads) {
  if (n_tokens == 1) {
    const size_t chunk_bytes = total_bytes / (size_t(n_threads) * 16);
    const int64_t r = std::max<int64_t>(8, int64_t(chunk_bytes / std::max<size_t>(W.row_bytes, 1)));
    return (r + kernels::kMaxDecodeRows - 1) / kernels::kMaxDecodeRows * kernels::kMaxDecodeRows;
  }
  // whole tiles, and whole groups of interleaved rows (a chunk that ends within one shares its
  // cache lines)
  const int64_t step = std::max<int64_t>(tile_rows, W.interleave);
  const int64_t r = std::max<int64_t>(step, int64_t(kChunkBytesPrefill / std::max<size_t>(W.row_bytes, 1)));
  return std::min(r, std::max<int64_t>(step, W.rows / (int64_t(n_threads) * 4))) / step * step;
}

// One group of kInterleaveRows rows (src: row-major, row_bytes apart) into dst, block i of
// each row side by side. The block's size a constant (the copies inline: a call per 18
// bytes took as long as the copy); interleaves_rows admits only these types.
template <size_t B>
void copy_blocks_interleaved(const uint8_t* src, uint8_t* dst, size_t row_bytes) {
  for (size_t i = 0; i < row_bytes / B; ++i)
    for (int r = 0; r < kernels::kInterleaveRows; ++r, dst += B)
      std::memcpy(dst, src + size_t(r) * row_bytes + i * B, B);
}
void copy_group_interleaved(const uint8_t* src, uint8_t* dst, size_t row_bytes, GgmlType type) {
  static_assert(sizeof(BlockQ4_0) == sizeof(BlockIQ4_NL), "Q4_0 and IQ4_NL blocks share the copy");
  if (type == GgmlType::MXFP4) return copy_blocks_interleaved<sizeof(BlockMXFP4)>(src, dst, row_bytes);
  copy_blocks_interleaved<sizeof(BlockQ4_0)>(src, dst, row_bytes);  // Q4_0, IQ4_NL
}

// Rows [r0, r1) of one part for all tokens, in tiles of up to p.tile_rows rows x
// p.tile_tokens tokens.
void run_chunk(const Part& p, int64_t r0, int64_t r1, int64_t n_tokens) {
  const WeightMatrix& W = *p.W;
  kernels::DotTile tile{nullptr, W.row_bytes, 0, nullptr, p.act_bytes, 0, W.cols, nullptr, size_t(W.rows)};
  if (W.interleave != 1) {  // tiles stay within a group: whole groups a chunk, tiles of 4 or 8 rows
    const size_t block_bytes = ggml_type_traits(W.type)->type_size;
    tile.w_stride = block_bytes;
    tile.w_block_step = block_bytes * size_t(W.interleave);
  }
  const int64_t tile_rows = p.tile_rows;
  for (int64_t t0 = 0; t0 < n_tokens; t0 += p.tile_tokens) {
    tile.act = p.act + size_t(t0) * p.act_bytes;
    tile.n_act = int(std::min<int64_t>(p.tile_tokens, n_tokens - t0));
    const kernels::DotFn f = tile.n_act == 4 ? p.dot_gemm : p.dot;
    for (int64_t r = r0; r < r1; r += tile_rows) {
      tile.w = row_start(W, r);
      tile.n_w = int(std::min<int64_t>(tile_rows, r1 - r));
      tile.out = p.y + t0 * W.rows + r;
      f(tile);
    }
  }
}

}  // namespace

WeightMatrix interleave_rows(const WeightMatrix& W, uint8_t* dst, ThreadPool* pool) {
  check(W, 0);
  const int64_t g = kernels::kInterleaveRows;
  if (W.interleave != 1 || !kernels::interleaves_rows(W.type, W.rows))
    throw Error("BAD_ARGUMENT", std::string("interleave_rows: a ") + std::to_string(W.rows) + "-row " +
                                    ggml_type_name(uint32_t(W.type)) + " matrix" +
                                    (W.interleave != 1 ? " already interleaved" : " is not interleaved on this CPU"));
  auto groups = [&](int64_t g0, int64_t g1, int) {
    for (int64_t q = g0; q < g1; ++q)
      copy_group_interleaved(W.data + size_t(q * g) * W.row_bytes, dst + size_t(q * g) * W.row_bytes, W.row_bytes,
                             W.type);
  };
  if (pool && pool->size() > 1) pool->parallel_for(W.rows / g, groups);
  else groups(0, W.rows / g, 0);
  WeightMatrix v = W;
  v.data = dst;
  v.interleave = int(g);
  return v;
}

void dequantize_matrix_row(const WeightMatrix& W, int64_t r, float* out) {
  if (r < 0 || r >= W.rows)
    throw Error("BAD_ARGUMENT", "row " + std::to_string(r) + " of a " + std::to_string(W.rows) + "-row matrix");
  const uint8_t* row = row_start(W, r);
  if (W.interleave == 1) return dequantize_row(W.type, row, out, W.cols);
  const GgmlTypeTraits& tr = *ggml_type_traits(W.type);  // its blocks a group's width apart
  const size_t step = size_t(W.interleave) * tr.type_size;
  for (int64_t i = 0; i < W.cols / tr.block_size; ++i)
    dequantize_row(W.type, row + size_t(i) * step, out + i * tr.block_size, tr.block_size);
}

void matmul(const WeightMatrix& W, const float* x, int64_t n_tokens, float* y, ThreadPool& pool,
            std::vector<uint8_t>& scratch, MatmulOrder order) {
  const MatmulTarget target{&W, y, order};
  matmul_multi(&target, 1, x, n_tokens, pool, scratch);
}

void matmul_multi(const MatmulTarget* targets, int count, const float* x, int64_t n_tokens, ThreadPool& pool,
                  std::vector<uint8_t>& scratch) {
  if (count < 1 || count > kMaxMatmulTargets)
    throw Error("BAD_ARGUMENT", "matmul: " + std::to_string(count) + " matrices (1 to " +
                                    std::to_string(kMaxMatmulTargets) + " per call)");
  Part parts[kMaxMatmulTargets];
  GgmlType act_types[kMaxMatmulTargets];
  for (int i = 0; i < count; ++i) {
    const WeightMatrix* W = targets[i].W;
    if (!W) throw Error("BAD_ARGUMENT", "matmul: null matrix");
    check(*W, n_tokens);
    if (!targets[i].y && W->rows > 0 && n_tokens > 0) throw Error("BAD_ARGUMENT", "matmul: null output");
    if (W->cols != targets[0].W->cols) throw Error("BAD_ARGUMENT", "matmul: matrices of one input differ in columns");
    act_types[i] = vec_dot_type(W->type);  // throws UNSUPPORTED_TYPE
    // Where llama.cpp would repack W, its gemm order for full tiles of 4 tokens
    // (the tiles start at multiples of 4, like its gemm groups; mul_mat_id has
    // none) and its gemv order for the others; else ggml's vec_dot order (kernels.h).
    // Where it would run its IQ panel (IQ4_XS, 8 tokens or more), the panel's order for
    // every token.
    const bool repack = kernels::llama_repacks(W->type, W->rows);
    const bool panel = kernels::llama_iq_panel(W->type, W->rows, n_tokens);
    Part& p = parts[i];
    p.W = W;
    p.y = targets[i].y;
    p.dot = panel    ? kernels::select_dot_panel(W->type)
            : repack ? kernels::select_dot_repack(W->type, false)
                     : kernels::select_dot(W->type);
    p.tile_rows = panel ? kernels::kMaxWeightRows : kernels::tile_rows(W->type, repack);
    p.tile_tokens = panel ? kernels::kMaxPanelActRows : kernels::kMaxActRows;
    p.dot_gemm = repack && targets[i].order == MatmulOrder::kMulMat ? kernels::select_dot_repack(W->type, true) : p.dot;
    if (!p.dot || !p.dot_gemm || !kernels::select_convert(act_types[i]))
      throw Error("UNSUPPORTED_TYPE", std::string("matmul: no kernel for ") + ggml_type_name(uint32_t(W->type)));
    p.act_bytes = type_row_bytes(act_types[i], W->cols);
  }
  if (n_tokens == 0) return;

  const int64_t cols = targets[0].W->cols;
  int64_t work = 0;
  size_t total_bytes = 0;
  for (int i = 0; i < count; ++i) {
    work += parts[i].W->rows * cols * n_tokens;
    total_bytes += size_t(parts[i].W->rows) * parts[i].W->row_bytes;
  }
  if (work == 0) return;
  const bool parallel = pool.size() > 1 && work >= kMinParallelWork;

  // 1. activations -> each distinct vec_dot_type once, (n_tokens, act_bytes) each
  //    in scratch (F32 weights read x in place)
  int first_of[kMaxMatmulTargets];  // the part whose conversion part i shares
  size_t offset[kMaxMatmulTargets], scratch_bytes = 0;
  for (int i = 0; i < count; ++i) {
    first_of[i] = i;
    for (int j = 0; j < i; ++j)
      if (act_types[j] == act_types[i]) { first_of[i] = j; break; }
    offset[i] = scratch_bytes;
    if (first_of[i] == i && act_types[i] != GgmlType::F32) scratch_bytes += size_t(n_tokens) * parts[i].act_bytes;
  }
  if (scratch.size() < scratch_bytes) scratch.resize(scratch_bytes);
  auto convert_rows = [&](int64_t t0, int64_t t1, int) {
    for (int i = 0; i < count; ++i) {
      if (first_of[i] != i || act_types[i] == GgmlType::F32) continue;
      const kernels::ConvertFn convert = kernels::select_convert(act_types[i]);
      uint8_t* dst = scratch.data() + offset[i];
      for (int64_t t = t0; t < t1; ++t) convert(x + t * cols, dst + size_t(t) * parts[i].act_bytes, cols);
    }
  };
  if (scratch_bytes > 0) {
    if (parallel && n_tokens >= 2 * pool.size()) pool.parallel_for(n_tokens, convert_rows);
    else convert_rows(0, n_tokens, 0);
  }
  for (int i = 0; i < count; ++i)
    parts[i].act = act_types[i] == GgmlType::F32 ? reinterpret_cast<const uint8_t*>(x)
                                                 : scratch.data() + offset[first_of[i]];

  // 2. chunks of weight rows of all parts, claimed dynamically
  int64_t n_chunks = 0;
  for (int i = 0; i < count; ++i) {
    Part& p = parts[i];
    p.rows_per_chunk = rows_per_chunk(*p.W, p.tile_rows, n_tokens, total_bytes, pool.size());
    p.first_chunk = n_chunks;
    n_chunks += (p.W->rows + p.rows_per_chunk - 1) / p.rows_per_chunk;
  }
  std::atomic<int64_t> next_chunk{0};
  auto work_fn = [&](int) {
    int i = 0;  // chunks are claimed in increasing order: the part index only grows
    for (;;) {
      const int64_t c = next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (c >= n_chunks) return;
      while (i + 1 < count && c >= parts[i + 1].first_chunk) ++i;
      const Part& p = parts[i];
      const int64_t r0 = (c - p.first_chunk) * p.rows_per_chunk;
      run_chunk(p, r0, std::min(p.W->rows, r0 + p.rows_per_chunk), n_tokens);
    }
  };
  if (parallel) pool.run(work_fn);
  else work_fn(0);
}

}  // namespace tome
