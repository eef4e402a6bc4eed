// Shared helpers of the cpu tests: seeded data, byte rows of any type, the
// kernel flavours to compare.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fp16.h"
#include "common/ggml_type.h"
#include "cpu/cpu_features.h"
#include "cpu/kernels.h"
#include "cpu/quant.h"

namespace cpu_test {

using tome::GgmlType;

// Normal(0, sigma) values plus a few outliers (real activations have them).
inline std::vector<float> random_row(int64_t n, uint32_t seed, float sigma = 1.0f, bool outliers = true) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = nd(rng);
  if (outliers)
    for (int64_t i = 0; i < n; i += 97) v[size_t(i)] *= 6.0f;
  return v;
}

inline std::vector<uint8_t> quantized(GgmlType t, const std::vector<float>& x) {
  std::vector<uint8_t> q(tome::type_row_bytes(t, int64_t(x.size())));
  tome::quantize_row(t, x.data(), q.data(), int64_t(x.size()));
  return q;
}

// rows x cols weights of type t, row r quantized from random_row(cols, seed * 1000 + r, 0.05).
inline std::vector<uint8_t> random_weights(GgmlType t, int64_t rows, int64_t cols, uint32_t seed) {
  const size_t rb = tome::type_row_bytes(t, cols);
  std::vector<uint8_t> w(rb * size_t(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<uint8_t> q = quantized(t, random_row(cols, seed * 1000 + uint32_t(r), 0.05f));
    std::memcpy(w.data() + size_t(r) * rb, q.data(), rb);
  }
  return w;
}

inline std::vector<uint8_t> activation(GgmlType act_type, const std::vector<float>& x) {
  std::vector<uint8_t> q(tome::type_row_bytes(act_type, int64_t(x.size())));
  tome::convert_activation_row(act_type, x.data(), q.data(), int64_t(x.size()));
  return q;
}

inline std::vector<float> dequantized(GgmlType t, const void* q, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  tome::dequantize_row(t, q, y.data(), n);
  return y;
}

// What a dot kernel computes, exactly (double): the dequantized weight row w (type t)
// times the dequantized activation row a (its vec_dot_type). Q4_1 / Q5_1 against Q8_1:
// each block's offset m meets the activation block's s as stored (a half of d * sum(q),
// as ggml stores it), so the reference is sum(q * d_w * a) + sum over blocks of m * s.
// *mag: the sum of the magnitudes of the terms (for relative bounds).
inline double reference_dot(GgmlType t, const uint8_t* w, const uint8_t* a, int64_t n, double* mag) {
  const GgmlType at = tome::vec_dot_type(t);
  const std::vector<float> af = dequantized(at, a, n);
  std::vector<uint8_t> w_levels(w, w + tome::type_row_bytes(t, n));
  double ref = 0;
  *mag = 0;
  if (at == GgmlType::Q8_1) {  // Q4_1 / Q5_1 blocks hold m at bytes 2..3, Q8_1 blocks s at 2..3
    const size_t wb = tome::type_row_bytes(t, 32), ab = tome::type_row_bytes(at, 32);
    for (int64_t b = 0; b < n / 32; ++b) {
      uint16_t m, s;
      std::memcpy(&m, w_levels.data() + size_t(b) * wb + 2, 2);
      std::memcpy(&s, a + size_t(b) * ab + 2, 2);
      std::memset(w_levels.data() + size_t(b) * wb + 2, 0, 2);
      const double ms = double(tome::fp16_to_fp32(m)) * tome::fp16_to_fp32(s);
      ref += ms;
      *mag += std::fabs(ms);
    }
  }
  const std::vector<float> wf = dequantized(t, w_levels.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    ref += double(wf[size_t(i)]) * af[size_t(i)];
    *mag += std::fabs(double(wf[size_t(i)]) * af[size_t(i)]);
  }
  return ref;
}

inline bool have_avx2() {
  const tome::CpuFeatures& f = tome::cpu_features();
  return f.avx2 && f.fma && f.f16c;
}

inline uint32_t bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

// Weight types with dot kernels, and lengths to try for each.
inline std::vector<GgmlType> dot_types() {
  return {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
          GgmlType::Q5_0, GgmlType::Q4_1, GgmlType::Q5_1, GgmlType::IQ4_NL, GgmlType::MXFP4, GgmlType::IQ4_XS, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
}
inline std::vector<int64_t> lengths_for(GgmlType t) {
  const int64_t bs = tome::type_block_size(t);
  if (bs == 1) return {1, 7, 31, 32, 33, 64, 100, 255, 1024, 4097};
  if (bs == 32) return {32, 64, 96, 160, 1024, 4096};
  return {256, 512, 1280, 4096};
}

// Runs fn and returns the tome::Error code it threw ("" when nothing was thrown).
// (test_harness.h's CHECK_THROWS_CODE cannot be used: its parameter `code` is also
// substituted into `_e.code()`.)
template <class Fn>
std::string error_code_of(Fn fn) {
  try {
    fn();
  } catch (const tome::Error& e) {
    return e.code();
  }
  return "";
}

inline std::string tname(GgmlType t) { return tome::ggml_type_name(uint32_t(t)); }

}  // namespace cpu_test
