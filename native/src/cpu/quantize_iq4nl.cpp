// Reference quantizers of IQ4_NL and IQ4_XS (no importance matrix), the math of
// ggml's quantize_row_iq4_nl_impl: per 32-element block, pick the level table index
// nearest to x/d for a few candidate scales d, keep the scale with the best
// weighted least-squares fit (weights x^2), then assign indices for that scale.
// IQ4_XS then writes each block's scale as a 6-bit multiple of the super-block's
// d = -(the scale of largest magnitude)/32 and assigns indices for the rounded scale.
// The same bytes as ggml (test_cpu_ggml_oracle), ~3x faster: a level is found by
// counting thresholds instead of by a binary search (whose branches mispredict on
// random data), and a block's 16 candidate scales are fitted side by side.
#include <cmath>
#include <cstring>
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif

#include "common/fp16.h"
#include "cpu/kernels.h"
#include "cpu/quant_blocks.h"
#include "cpu/quantize_impl.h"

namespace tome {
namespace quantizers {

namespace {

// ggml's nearest level: lo = the last level <= v (a binary search), then lo if
// v - level[lo] < level[lo + 1] - v, else lo + 1; below the first level 0, from the
// last one on 15, NaN 15.
int nearest_level_by_search(float v) {
  if (v <= kIq4nlValues[0]) return 0;
  if (v >= kIq4nlValues[15]) return 15;
  int lo = 0, hi = 15;  // invariant: values[lo] <= v < values[hi]
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (v < kIq4nlValues[mid]) hi = mid; else lo = mid;
  }
  return v - float(kIq4nlValues[lo]) < float(kIq4nlValues[hi]) - v ? lo : hi;
}

// Floats as integers in their order (-0 and +0 both 0), and back.
int64_t float_order(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b & 0x80000000u ? -int64_t(b & 0x7FFFFFFFu) : int64_t(b);
}
float order_float(int64_t o) {
  const uint32_t b = o < 0 ? 0x80000000u | uint32_t(-o) : uint32_t(o);
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// threshold[j - 1] = the least float v between levels j - 1 and j that ggml sends to
// level j. Both sides of ggml's comparison are monotone in v, so below the threshold
// it picks j - 1 and from it on j: the nearest level is the number of thresholds v is
// not below (!(v < t): NaN counts all 15, as ggml's search ends at 15). Found once by
// bisection over the floats between the two levels.
struct Thresholds {
  float t[15];
  Thresholds() {
    for (int j = 1; j < 16; ++j) {
      int64_t below = float_order(kIq4nlValues[j - 1]), at = float_order(kIq4nlValues[j]);
      while (at - below > 1) {
        const int64_t mid = below + (at - below) / 2;
        if (nearest_level_by_search(order_float(mid)) == j) at = mid; else below = mid;
      }
      t[j - 1] = order_float(at);
    }
  }
};
const Thresholds& thresholds() {
  static const Thresholds t;
  return t;
}

int nearest_level(const float t[15], float v) {
  int n = 0;
  for (int j = 0; j < 15; ++j) n += !(v < t[j]);
  return n;
}

// The 16 candidate inverse scales ggml fits to a block, in its order: the largest
// value on the outermost level (-127), then 15 tries around it.
constexpr int kTries = 7, kFits = 2 * kTries + 2;

#if defined(__SSE2__) || defined(_M_X64)
// Each fit's weighted sums sumqx = sum w q x and sumq2 = sum w q q (w = x^2) over the
// elements in order, 4 fits a vector: every sum in its own lane, ggml's operations in
// ggml's order (the same bits as one fit after another). A lane's level q is summed
// from the level steps of the thresholds it is not below (small integers: exact).
void fit_all(const float t[15], const float* x, const float id[kFits], float sumqx[kFits], float sumq2[kFits]) {
  __m128 sx[kFits / 4], s2[kFits / 4], ids[kFits / 4], th[15], step[15];
  for (int g = 0; g < kFits / 4; ++g) {
    sx[g] = s2[g] = _mm_setzero_ps();
    ids[g] = _mm_loadu_ps(id + 4 * g);
  }
  for (int j = 0; j < 15; ++j) {
    th[j] = _mm_set1_ps(t[j]);
    step[j] = _mm_set1_ps(float(kIq4nlValues[j + 1] - kIq4nlValues[j]));
  }
  const __m128 first = _mm_set1_ps(kIq4nlValues[0]);
  for (int j = 0; j < kQK32; ++j) {
    const __m128 xj = _mm_set1_ps(x[j]), w = _mm_mul_ps(xj, xj);
    for (int g = 0; g < kFits / 4; ++g) {
      const __m128 v = _mm_mul_ps(ids[g], xj);
      __m128 q = first;
      for (int k = 0; k < 15; ++k) q = _mm_add_ps(q, _mm_and_ps(_mm_cmpnlt_ps(v, th[k]), step[k]));
      const __m128 wq = _mm_mul_ps(w, q);
      sx[g] = _mm_add_ps(sx[g], _mm_mul_ps(wq, xj));
      s2[g] = _mm_add_ps(s2[g], _mm_mul_ps(wq, q));
    }
  }
  for (int g = 0; g < kFits / 4; ++g) {
    _mm_storeu_ps(sumqx + 4 * g, sx[g]);
    _mm_storeu_ps(sumq2 + 4 * g, s2[g]);
  }
}
#else
void fit_all(const float t[15], const float* x, const float id[kFits], float sumqx[kFits], float sumq2[kFits]) {
  for (int f = 0; f < kFits; ++f) {
    sumqx[f] = sumq2[f] = 0;
    for (int j = 0; j < kQK32; ++j) {
      const float q = kIq4nlValues[nearest_level(t, id[f] * x[j])];
      const float w = x[j] * x[j];
      sumqx[f] += w * q * x[j];
      sumq2[f] += w * q * q;
    }
  }
}
#endif

// The best scale of one 32-element block (0 when its largest magnitude is below 1e-15):
// of ggml's 16 fits, the one that most reduces the weighted squared error, chosen in
// ggml's order.
float block_scale(const float t[15], const float* x) {
  float amax = 0, max = 0;
  for (int j = 0; j < kQK32; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  if (amax < 1e-15f) return 0;
  float id[kFits], sumqx[kFits], sumq2[kFits];
  id[0] = 1.0f / (-max / float(kIq4nlValues[0]));
  for (int f = -kTries; f <= kTries; ++f) id[f + kTries + 1] = (float(f) + float(kIq4nlValues[0])) / max;
  fit_all(t, x, id, sumqx, sumq2);
  float d = sumqx[0] / sumq2[0];
  float best = d * sumqx[0];  // reduction of the weighted squared error
  for (int f = 1; f < kFits; ++f) {
    if (sumq2[f] > 0 && sumqx[f] * sumqx[f] > best * sumq2[f]) {
      d = sumqx[f] / sumq2[f];
      best = d * sumqx[f];
    }
  }
  return d;
}

// 32 elements' level indices for scale d, as nibbles (element j low, j + 16 high).
void pack_levels(const float t[15], const float* x, float d, uint8_t qs[kQK32 / 2]) {
  const float id = d != 0 ? 1.0f / d : 0.0f;
  for (int j = 0; j < kQK32 / 2; ++j)
    qs[j] = uint8_t(nearest_level(t, id * x[j]) | (nearest_level(t, id * x[j + 16]) << 4));
}

}  // namespace

int iq4nl_nearest_level(float v) { return nearest_level(thresholds().t, v); }
int iq4nl_nearest_level_by_search(float v) { return nearest_level_by_search(v); }

void iq4_nl_ref(const float* x, void* dst, int64_t n) {
  BlockIQ4_NL* y = static_cast<BlockIQ4_NL*>(dst);
  const float* t = thresholds().t;
  for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
    const float d = block_scale(t, x);
    y[i].d = fp32_to_fp16(d);
    pack_levels(t, x, d, y[i].qs);
  }
}

void iq4_xs_ref(const float* x, void* dst, int64_t n) {
  BlockIQ4_XS* y = static_cast<BlockIQ4_XS*>(dst);
  const float* t = thresholds().t;
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float scales[8], max_scale = 0, amax_scale = 0;
    for (int s = 0; s < 8; ++s) {
      scales[s] = block_scale(t, x + kQK32 * s);
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
      pack_levels(t, x + kQK32 * s, d * float(l), y[i].qs + 16 * s);
      l += 32;
      if (s % 2 == 0) y[i].scales_l[s / 2] = uint8_t(l & 0xF);
      else y[i].scales_l[s / 2] |= uint8_t((l & 0xF) << 4);
      y[i].scales_h = uint16_t(y[i].scales_h | ((l >> 4) << (2 * s)));
    }
  }
}

}  // namespace quantizers
}  // namespace tome
