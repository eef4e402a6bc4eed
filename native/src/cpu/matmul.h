// Matrix products with a (possibly quantized) weight matrix, multithreaded.
#pragma once
#include <cstdint>
#include <vector>

#include "common/ggml_type.h"

namespace tome {

class ThreadPool;

// A weight matrix: `rows` rows of `cols` elements, each row ggml_row_bytes(type, cols)
// bytes. interleave 1: row-major as stored in GGUF (data points into the mmap);
// kernels::kInterleaveRows: groups of that many rows, each group's rows' block i side
// by side, then their block i + 1 (interleave_rows(); the same bytes, the same sums).
struct WeightMatrix {
  GgmlType type;
  int64_t rows;
  int64_t cols;
  const uint8_t* data;
  size_t row_bytes;
  int interleave = 1;
};

// Copies row-major W into dst (rows * row_bytes bytes) with its rows interleaved and
// returns the matrix that reads dst; on the pool's threads where one is given. Throws
// BAD_ARGUMENT where W is not row-major or kernels::interleaves_rows(W.type, W.rows)
// does not hold (only the kernels of those types read the layout, and only on CPUs
// where llama.cpp repacks them).
WeightMatrix interleave_rows(const WeightMatrix& W, uint8_t* dst, ThreadPool* pool = nullptr);

// Row r of W (either layout) as W.cols floats: an embedding lookup. Throws BAD_ARGUMENT
// for a row outside [0, W.rows).
void dequantize_matrix_row(const WeightMatrix& W, int64_t r, float* out);

// Whose summation order a product follows where llama.cpp repacks its weights
// (kernels::llama_repacks): mul_mat runs its gemm on each group of 4 tokens and its
// gemv on the rest; mul_mat_id (a mixture of experts' expert matrices) its gemv
// on every token. Elsewhere both are ggml's vec_dot order.
enum class MatmulOrder { kMulMat, kMulMatId };

// y (n_tokens, W.rows) = x (n_tokens, W.cols) . W^T
// x is converted once to vec_dot_type(W.type); rows of W are split across threads
// (and tokens tiled so each weight block is loaded once per tile of tokens).
// scratch is grown as needed and reused between calls.
// Each y element is one kernel dot (see vec_dot), so y does not depend on the pool
// size or the tiling. Against llama.cpp's mul_mat on an AVX2 or AVX-512 CPU it is
// bit-exact for Q8_0, Q5_0, Q4_1, Q5_1, Q3_K, Q5_K, Q6_K, for Q4_0 and Q2_K in a plain
// buffer, for Q4_0, IQ4_NL, MXFP4, Q4_K and Q2_K where llama.cpp repacks them
// (kernels::llama_repacks: its gemv and gemm orders), and for IQ4_XS (vec_dot's order, or its IQ panel's from 8 tokens:
// kernels::llama_iq_panel; tests/cpu/test_cpu_ggml_oracle.cpp); other cases differ by float
// summation order only (~1e-7 of sum |w x|).
// Throws UNSUPPORTED_TYPE for types without a kernel, BAD_ARGUMENT for bad shapes.
void matmul(const WeightMatrix& W, const float* x, int64_t n_tokens, float* y,
            ThreadPool& pool, std::vector<uint8_t>& scratch, MatmulOrder order = MatmulOrder::kMulMat);

// One product of matmul_multi: y (n_tokens, W->rows) = x . W^T.
struct MatmulTarget {
  const WeightMatrix* W;
  float* y;
  MatmulOrder order = MatmulOrder::kMulMat;
};
constexpr int kMaxMatmulTargets = 8;

// Several products of the same x (n_tokens, cols), e.g. the Q, K and V projections
// or the FFN gate and up: x is converted once per distinct vec_dot_type (matrices
// of different types mix freely) and the rows of all matrices are done in one
// pool run, so a decode step pays one thread-pool synchronization instead of one
// per matrix. Every y element is the same kernel dot as matmul() gives: the
// results equal separate matmul() calls bit for bit.
// Throws as matmul(); BAD_ARGUMENT also for count outside [1, kMaxMatmulTargets],
// matrices of different column counts, a null W, or a null y where
// there is something to write.
void matmul_multi(const MatmulTarget* targets, int count, const float* x, int64_t n_tokens,
                  ThreadPool& pool, std::vector<uint8_t>& scratch);

}  // namespace tome
