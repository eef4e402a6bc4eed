// Reference quantizer of IQ4_NL (no importance matrix), the math of ggml's
// quantize_row_iq4_nl_ref: per 32-element block, pick the level table index
// nearest to x/d for a few candidate scales d, keep the scale with the best
// weighted least-squares fit (weights x^2), then assign indices for that scale.
#include <cmath>

#include "common/fp16.h"
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

}  // namespace

void iq4_nl_ref(const float* x, void* dst, int64_t n) {
  constexpr int kTries = 7;
  BlockIQ4_NL* y = static_cast<BlockIQ4_NL*>(dst);
  for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQK32; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    float d = 0;
    if (amax >= 1e-15f) {
      // Start with the largest value on the outermost level (-127), refine.
      float sumqx, sumq2;
      fit_levels(x, 1.0f / (-max / float(kIq4nlValues[0])), &sumqx, &sumq2);
      d = sumqx / sumq2;
      float best = d * sumqx;  // reduction of the weighted squared error
      for (int t = -kTries; t <= kTries; ++t) {
        fit_levels(x, (float(t) + float(kIq4nlValues[0])) / max, &sumqx, &sumq2);
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
          d = sumqx / sumq2;
          best = d * sumqx;
        }
      }
    }
    y[i].d = fp32_to_fp16(d);
    const float id = d != 0 ? 1.0f / d : 0.0f;
    for (int j = 0; j < kQK32 / 2; ++j)
      y[i].qs[j] = uint8_t(nearest_level(id * x[j]) | (nearest_level(id * x[j + 16]) << 4));
  }
}

}  // namespace quantizers
}  // namespace tome
