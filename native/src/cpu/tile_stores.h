// The glue the 4-token tile kernels share (dot_q32_gemm_impl.h, dot_q4k_gemm_impl.h,
// dot_q2k_vnni.cpp, dot_iq4xs_vnni.cpp): running a kernel instanced by its
// weight-row count over a tile's rows, and writing a step's results to
// DotTile::out (out[k * out_stride + r], kernels.h).
#pragma once
#include <algorithm>

#include "cpu/kernels.h"

namespace tome {
namespace kernels {

// by_rows[m - 1](t, r0) computes weight rows r0 .. r0 + m - 1 (m = 1..4)
// against the tile's tokens. Runs it over t's rows `step` (<= 4) at a time, the
// last step as many rows as remain.
using RowsKernel = void (*)(const DotTile& t, int r0);
inline void over_row_steps(const DotTile& t, const RowsKernel (&by_rows)[4], int step = 4) {
  for (int r0 = 0; r0 < t.n_w; r0 += step) by_rows[std::min(step, t.n_w - r0) - 1](t, r0);
}

// res[4r + k] (r < nw, k < 4) is weight row r0 + r against token k.
inline void store_rows_by_token(const DotTile& t, int r0, int nw, const float* res) {
  for (int r = 0; r < nw; ++r)
    for (int k = 0; k < 4; ++k) t.out[size_t(k) * t.out_stride + size_t(r0 + r)] = res[4 * r + k];
}

// A 4 x 4 step in llama.cpp's repacked lane order: lane l of v[h] is weight row
// r0 + (l & 1) + 2 (l >> 2) against token k0 + ((l >> 1) & 1) + 2h. A step short
// of rows or tokens repeated its last one; those outputs are dropped.
inline void store_repacked_4x4(const DotTile& t, int r0, int k0, const float (&v)[2][8]) {
  for (int h = 0; h < 2; ++h)
    for (int l = 0; l < 8; ++l) {
      const int r = r0 + (l & 1) + 2 * (l >> 2), k = k0 + ((l >> 1) & 1) + 2 * h;
      if (r < t.n_w && k < t.n_act) t.out[size_t(k) * t.out_stride + size_t(r)] = v[h][l];
    }
}

}  // namespace kernels
}  // namespace tome
