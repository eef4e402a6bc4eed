// The two inner loops of a prefill tile under llama.cpp's batch sum order
// (sum_order.h: one SIMD register of 8 lanes on AVX2 builds, 16 on AVX-512
// ones, fma per lane, halving reduction), for several keys at once. Each
// result is computed with exactly the operations, operands and order of
// ordered_dot / OrderedAccumulator, so it is bit for bit the same; what changes
// is that independent chains run side by side (8 dots in flight instead of one
// latency-bound chain; a lane's accumulator kept in registers across its keys
// instead of loaded and stored per key).
//   dots_batch  out[j] = scale * ordered_dot(q, k_j, hd, batch order)   j < nb
//   pv_batch    acc[j % lanes] += p[j] * v_j  for j < nb, in increasing j per lane
// batch_fast_lanes(hd) says whether they apply here (AVX2+FMA, a batch order of
// 8 or 16 lanes, hd a multiple of it) and with how many lanes; 0: keep the
// general path.
#pragma once
#include <cstdint>

namespace tome {

int batch_fast_lanes(int hd);

namespace avx2 {
// keys: (nb, hd) rows of f32; out: nb scores. lanes: 8 or 16, dividing hd.
void dots_batch(const float* q, const float* keys, int64_t nb, int hd, int lanes, float scale, float* out);
// acc: (lanes, hd) accumulators; p: nb weights; v: (nb, hd) rows. Key j of
// this call is on lane j % lanes (callers pass blocks starting at a multiple of lanes).
void pv_batch(float* acc, const float* p, const float* v, int64_t nb, int hd, int lanes);
}  // namespace avx2

}  // namespace tome
