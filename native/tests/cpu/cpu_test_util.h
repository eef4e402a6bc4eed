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

inline bool have_avx2() {
  const tome::CpuFeatures& f = tome::cpu_features();
  return f.avx2 && f.fma && f.f16c;
}

inline uint32_t bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

// Weight types with dot kernels, and lengths to try for each.
inline std::vector<GgmlType> dot_types() {
  return {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
          GgmlType::Q5_0, GgmlType::IQ4_NL, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
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
