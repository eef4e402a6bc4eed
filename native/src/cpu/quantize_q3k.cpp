// Q3_K's reference quantizer (no importance matrix), the math of ggml's
// quantize_row_q3_K_ref written afresh, so a row quantizes to ggml's bytes:
//   each 16-element sub-block is fitted as x ~ scale * q, q in -4..3, starting from the
//   levels of its largest magnitude and refining them one at a time while that raises
//   (sum w x q)^2 / sum w q^2 with w = x^2 (fit_q3); the 16 scales are then quantized to
//   6 bits against the super-block's d, and q recomputed with them (a sub-block whose
//   scale rounds to 0 keeps its fitted levels).
#include <cmath>
#include <cstring>

#include "common/fp16.h"
#include "cpu/kernels.h"
#include "cpu/quant_blocks.h"
#include "cpu/quantize_impl.h"

namespace tome {
namespace quantizers {

namespace {

using kernels::round_even;

inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Levels L (stored + 4, 0..7) and the scale of 16 values; 0 for an all-zero block.
float fit_q3(const float* x, int8_t* L) {
  constexpr int n = 16, nmax = 4;
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  if (amax < 1e-15f) {
    std::memset(L, 0, n);
    return 0.0f;
  }
  const float iscale = -float(nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = int8_t(clamp_int(round_even(iscale * x[i]), -nmax, nmax - 1));
    const float w = x[i] * x[i];
    sumlx += w * x[i] * float(L[i]);
    suml2 += w * float(L[i]) * float(L[i]);
  }
  // one level at a time, kept where the fit's (sum w x q)^2 / sum w q^2 grows
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * float(L[i]);
      if (!(slx > 0)) continue;
      float sl2 = suml2 - w * float(L[i]) * float(L[i]);
      const int q = clamp_int(round_even(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (q == L[i]) continue;
      slx += w * x[i] * float(q);
      sl2 += w * float(q) * float(q);
      if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
        L[i] = int8_t(q);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) L[i] = int8_t(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

}  // namespace

void q3_K_ref(const float* x, void* dst, int64_t n) {
  BlockQ3_K* y = static_cast<BlockQ3_K*>(dst);
  int8_t L[kQKK];
  float scales[16];
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float max_scale = 0, amax = 0;
    for (int s = 0; s < 16; ++s) {
      scales[s] = fit_q3(x + 16 * s, L + 16 * s);
      if (std::fabs(scales[s]) > amax) {
        amax = std::fabs(scales[s]);
        max_scale = scales[s];
      }
    }
    std::memset(y[i].scales, 0, sizeof y[i].scales);
    y[i].d = fp32_to_fp16(0.0f);
    if (max_scale != 0.0f) {
      const float iscale = -32.0f / max_scale;
      for (int s = 0; s < 16; ++s) {
        const int q = clamp_int(int(int8_t(round_even(iscale * scales[s]))), -32, 31) + 32;
        if (s < 8) y[i].scales[s] = uint8_t(q & 0xF);
        else y[i].scales[s - 8] = uint8_t(y[i].scales[s - 8] | ((q & 0xF) << 4));
        y[i].scales[8 + s % 4] = uint8_t(y[i].scales[8 + s % 4] | ((q >> 4) << (2 * (s / 4))));
      }
      y[i].d = fp32_to_fp16(1.0f / iscale);
    }
    for (int s = 0; s < 16; ++s) {
      const float d = fp16_to_fp32(y[i].d) * float(q3_K_scale(y[i].scales, s) - 32);
      if (d == 0.0f) continue;
      for (int e = 16 * s; e < 16 * s + 16; ++e) L[e] = int8_t(clamp_int(round_even(x[e] / d), -4, 3) + 4);
    }
    // element e: 3rd bit into hmask[e % 32] bit e / 32, low 2 bits into qs (BlockQ3_K)
    std::memset(y[i].hmask, 0, sizeof y[i].hmask);
    std::memset(y[i].qs, 0, sizeof y[i].qs);
    for (int e = 0; e < kQKK; ++e) {
      const int u = L[e];
      if (u > 3) y[i].hmask[e % 32] = uint8_t(y[i].hmask[e % 32] | (1 << (e / 32)));
      const int c = e / 128, j = (e % 128) / 32, l = e % 32;
      y[i].qs[32 * c + l] = uint8_t(y[i].qs[32 * c + l] | ((u & 3) << (2 * j)));
    }
  }
}

}  // namespace quantizers
}  // namespace tome
