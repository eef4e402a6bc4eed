// Quantizers for the simple formats: Q8_0, Q4_0, Q5_0, Q4_1, Q5_1 (weights, ggml's
// *_ref math), and the activation formats Q8_0, Q8_1, Q8_K, F16, BF16 (ggml's CPU
// from_float math).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/fp16.h"
#include "cpu/kernels.h"
#include "cpu/quant_blocks.h"
#include "cpu/quantize_impl.h"

namespace tome {
namespace quantizers {

namespace {

// The block's value of largest magnitude, with its sign (the first of equals).
float signed_max(const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kQK32; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

}  // namespace

// Weights: d = amax/127, id = 1/d, q = roundf(x*id) (ties away from zero).
void q8_0_ref(const float* x, void* dst, int64_t n) {
  BlockQ8_0* y = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
    float amax = 0.0f;
    for (int j = 0; j < kQK32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK32; ++j) y[i].qs[j] = int8_t(std::roundf(x[j] * id));
  }
}

// Weights: the signed value of largest magnitude maps to -8 (d = max / -8), so the
// full range 0..15 is used; q = min(15, trunc(x/d + 8.5)).
void q4_0_ref(const float* x, void* dst, int64_t n) {
  BlockQ4_0* y = static_cast<BlockQ4_0*>(dst);
  for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
    const float d = signed_max(x) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK32 / 2; ++j) {
      const float x0 = x[j] * id, x1 = x[j + 16] * id;
      const int q0 = int(int8_t(x0 + 8.5f)), q1 = int(int8_t(x1 + 8.5f));
      y[i].qs[j] = uint8_t((q0 < 15 ? q0 : 15) | ((q1 < 15 ? q1 : 15) << 4));
    }
  }
}

// Q5_0: as Q4_0 with 5 bits: d = max / -16, q = min(31, trunc(x/d + 16.5)); the 5th
// bits into qh (element j: bit j).
void q5_0_ref(const float* x, void* dst, int64_t n) {
  BlockQ5_0* y = static_cast<BlockQ5_0*>(dst);
  for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
    const float d = signed_max(x) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kQK32 / 2; ++j) {
      const int q0 = std::min(31, int(int8_t(x[j] * id + 16.5f))), q1 = std::min(31, int(int8_t(x[j + 16] * id + 16.5f)));
      y[i].qs[j] = uint8_t((q0 & 0xF) | ((q1 & 0xF) << 4));
      qh |= uint32_t((q0 >> 4) & 1) << j;
      qh |= uint32_t((q1 >> 4) & 1) << (j + 16);
    }
    for (int b = 0; b < 4; ++b) y[i].qh[b] = uint8_t(qh >> (8 * b));
  }
}

// Q4_1 / Q5_1 (levels 0..top, 15 or 31): the block's min maps to level 0 and its
// max to the top, d = (max - min) / top; level = trunc((x - min) / d + 0.5), capped
// at 15 for Q4_1 (Q5_1 has no cap: its levels reach 31 only). Low 4 bits as Q4_0's
// nibbles, Q5_1's 5th bits into qh (element j: bit j).
template <class Block, int kTop>
void q_min_ref(const float* x, void* dst, int64_t n) {
  Block* y = static_cast<Block*>(dst);
  for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
    float min = std::numeric_limits<float>::max(), max = -std::numeric_limits<float>::max();
    for (int j = 0; j < kQK32; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / float(kTop);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    y[i].m = fp32_to_fp16(min);
    uint32_t qh = 0;
    auto level = [&](float v) {
      const float t = (v - min) * id + 0.5f;
      if constexpr (kTop == 15) return std::min(15, int(int8_t(t)));
      else return int(uint8_t(t));
    };
    for (int j = 0; j < kQK32 / 2; ++j) {
      const int q0 = level(x[j]), q1 = level(x[j + 16]);
      y[i].qs[j] = uint8_t((q0 & 0xF) | ((q1 & 0xF) << 4));
      qh |= uint32_t((q0 >> 4) & 1) << j;
      qh |= uint32_t((q1 >> 4) & 1) << (j + 16);
    }
    if constexpr (kTop == 31)
      for (int b = 0; b < 4; ++b) y[i].qh[b] = uint8_t(qh >> (8 * b));
  }
}

void q4_1_ref(const float* x, void* dst, int64_t n) { q_min_ref<BlockQ4_1, 15>(x, dst, n); }
void q5_1_ref(const float* x, void* dst, int64_t n) { q_min_ref<BlockQ5_1, 31>(x, dst, n); }

// Activations for Q8_0 weights, as ggml's x86 quantize_row_q8_0 (the SIMD one
// llama.cpp runs here): d = amax/127 stored as f16, id = 127/amax (not 1/d), and
// q = round-half-even(x*id). ggml's scalar reference instead uses 1/d and roundf;
// we follow the x86 code because that is what produces llama.cpp's activations
// on this hardware, and both tome flavours then agree byte for byte.
// One block: its qs; returns d as a float (before its rounding to a half).
namespace {
float q8_act_block(const float* x, int8_t qs[kQK32]) {
  float amax = 0.0f;
  for (int j = 0; j < kQK32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  for (int j = 0; j < kQK32; ++j) qs[j] = int8_t(kernels::round_even(x[j] * id));
  return amax / 127.0f;
}
}  // namespace

void q8_0_act(const float* x, void* dst, int64_t n) {
  BlockQ8_0* y = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) y[i].d = fp32_to_fp16(q8_act_block(x, y[i].qs));
}

// Activations for Q4_1 / Q5_1 weights, as ggml's x86 quantize_row_q8_1: Q8_0's
// bytes, and s = d * sum(qs) as a half, with d the float before its rounding.
void q8_1_act(const float* x, void* dst, int64_t n) {
  BlockQ8_1* y = static_cast<BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
    const float d = q8_act_block(x, y[i].qs);
    int sum = 0;
    for (int j = 0; j < kQK32; ++j) sum += y[i].qs[j];
    y[i].d = fp32_to_fp16(d);
    y[i].s = fp32_to_fp16(d * float(sum));
  }
}

// Activations for K-quant weights, as ggml's quantize_row_q8_K_ref (also what x86
// runs): the first element of largest magnitude, with its sign, maps to -127
// (iscale = -127/max), q = nearest-even(iscale*x) capped at 127, d = 1/iscale,
// bsums[g] = sum of qs[16g..16g+15]. An all-zero block gets d = 0, qs = 0, and
// (unlike ggml, which leaves them stale) bsums = 0.
void q8_K_act(const float* x, void* dst, int64_t n) {
  BlockQ8_K* y = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQKK; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      std::memset(&y[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQKK; ++j) {
      const int v = kernels::round_even(iscale * x[j]);
      y[i].qs[j] = int8_t(v < 127 ? v : 127);
    }
    for (int g = 0; g < kQKK / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += y[i].qs[16 * g + j];
      y[i].bsums[g] = int16_t(sum);
    }
    y[i].d = 1.0f / iscale;
  }
}

void f16_row(const float* x, void* dst, int64_t n) {
  uint16_t* y = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}

void bf16_row(const float* x, void* dst, int64_t n) {
  uint16_t* y = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_bf16(x[i]);
}

}  // namespace quantizers
}  // namespace tome
