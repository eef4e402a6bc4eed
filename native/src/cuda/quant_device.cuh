// Reading ggml's block formats on the device (layouts: cpu/quant_blocks.h).
// Weights stay in their GGUF bytes in device memory; kernels decode them as
// they stream past. Two views:
//   dequant8<Format>(row, k0, out)  8 consecutive weights (k0 % 8 == 0) as f32, the
//                                  values of cpu/quant.h dequantize_row (matmul);
//   Format::dot_unit(...)          one "unit" of a row against int8 activations
//                                  with integer dot products (matvec, see matvec.cu).
#pragma once
#include <cstdint>

#include "cpu/quant_blocks.h"
#include "cuda/device_common.cuh"

namespace tome::cuda {

// Scale and min (6 bits each) of sub-block j of a Q4_K super-block (as cpu's kquant_scale_min).
__device__ __forceinline__ void q4k_scale_min(int j, const uint8_t* s, int& sc, int& m) {
  if (j < 4) {
    sc = s[j] & 63;
    m = s[j + 4] & 63;
  } else {
    sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// --- the formats ---------------------------------------------------------------
// kBlock: elements per block; kBytes: bytes per block.

struct FmtF16 {
  static constexpr int kBlock = 1, kBytes = 2;
  __device__ static void dequant8(const uint8_t* row, int k0, float out[8]) {
    load8_to_float<F16>(reinterpret_cast<const uint16_t*>(row) + k0, out);
  }
};

struct FmtBF16 {
  static constexpr int kBlock = 1, kBytes = 2;
  __device__ static void dequant8(const uint8_t* row, int k0, float out[8]) {
    load8_to_float<BF16>(reinterpret_cast<const uint16_t*>(row) + k0, out);
  }
};

// Q8_0: 32 x int8 with an f16 scale; 34-byte blocks (2-byte aligned).
struct FmtQ8_0 {
  static constexpr int kBlock = 32, kBytes = 34;
  __device__ static void dequant8(const uint8_t* row, int k0, float out[8]) {
    const uint8_t* b = row + (k0 / 32) * kBytes;
    const float d = half_bits_to_float(*reinterpret_cast<const uint16_t*>(b));
    const int lo = load_i32_a2(b + 2 + k0 % 32), hi = load_i32_a2(b + 2 + k0 % 32 + 4);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      out[i] = float(int8_t(lo >> (8 * i))) * d;
      out[4 + i] = float(int8_t(hi >> (8 * i))) * d;
    }
  }
};

// Q4_K: 256 weights; chunk c (64 weights) uses qs[32c..32c+31], low nibbles for
// sub-block 2c, high nibbles for 2c+1; weight = d*sc*q - dmin*m.
struct FmtQ4_K {
  static constexpr int kBlock = 256, kBytes = 144;
  __device__ static void dequant8(const uint8_t* row, int k0, float out[8]) {
    const uint8_t* b = row + (k0 / 256) * kBytes;
    const int e = k0 % 256, c = e / 64, hi = (e % 64) / 32, l0 = e % 32;
    const uint32_t dd = *reinterpret_cast<const uint32_t*>(b);
    const float d = half_bits_to_float(uint16_t(dd)), dmin = half_bits_to_float(uint16_t(dd >> 16));
    int sc, m;
    q4k_scale_min(2 * c + hi, b + 4, sc, m);
    const float d1 = d * float(sc), m1 = dmin * float(m);
    const uint2 q = *reinterpret_cast<const uint2*>(b + 16 + 32 * c + l0);  // 8 bytes, 8-aligned
    const uint32_t w[2] = {q.x, q.y};
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const uint32_t byte = (w[i / 4] >> (8 * (i % 4))) & 0xFF;
      out[i] = d1 * float(hi ? byte >> 4 : byte & 0xF) - m1;
    }
  }
};

// Q6_K: 256 weights in 2 halves of 128; in a half, weight l + 32k (l < 32) has
// low bits from ql[l + 32(k&1)] (low nibble for k < 2) and high bits from qh[l]
// bits 2k..2k+1, offset 32, scale scales[8h + 2k + l/16] * d. 210-byte blocks.
struct FmtQ6_K {
  static constexpr int kBlock = 256, kBytes = 210;
  __device__ static void dequant8(const uint8_t* row, int k0, float out[8]) {
    const uint8_t* b = row + (k0 / 256) * kBytes;
    const int e = k0 % 256, h = e / 128, k = (e % 128) / 32, l0 = e % 32;
    const float d = half_bits_to_float(*reinterpret_cast<const uint16_t*>(b + 208));
    const float s = d * float(reinterpret_cast<const int8_t*>(b + 192)[8 * h + 2 * k + l0 / 16]);
    const uint8_t* ql = b + 64 * h + 32 * (k & 1) + l0;
    const uint8_t* qh = b + 128 + 32 * h + l0;
    const int lq[2] = {load_i32_a2(ql), load_i32_a2(ql + 4)};
    const int hq[2] = {load_i32_a2(qh), load_i32_a2(qh + 4)};
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int lb = (lq[i / 4] >> (8 * (i % 4))) & 0xFF, hb = (hq[i / 4] >> (8 * (i % 4))) & 0xFF;
      const int q = ((k < 2 ? lb & 0xF : lb >> 4) | (((hb >> (2 * k)) & 3) << 4)) - 32;
      out[i] = s * float(q);
    }
  }
};

}  // namespace tome::cuda
