// F32 matrix products in the order llama.cpp's llamafile sgemm (tinyBLAS) sums them,
// which ggml's CPU mul_mat takes for F32 weights on a prompt of 2 tokens or more when
// the row length is a whole number of vectors and the rows come in fours (else it
// falls back to ggml_vec_dot_f32, tome's matmul). Each element: `lanes` fused
// multiply-add accumulators, element i feeding lane i % lanes in order, then summed
// as the build's hsum does: for 16 lanes (AVX-512) lane j + lane j + 8 first, then
// for 8 the tree ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7)).
#pragma once
#include <cstdint>

namespace tome {

class ThreadPool;

// True when llama.cpp's mul_mat would run sgemm on these shapes: n_tokens >= 2,
// cols % lanes == 0, rows % 4 == 0 (lanes: sgemm_f32_lanes()).
bool sgemm_f32_applies(int64_t rows, int64_t cols, int64_t n_tokens);

// The vector width of the llama.cpp build this CPU loads: 16 (AVX-512), 8 (AVX2), or
// 0 where it runs no sgemm kernel tome mirrors.
int sgemm_f32_lanes();

// y (n_tokens, rows) = x (n_tokens, cols) . W^T, W (rows, cols) f32, in sgemm's
// order (requires sgemm_f32_applies); tokens split across the pool.
void sgemm_f32(const float* W, int64_t rows, int64_t cols, const float* x, int64_t n_tokens, float* y,
               ThreadPool& pool);

namespace avx2 {
// One element in sgemm's order, lanes 8 or 16 (cols % lanes == 0).
float sgemm_f32_dot(const float* w, const float* x, int64_t cols, int lanes);
}  // namespace avx2

}  // namespace tome
