// Internal: the K-quants' sub-block fits, without an importance matrix.
//   asymmetric (Q2_K, Q4_K, Q5_K; ggml's make_qkx2_quants): each sub-block of n
//   elements fitted as x[i] ~ scale * L[i] - min, L[i] in [0, nmax], min >= 0,
//   minimizing sum w[i] * err^2 (abs_error: sum w[i] * |err|) over a grid of nstep + 1
//   scalings;
//   symmetric (Q6_K; ggml's make_qx_quants, rmse_type 1): x[i] ~ scale * (L[i] - nmax),
//   L[i] - nmax in [-nmax, nmax - 1], weights x^2, 19 scalings around -nmax / max.
#pragma once
#include <cstdint>

namespace tome {
namespace quantizers {

// `count` sub-blocks of n <= 32 elements, x and w count * n floats in a row: sub-block j
// gets L[j * n .. j * n + n), scales[j] and mins[j]. Where SSE2 exists, four sub-blocks
// are fitted at once, each in its own lane with ggml's operations in ggml's order: the
// same bits as one at a time (fit_scale_min_blocks_one_by_one, kept for the test).
void fit_scale_min_blocks(int count, int n, int nmax, const float* x, const float* w, uint8_t* L, float* scales,
                          float* mins, float rmin, float rdelta, int nstep, bool abs_error);
void fit_scale_min_blocks_one_by_one(int count, int n, int nmax, const float* x, const float* w, uint8_t* L,
                                     float* scales, float* mins, float rmin, float rdelta, int nstep, bool abs_error);

// `count` sub-blocks of n <= 16 elements fitted symmetrically, four at a time where SSE2
// exists as above: L as stored (L[i] - nmax the signed level), scales[j] (0: all zero).
void fit_symmetric_blocks(int count, int n, int nmax, const float* x, uint8_t* L, float* scales);
void fit_symmetric_blocks_one_by_one(int count, int n, int nmax, const float* x, uint8_t* L, float* scales);

}  // namespace quantizers
}  // namespace tome
