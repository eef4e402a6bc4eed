// Internal: the asymmetric sub-block fit of the K-quants (Q2_K, Q4_K, Q5_K), ggml's
// make_qkx2_quants without an importance matrix. Each sub-block of n elements is
// fitted as x[i] ~ scale * L[i] - min, L[i] in [0, nmax], min >= 0, minimizing
// sum w[i] * err^2 (abs_error: sum w[i] * |err|) over a grid of nstep + 1 scalings.
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

}  // namespace quantizers
}  // namespace tome
