// The two inner loops of an attention tile under llama.cpp's sum orders
// (sum_order.h): the batch order of a prefill (one SIMD register of 8 lanes on
// AVX2 builds, 16 on AVX-512 ones) and the one-query order of a decode step
// (64 lanes on AVX-512 builds; the AVX2 build's 32 lanes with its paired tail
// stay on the general path), fma per lane, halving reduction. Each
// result is computed with exactly the operations, operands and order of
// ordered_dot / OrderedAccumulator, so it is bit for bit the same; what changes
// is that independent chains run side by side (8 dots in flight instead of one
// latency-bound chain; a lane's accumulator kept in registers across its keys
// instead of loaded and stored per key).
//   dots_batch  out[j] = scale * ordered_dot(q, k_j, hd, batch order)   j < nb
//   pv_batch    acc[j % lanes] += p[j] * v_j  for j < nb, in increasing j per lane
// fast_lanes(order, hd) says whether they apply (AVX2+FMA, an order of 8, 16,
// 32 or 64 lanes without the paired tail, hd a multiple of it and <= 1024) and with how
// many lanes; 0: keep the general path.
#pragma once
#include <cstddef>
#include <cstdint>

#include "attention/sum_order.h"

namespace tome {

int fast_lanes(const SumOrder& order, int hd);
inline int batch_fast_lanes(int hd) { return fast_lanes(batch_order(), hd); }

namespace avx2 {
// keys: (nb, hd) rows of f32; out: nb scores. lanes: 8, 16, 32 or 64, dividing hd.
void dots_batch(const float* q, const float* keys, int64_t nb, int hd, int lanes, float scale, float* out);
// acc: (lanes, hd) accumulators; p: nb weights; v: (nb, hd) rows. Key j of
// this call is on lane j % lanes (callers pass blocks starting at a multiple of lanes).
void pv_batch(float* acc, const float* p, const float* v, int64_t nb, int hd, int lanes);
// pv_batch on columns [d_begin, d_end) only (multiples of 8): each column is its
// own chain, so column ranges may go to different threads.
void pv_batch_cols(float* acc, const float* p, const float* v, int64_t nb, int hd, int lanes, int d_begin,
                   int d_end);
// The same reading the KV cache's f16 rows directly (row j at keys / v + j * stride),
// widened in registers: exact, so bit for bit the f32 kernels on converted rows.
void dots_batch_h(const float* q, const uint16_t* keys, size_t stride, int64_t nb, int hd, int lanes, float scale,
                  float* out);
void pv_batch_cols_h(float* acc, const float* p, const uint16_t* v, size_t stride, int64_t nb, int hd, int lanes,
                     int d_begin, int d_end);
}  // namespace avx2

// One build of the kernels above, as the attention paths call them (where
// fast_lanes() allows); every build gives the same bits.
//   pv_rows  pv_batch for n_rows rows (accumulators acc[i], weights p[i]) over
//            the same nb rows of v (the AVX-512 build shares each V row's loads
//            among four rows)
struct BatchKernels {
  void (*dots)(const float* q, const float* keys, int64_t nb, int hd, int lanes, float scale, float* out);
  void (*dots_h)(const float* q, const uint16_t* keys, size_t stride, int64_t nb, int hd, int lanes, float scale,
                 float* out);
  void (*pv)(float* acc, const float* p, const float* v, int64_t nb, int hd, int lanes);
  void (*pv_cols_h)(float* acc, const float* p, const uint16_t* v, size_t stride, int64_t nb, int hd, int lanes,
                    int d_begin, int d_end);
  void (*pv_rows)(float* const* acc, const float* const* p, int n_rows, const float* v, int64_t nb, int hd,
                  int lanes);
};

namespace avx2 {
const BatchKernels& batch_kernels();  // the functions above
}
namespace avx512 {
const BatchKernels& batch_kernels();  // zmm registers (batch_kernels_avx512.cpp)
}
// The build this CPU runs: AVX-512 where cpu_features().avx512, else AVX2.
const BatchKernels& batch_kernels();

}  // namespace tome
