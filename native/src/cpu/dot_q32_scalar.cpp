// Scalar dot products of the 32-element block formats (Q8_0, Q4_0, Q5_0, IQ4_NL, MXFP4) with
// Q8_0 activations, and of Q4_1, Q5_1 with Q8_1 ones, in the canonical order of
// kernels.h: per block, 8 exact integer partial sums over 4 consecutive elements,
// each fused into its own lane accumulator with the block's scale product dw*da,
// then hsum8; Q4_1 / Q5_1 add sum over blocks of m*s (fused, in block order).
#include "common/fp16.h"
#include "cpu/canonical.h"
#include "cpu/dot_scalar.h"
#include "cpu/quant_blocks.h"

namespace tome {
namespace kernels {

namespace {

// Unpack one weight block to 32 signed levels in element order; return its scale.
struct UnpackQ8_0 {
  using Block = BlockQ8_0;
  using Act = BlockQ8_0;
  static constexpr bool kHasMin = false;
  static float run(const Block& b, int8_t q[32]) {
    for (int j = 0; j < 32; ++j) q[j] = b.qs[j];
    return fp16_to_fp32(b.d);
  }
};
struct UnpackQ4_0 {
  using Block = BlockQ4_0;
  using Act = BlockQ8_0;
  static constexpr bool kHasMin = false;
  static float run(const Block& b, int8_t q[32]) {
    for (int j = 0; j < 16; ++j) {
      q[j] = int8_t((b.qs[j] & 0xF) - 8);
      q[j + 16] = int8_t((b.qs[j] >> 4) - 8);
    }
    return fp16_to_fp32(b.d);
  }
};
struct UnpackQ5_0 {
  using Block = BlockQ5_0;
  using Act = BlockQ8_0;
  static constexpr bool kHasMin = false;
  static float run(const Block& b, int8_t q[32]) {
    for (int j = 0; j < 32; ++j) q[j] = int8_t(q5_0_level(b, j));
    return fp16_to_fp32(b.d);
  }
};
// IQ4_NL, MXFP4: Q4_0's nibble layout, each nibble an index into a table of 16 levels;
// IQ4_NL's scale an fp16 d, MXFP4's half its E8M0 exponent (with the doubled E2M1 levels).
inline float lut_scale(const BlockIQ4_NL& b) { return fp16_to_fp32(b.d); }
inline float lut_scale(const BlockMXFP4& b) { return e8m0_half(b.e); }
template <class BlockT, const int8_t (&kLevels)[16]>
struct UnpackLut {
  using Block = BlockT;
  using Act = BlockQ8_0;
  static constexpr bool kHasMin = false;
  static float run(const Block& b, int8_t q[32]) {
    for (int j = 0; j < 16; ++j) {
      q[j] = kLevels[b.qs[j] & 0xF];
      q[j + 16] = kLevels[b.qs[j] >> 4];
    }
    return lut_scale(b);
  }
};
using UnpackIQ4_NL = UnpackLut<BlockIQ4_NL, kIq4nlValues>;
using UnpackMXFP4 = UnpackLut<BlockMXFP4, kMxfp4Values>;

// Q4_1 / Q5_1: unsigned levels (0..15, 0..31) and the block's offset m; a Q8_1
// activation block's s = da * sum(qa) turns m into the term m*s.
struct UnpackQ4_1 {
  using Block = BlockQ4_1;
  using Act = BlockQ8_1;
  static constexpr bool kHasMin = true;
  static float run(const Block& b, int8_t q[32]) {
    for (int j = 0; j < 16; ++j) {
      q[j] = int8_t(b.qs[j] & 0xF);
      q[j + 16] = int8_t(b.qs[j] >> 4);
    }
    return fp16_to_fp32(b.d);
  }
};
struct UnpackQ5_1 {
  using Block = BlockQ5_1;
  using Act = BlockQ8_1;
  static constexpr bool kHasMin = true;
  static float run(const Block& b, int8_t q[32]) {
    for (int j = 0; j < 32; ++j) q[j] = int8_t(q5_unsigned_level(b, j));
    return fp16_to_fp32(b.d);
  }
};

template <class Unpack>
float dot_one(const typename Unpack::Block* w, const typename Unpack::Act* a, int64_t nb) {
  float acc[8] = {};
  float summs = 0.0f;
  int8_t q[32];
  for (int64_t i = 0; i < nb; ++i) {
    const float d = Unpack::run(w[i], q) * fp16_to_fp32(a[i].d);
    if constexpr (Unpack::kHasMin) summs = fmaf_exact(fp16_to_fp32(w[i].m), fp16_to_fp32(a[i].s), summs);
    for (int l = 0; l < 8; ++l) {
      int s = 0;
      for (int k = 0; k < 4; ++k) s += int(q[4 * l + k]) * int(a[i].qs[4 * l + k]);
      acc[l] = fmaf_exact(float(s), d, acc[l]);
    }
  }
  if constexpr (Unpack::kHasMin) return hsum8(acc) + summs;
  return hsum8(acc);
}

// llama.cpp's repacked (8x8 interleaved) order: per block one exact integer sum
// over all 32 elements; acc = fma(float(sum), dw*da, acc), one chain per output.
// Block i of the row at w + i * step (DotTile::w_block_step).
template <class Unpack>
float dot_one_repack(const uint8_t* w, size_t step, const BlockQ8_0* a, int64_t nb) {
  using Block = typename Unpack::Block;
  float acc = 0.0f;
  int8_t q[32];
  for (int64_t i = 0; i < nb; ++i) {
    const float d = Unpack::run(*reinterpret_cast<const Block*>(w + size_t(i) * step), q) * fp16_to_fp32(a[i].d);
    int s = 0;
    for (int j = 0; j < 32; ++j) s += int(q[j]) * int(a[i].qs[j]);
    acc = fmaf_exact(float(s), d, acc);
  }
  return acc;
}

template <class Unpack, bool kRepack = false>
void dot_tile(const DotTile& t) {
  using Block = typename Unpack::Block;
  for (int k = 0; k < t.n_act; ++k)
    for (int r = 0; r < t.n_w; ++r) {
      const uint8_t* w = t.w + size_t(r) * t.w_stride;
      const auto* a = reinterpret_cast<const typename Unpack::Act*>(t.act + size_t(k) * t.act_stride);
      float& out = t.out[size_t(k) * t.out_stride + size_t(r)];
      if constexpr (kRepack)
        out = dot_one_repack<Unpack>(w, t.w_block_step ? t.w_block_step : sizeof(Block), a, t.n / kQK32);
      else
        out = dot_one<Unpack>(reinterpret_cast<const Block*>(w), a, t.n / kQK32);
    }
}

}  // namespace

void dot_q8_0_scalar(const DotTile& t) { dot_tile<UnpackQ8_0>(t); }
void dot_q4_0_scalar(const DotTile& t) { dot_tile<UnpackQ4_0>(t); }
void dot_iq4_nl_scalar(const DotTile& t) { dot_tile<UnpackIQ4_NL>(t); }
void dot_mxfp4_scalar(const DotTile& t) { dot_tile<UnpackMXFP4>(t); }
void dot_q5_0_scalar(const DotTile& t) { dot_tile<UnpackQ5_0>(t); }
void dot_q4_1_scalar(const DotTile& t) { dot_tile<UnpackQ4_1>(t); }
void dot_q5_1_scalar(const DotTile& t) { dot_tile<UnpackQ5_1>(t); }
void dot_q4_0_repack_scalar(const DotTile& t) { dot_tile<UnpackQ4_0, true>(t); }
void dot_iq4_nl_repack_scalar(const DotTile& t) { dot_tile<UnpackIQ4_NL, true>(t); }
void dot_mxfp4_repack_scalar(const DotTile& t) { dot_tile<UnpackMXFP4, true>(t); }

}  // namespace kernels
}  // namespace tome
