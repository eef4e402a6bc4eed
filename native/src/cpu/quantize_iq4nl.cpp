// Reference quantizers of IQ4_NL and IQ4_XS (no importance matrix), the math of
// ggml's quantize_row_iq4_nl_impl: per 32-element block, pick the level table index
// nearest to x/d for a few candidate scales d, keep the scale with the best
// weighted least-squares fit (weights x^2), then assign indices for that scale.
// IQ4_XS then writes each block's scale as a 6-bit multiple of the super-block's
// d = -(the scale of largest magnitude)/32 and assigns indices for the rounded scale.
#include <cmath>

#include "common/fp16.h"
#include "cpu/kernels.h"
#include "cpu/quant_blocks.h"
#include "cpu/quantize_impl.h"

namespace tome {
namespace quantizers {

namespace {

// Index of the table level nearest to v (ties go to the upper level).
int nearest_level(float v) {
  if (v <= kIq4nlValues[0]) return 0;
  if (v >= kIq4nlValues[15]) return 15;
  int lo = 0, hi = 15;  // invariant: values[lo] <= v < values[hi]
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (v < kIq4nlValues[mid]) hi = mid; else lo = mid;
  }
  return v - float(kIq4nlValues[lo]) < float(kIq4nlValues[hi]) - v ? lo : hi;
}

// For inverse scale id: the least-squares scale sumqx/sumq2 of the levels chosen.
void fit_levels(const float* x, float id, float* sumqx, float* sumq2) {
  *sumqx = *sumq2 = 0;
  for (int j = 0; j < kQK32; ++j) {
    const float q = kIq4nlValues[nearest_level(id * x[j])];
    const float w = x[j] * x[j];
    *sumqx += w * q * x[j];
    *sumq2 += w * q * q;
  }
}

// The best scale of one 32-element block (0 when its largest magnitude is below 1e-15).
float block_scale(const float* x) {
  constexpr int kTries = 7;
  float amax = 0, max = 0;
  for (int j = 0; j < kQK32; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  if (amax < 1e-15f) return 0;
  // Start with the largest value on the outermost level (-127), refine.
  float sumqx, sumq2;
  fit_levels(x, 1.0f / (-max / float(kIq4nlValues[0])), &sumqx, &sumq2);
  float d = sumqx / sumq2;
  float best = d * sumqx;  // reduction of the weighted squared error
  for (int t = -kTries; t <= kTries; ++t) {
    fit_levels(x, (float(t) + float(kIq4nlValues[0])) / max, &sumqx, &sumq2);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      d = sumqx / sumq2;
      best = d * sumqx;
    }
  }
  return d;
}

// 32 elements' level indices for scale d, as nibbles (element j low, j + 16 high).
void pack_levels(const float* x, float d, uint8_t qs[kQK32 / 2]) {
  const float id = d != 0 ? 1.0f / d : 0.0f;
  for (int j = 0; j < kQK32 / 2; ++j) qs[j] = uint8_t(nearest_level(id * x[j]) | (nearest_level(id * x[j + 16]) << 4));
}

}  // namespace

void iq4_nl_ref(const float* x, void* dst, int64_t n) {
  BlockIQ4_NL* y = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
    const float d = block_scale(x);
    y[i].d = fp32_to_fp16(d);
    pack_levels(x, d, y[i].qs);
  }
}

void iq4_xs_ref(const float* x, void* dst, int64_t n) {
  BlockIQ4_XS* y = static_cast<BlockIQ4_XS*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float scales[8], max_scale = 0, amax_scale = 0;
    for (int s = 0; s < 8; ++s) {
      scales[s] = block_scale(x + kQK32 * s);
      if (std::fabs(scales[s]) > amax_scale) {
        amax_scale = std::fabs(scales[s]);
        max_scale = scales[s];
      }
    }
    const float d = -max_scale / 32;
    y[i].d = fp32_to_fp16(d);
    const float id = d != 0 ? 1 / d : 0.0f;
    y[i].scales_h = 0;
    for (int s = 0; s < 8; ++s) {
      int l = kernels::round_even(id * scales[s]);
      l = l < -32 ? -32 : l > 31 ? 31 : l;
      pack_levels(x + kQK32 * s, d * float(l), y[i].qs + 16 * s);
      l += 32;
      if (s % 2 == 0) y[i].scales_l[s / 2] = uint8_t(l & 0xF);
      else y[i].scales_l[s / 2] |= uint8_t((l & 0xF) << 4);
      y[i].scales_h = uint16_t(y[i].scales_h | ((l >> 4) << (2 * s)));
    }
  }
}

}  // namespace quantizers
}  // namespace tome
