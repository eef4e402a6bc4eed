// Reference quantizers of the K-quants (no importance matrix), the math of
// ggml's quantize_row_q{2,4,5,6}_K_ref written afresh (Q2_K: q2_K_ref's comment):
//   Q4_K / Q5_K: each 32-element sub-block is fitted as x ~ scale*q - min (q in
//   0..15 or 0..31) by a weighted least-squares search over a grid of scalings
//   (fit_scale_min); the 8 scales and 8 mins are then themselves quantized to
//   6 bits against the super-block's d and dmin, and q is recomputed with them.
//   Q6_K: each 16-element sub-block gets a symmetric signed scale (fit_symmetric,
//   q in -32..31), the 16 scales are quantized to int8 against d.
// The sub-block fits live in kquant_fit.cpp (four sub-blocks at a time on SSE2).
#include <cmath>
#include <cstring>

#include "common/fp16.h"
#include "cpu/kernels.h"
#include "cpu/kquant_fit.h"
#include "cpu/quant_blocks.h"
#include "cpu/quantize_impl.h"

namespace tome {
namespace quantizers {

namespace {

using kernels::round_even;

inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Packs 8 six-bit scales and mins into the 12-byte layout kquant_scale_min reads.
void pack_scales_mins(const uint8_t ls[8], const uint8_t lm[8], uint8_t out[12]) {
  for (int j = 0; j < 4; ++j) {
    out[j] = uint8_t(ls[j] | ((ls[j + 4] >> 4) << 6));
    out[j + 4] = uint8_t(lm[j] | ((lm[j + 4] >> 4) << 6));
    out[j + 8] = uint8_t((ls[j + 4] & 0xF) | ((lm[j + 4] & 0xF) << 4));
  }
}

// Shared by Q4_K (nmax 15) and Q5_K (nmax 31): fits the 8 sub-blocks of one
// super-block, writes d, dmin, scales, and the final levels L[256].
void fit_superblock_scale_min(const float* x, int nmax, float rmin, float rdelta, int nstep,
                              uint16_t* d_out, uint16_t* dmin_out, uint8_t scales_out[12],
                              uint8_t L[kQKK]) {
  float scales[8], mins[8], w[kQKK];
  for (int j = 0; j < 8; ++j) {
    const float* xb = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xb[l] * xb[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) w[32 * j + l] = av_x + std::fabs(xb[l]);  // favour large values
  }
  fit_scale_min_blocks(8, 32, nmax, x, w, L, scales, mins, rmin, rdelta, nstep, false);
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    if (scales[j] > max_scale) max_scale = scales[j];  // (an all-zero block's min is -0:
    if (mins[j] > max_min) max_min = mins[j];          //  it must not become dmin)
  }
  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {  // (uint8_t then min 63, as ggml: a negative fit wraps to 63)
    ls[j] = uint8_t(round_even(inv_scale * scales[j]));
    lm[j] = uint8_t(round_even(inv_min * mins[j]));
    ls[j] = ls[j] < 63 ? ls[j] : 63;
    lm[j] = lm[j] < 63 ? lm[j] : 63;
  }
  pack_scales_mins(ls, lm, scales_out);
  *d_out = fp32_to_fp16(max_scale / 63.0f);
  *dmin_out = fp32_to_fp16(max_min / 63.0f);
  // Recompute the levels against the scales as they will be decoded.
  const float d = fp16_to_fp32(*d_out), dmin = fp16_to_fp32(*dmin_out);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    kquant_scale_min(j, scales_out, &sc, &m);
    const float ds = d * float(sc);
    if (ds == 0.0f) continue;  // keep the fitted levels; they decode to -dm anyway
    const float dm = dmin * float(m);
    for (int l = 0; l < 32; ++l)
      L[32 * j + l] = uint8_t(clamp_int(round_even((x[32 * j + l] + dm) / ds), 0, nmax));
  }
}

}  // namespace

// Q2_K: 16 sub-blocks of 16 fitted as x ~ scale*q - min (q 0..3, weights |x|, absolute
// error), scales and mins as 4-bit multiples of d = max scale / 15 and dmin = max
// min / 15 (written as ggml does: no clamp, a nibble each), levels recomputed.
void q2_K_ref(const float* x, void* dst, int64_t n) {
  BlockQ2_K* y = static_cast<BlockQ2_K*>(dst);
  uint8_t L[kQKK];
  float scales[16], mins[16], w[kQKK];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    for (int l = 0; l < kQKK; ++l) w[l] = std::fabs(x[l]);
    fit_scale_min_blocks(16, 16, 3, x, w, L, scales, mins, -0.5f, 0.1f, 15, true);
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    const float iscale = max_scale > 0 ? 15.0f / max_scale : 0.0f, imin = max_min > 0 ? 15.0f / max_min : 0.0f;
    for (int j = 0; j < 16; ++j)
      y[i].scales[j] = uint8_t(round_even(iscale * scales[j]) | (round_even(imin * mins[j]) << 4));
    y[i].d = fp32_to_fp16(max_scale > 0 ? max_scale / 15.0f : 0.0f);
    y[i].dmin = fp32_to_fp16(max_min > 0 ? max_min / 15.0f : 0.0f);
    const float d = fp16_to_fp32(y[i].d), dmin = fp16_to_fp32(y[i].dmin);
    for (int j = 0; j < 16; ++j) {
      const float ds = d * float(y[i].scales[j] & 0xF);
      if (ds == 0.0f) continue;
      const float dm = dmin * float(y[i].scales[j] >> 4);
      for (int l = 0; l < 16; ++l) L[16 * j + l] = uint8_t(clamp_int(round_even((x[16 * j + l] + dm) / ds), 0, 3));
    }
    for (int c = 0; c < 2; ++c)
      for (int l = 0; l < 32; ++l)
        y[i].qs[32 * c + l] = uint8_t(L[128 * c + l] | (L[128 * c + l + 32] << 2) | (L[128 * c + l + 64] << 4) |
                                      (L[128 * c + l + 96] << 6));
  }
}

void q4_K_ref(const float* x, void* dst, int64_t n) {
  BlockQ4_K* y = static_cast<BlockQ4_K*>(dst);
  uint8_t L[kQKK];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    fit_superblock_scale_min(x, 15, -1.0f, 0.1f, 20, &y[i].d, &y[i].dmin, y[i].scales, L);
    // chunk c (64 elements): qs[32c + l] = L[64c + l] | L[64c + 32 + l] << 4
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) y[i].qs[32 * c + l] = uint8_t(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
  }
}

void q5_K_ref(const float* x, void* dst, int64_t n) {
  BlockQ5_K* y = static_cast<BlockQ5_K*>(dst);
  uint8_t L[kQKK];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    fit_superblock_scale_min(x, 31, -0.5f, 0.1f, 15, &y[i].d, &y[i].dmin, y[i].scales, L);
    std::memset(y[i].qh, 0, sizeof y[i].qh);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t a = L[64 * c + l], b = L[64 * c + 32 + l];
        y[i].qs[32 * c + l] = uint8_t((a & 0xF) | ((b & 0xF) << 4));
        y[i].qh[l] |= uint8_t(((a >> 4) << (2 * c)) | ((b >> 4) << (2 * c + 1)));
      }
    }
  }
}

void q6_K_ref(const float* x, void* dst, int64_t n) {
  BlockQ6_K* y = static_cast<BlockQ6_K*>(dst);
  uint8_t L[kQKK];
  float scales[16];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float max_scale = 0, max_abs_scale = 0;
    fit_symmetric_blocks(16, 16, 32, x, L, scales);
    for (int g = 0; g < 16; ++g) {
      if (std::fabs(scales[g]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[g]);
        max_scale = scales[g];
      }
    }
    std::memset(&y[i], 0, sizeof(BlockQ6_K));
    if (max_abs_scale < 1e-15f) continue;  // all zero: d = 0
    const float iscale = -128.0f / max_scale;
    y[i].d = fp32_to_fp16(1.0f / iscale);
    for (int g = 0; g < 16; ++g) y[i].scales[g] = int8_t(clamp_int(round_even(iscale * scales[g]), -128, 127));
    const float d = fp16_to_fp32(y[i].d);
    for (int g = 0; g < 16; ++g) {
      const float ds = d * float(y[i].scales[g]);
      if (ds == 0.0f) continue;
      for (int l = 0; l < 16; ++l)
        L[16 * g + l] = uint8_t(32 + clamp_int(round_even(x[16 * g + l] / ds), -32, 31));
    }
    // half h, element 128h + 32k + l (k < 4): low nibble into ql[64h + l + 32*(k&1)]
    // (low half of the byte for k < 2), high 2 bits into qh[32h + l] bits 2k..2k+1.
    for (int h = 0; h < 2; ++h) {
      const uint8_t* Lh = L + 128 * h;
      for (int l = 0; l < 32; ++l) {
        y[i].ql[64 * h + l] = uint8_t((Lh[l] & 0xF) | ((Lh[l + 64] & 0xF) << 4));
        y[i].ql[64 * h + l + 32] = uint8_t((Lh[l + 32] & 0xF) | ((Lh[l + 96] & 0xF) << 4));
        y[i].qh[32 * h + l] = uint8_t((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) | ((Lh[l + 64] >> 4) << 4) |
                                      ((Lh[l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace quantizers
}  // namespace tome
