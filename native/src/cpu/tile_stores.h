// The glue the tile kernels share (dot_q32_gemm_impl.h, dot_q4k_gemm_impl.h,
// dot_q2k_vnni.cpp, dot_iq4xs_vnni.cpp, dot_kquant_avx2.cpp, dot_kquant_vnni.cpp): running
// a kernel instanced by its weight-row or token count over a tile, and writing a step's
// results to DotTile::out (out[k * out_stride + r], kernels.h).
// For the ISA files only, in an anonymous namespace like avx2_util.h: each file's
// copies are its own, built with its flags (one linker-merged copy, built for
// AVX-512, could otherwise run where only AVX2 is; a template instanced with a
// file's own kernel types is no exception: GCC emits those as weak symbols).
#pragma once
#include <algorithm>

#include "cpu/kernels.h"

namespace tome {
namespace kernels {
namespace {

// by_rows[m - 1](t, r0) computes weight rows r0 .. r0 + m - 1 (m = 1..4)
// against the tile's tokens. Runs it over t's rows `step` (<= 4) at a time, the
// last step as many rows as remain.
using RowsKernel = void (*)(const DotTile& t, int r0);
inline void over_row_steps(const DotTile& t, const RowsKernel (&by_rows)[4], int step = 4) {
  for (int r0 = 0; r0 < t.n_w; r0 += step) by_rows[std::min(step, t.n_w - r0) - 1](t, r0);
}

// Weight rows one at a time, tokens up to 4 together: Kernel<NA>::run(w, act,
// act_stride, n, out) dots one weight row with NA activation rows (the K-quant
// kernels: throughput-bound integer sums and two float steps per 256 elements, so a
// super-block is unpacked once per 4 tokens and rows need not share a step).
template <template <int> class Kernel>
void tile_by_rows(const DotTile& t) {
  float out[4];
  for (int r = 0; r < t.n_w; ++r) {
    const uint8_t* w = t.w + size_t(r) * t.w_stride;
    for (int k0 = 0; k0 < t.n_act; k0 += 4) {
      const int na = std::min(4, t.n_act - k0);
      const uint8_t* a = t.act + size_t(k0) * t.act_stride;
      switch (na) {
        case 1: Kernel<1>::run(w, a, t.act_stride, t.n, out); break;
        case 2: Kernel<2>::run(w, a, t.act_stride, t.n, out); break;
        case 3: Kernel<3>::run(w, a, t.act_stride, t.n, out); break;
        default: Kernel<4>::run(w, a, t.act_stride, t.n, out); break;
      }
      for (int k = 0; k < na; ++k) t.out[size_t(k0 + k) * t.out_stride + size_t(r)] = out[k];
    }
  }
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

}  // namespace
}  // namespace kernels
}  // namespace tome
