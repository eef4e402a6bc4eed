// Lane arithmetic of vector_exp.h, written once and compiled twice: in
// vector_exp_avx2.cpp (hardware FMA) and vector_exp.cpp (std::fma in software).
// Range reduction: n = round(x / ln 2) (by adding 1.5 * 2^23), b = x - n ln 2 in
// two parts; exp(b) - 1 ~ b (c1 + b c2 + u (c3 + b c4 + u c5 ...)), u = b^2;
// result 2^n (1 + poly). The AVX2 build forms 2^n from the exponent bits of z and
// handles |n| > 126 by splitting the scale; the AVX-512 build adds the 1 inside
// the polynomial and scales with scalef. Each step below is one rounding of the
// corresponding vector instruction.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace tome::vexp {

inline uint32_t bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float from_bits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

constexpr float kShift = 0x1.8p23f, kLog2e = 0x1.715476p+0f, kLn2Hi = 0x1.62e4p-1f, kLn2Lo = 0x1.7f7d1cp-20f;
constexpr float kC1 = 0x1.ffffecp-1f, kC2 = 0x1.fffdb6p-2f, kC3 = 0x1.555e66p-3f, kC4 = 0x1.573e2ep-5f,
                kC5 = 0x1.0e4020p-7f;

inline float exp_avx2_lane(float x) {
  const float z = std::fma(x, kLog2e, kShift);
  const float n = z - kShift;
  const float b = std::fma(-n, kLn2Lo, std::fma(-n, kLn2Hi, x));
  const uint32_t e = bits(z) << 23;
  const float k = from_bits(e + bits(1.0f));
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(kC5, b, kC4), u, std::fma(kC3, b, kC2)), u, kC1 * b);
  if (!(std::fabs(n) > 126.0f)) return std::fma(j, k, k);
  const uint32_t g = n <= 0.0f ? 0x82000000u : 0u;
  const float s1 = from_bits(g + 0x7f000000u);
  const float s2 = from_bits(e - g);
  if (std::fabs(n) > 192.0f) return s1 * s1;
  return std::fma(s2, j, s2) * s1;
}

inline float exp_avx512_lane(float x) {
  const float z = std::fma(x, kLog2e, kShift);
  const float n = z - kShift;
  const float b = std::fma(-n, kLn2Lo, std::fma(-n, kLn2Hi, x));
  if (std::fabs(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(kC5, b, kC4), u, std::fma(kC3, b, kC2)), u, std::fma(kC1, b, 1.0f));
  return std::ldexp(j, int(n));  // scalef: exact scaling, rounded once if subnormal
}

inline float exp_lane(float x, int width) { return width == 16 ? exp_avx512_lane(x) : exp_avx2_lane(x); }

// Sum of w lanes by halving: (i, i + w/2) ... down to one, in float.
inline float lane_tree_sum(float* lanes, int w) {
  for (int h = w / 2; h >= 1; h /= 2)
    for (int i = 0; i < h; ++i) lanes[i] += lanes[i + h];
  return lanes[0];
}

inline double softmax_exp(const float* x, int64_t n, float max, float* y, int width) {
  double sum = 0;
  float lanes[16];
  for (int64_t i = 0; i < n; i += width) {
    for (int l = 0; l < width; ++l) {
      const int64_t k = i + l;
      lanes[l] = k < n ? exp_lane(x[k] - max, width) : 0.0f;
      if (k < n) y[k] = lanes[l];
    }
    sum += double(lane_tree_sum(lanes, width));
  }
  return sum;
}

inline void swiglu(float* gate, const float* up, int64_t n, int width) {
  const int64_t whole = n - n % width;  // elements in whole chunks of lanes
  int64_t i = 0;
  for (; i < whole; ++i) {
    const float g = gate[i];
    gate[i] = (g / (1.0f + exp_lane(0.0f - g, width))) * up[i];
  }
  for (; i < n; ++i) gate[i] = (gate[i] / (1.0f + std::exp(-gate[i]))) * up[i];
}

}  // namespace tome::vexp
