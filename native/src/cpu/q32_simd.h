// Internal: block unpackers of the Q8_0 / Q4_0 / Q5_0 / Q4_1 / Q5_1 / IQ4_NL / MXFP4 SIMD kernels
// (dot_q32_impl.h, dot_q32_gemm_impl.h), for the ISA files only (*_avx2.cpp,
// *_vnni.cpp), in an anonymous namespace like avx2_util.h.
//
// Two forms of a block's 32 levels q (one byte each, element order):
//   levels(b):  signed q, for the sign trick of dot_i8_lanes (maddubs/vpdpbusd
//               take an unsigned and a signed operand);
//   biased(b):  q + kBias as unsigned bytes, for vpdpbusd directly: then
//               sum(q * a) = sum((q + kBias) * a) - kBias * sum(a), exact in int32
//               (|(q + kBias) * a| <= 255 * 128), one instruction fewer per
//               (weight row, token) pair than the sign trick; the kBias * sum(a)
//               term is per token, shared by all weight rows.
// The 4-bit types also map a vector of nibbles (from_nibbles, biased_from_nibbles)
// for the row-interleaved layout of the repacked gemm.
#pragma once
#include "cpu/avx2_util.h"
#include "cpu/quant_blocks.h"

namespace {

// Low nibbles are elements 0..15, high nibbles 16..31.
inline __m256i nibbles_32(const uint8_t* qs) {
  const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m4 = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(t, 4), m4), _mm_and_si128(t, m4));
}

struct UnpackQ8_0 {
  using Block = tome::BlockQ8_0;
  using Act = tome::BlockQ8_0;
  static constexpr bool kHasMin = false;
  static constexpr int kBias = 128;
  static __m256i levels(const Block& b) { return load256(b.qs); }
  static __m256i biased(const Block& b) { return _mm256_xor_si256(load256(b.qs), _mm256_set1_epi8(char(0x80))); }
};
struct UnpackQ4_0 {
  using Block = tome::BlockQ4_0;
  using Act = tome::BlockQ8_0;
  static constexpr bool kHasMin = false;
  static constexpr int kBias = 8;  // the stored nibble is q + 8
  static __m256i from_nibbles(__m256i n) { return _mm256_sub_epi8(n, _mm256_set1_epi8(8)); }
  static __m256i biased_from_nibbles(__m256i n) { return n; }
  static __m256i levels(const Block& b) { return from_nibbles(nibbles_32(b.qs)); }
  static __m256i biased(const Block& b) { return nibbles_32(b.qs); }
};
// Q5_0 / Q5_1: each element's 5th bit (qh, bit j) as 16 in its byte: the 32 bits
// broadcast, each byte keeping the bit of its element (byte j of the vector tests
// bit j % 8 of qh byte j / 8).
inline __m256i fifth_bits(const uint8_t qh_bytes[4]) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(int(qh)),
                                            _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202,
                                                               0x0303030303030303));
  const __m256i bit = _mm256_set1_epi64x(int64_t(0x8040201008040201));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit), _mm256_set1_epi8(16));
}
struct UnpackQ5_0 {
  using Block = tome::BlockQ5_0;
  using Act = tome::BlockQ8_0;
  static constexpr bool kHasMin = false;
  static constexpr int kBias = 16;
  static __m256i biased(const Block& b) { return _mm256_or_si256(nibbles_32(b.qs), fifth_bits(b.qh)); }
  static __m256i levels(const Block& b) { return _mm256_sub_epi8(biased(b), _mm256_set1_epi8(16)); }
};
// Q4_1 / Q5_1: unsigned levels (0..15, 0..31), already a vpdpbusd operand (no
// bias); their offset m meets Q8_1's s (kHasMin: the kernels add sum m*s).
struct UnpackQ4_1 {
  using Block = tome::BlockQ4_1;
  using Act = tome::BlockQ8_1;
  static constexpr bool kHasMin = true;
  static constexpr int kBias = 0;
  static __m256i levels(const Block& b) { return nibbles_32(b.qs); }
  static __m256i biased(const Block& b) { return levels(b); }
};
struct UnpackQ5_1 {
  using Block = tome::BlockQ5_1;
  using Act = tome::BlockQ8_1;
  static constexpr bool kHasMin = true;
  static constexpr int kBias = 0;
  static __m256i levels(const Block& b) { return _mm256_or_si256(nibbles_32(b.qs), fifth_bits(b.qh)); }
  static __m256i biased(const Block& b) { return levels(b); }
};
// IQ4_NL, MXFP4: 4-bit indexes into a table of 16 signed levels (Levels::table(), the 16
// levels in both 128-bit lanes: vpshufb looks up per lane), Q4_0's nibble layout.
template <class BlockT, class Levels>
struct UnpackLut {
  using Block = BlockT;
  using Act = tome::BlockQ8_0;
  static constexpr bool kHasMin = false;
  static constexpr int kBias = 128;
  static __m256i from_nibbles(__m256i n) { return _mm256_shuffle_epi8(Levels::table(), n); }
  static __m256i biased_from_nibbles(__m256i n) {
    return _mm256_shuffle_epi8(_mm256_xor_si256(Levels::table(), _mm256_set1_epi8(char(0x80))), n);  // folded at compile time
  }
  static __m256i levels(const Block& b) { return from_nibbles(nibbles_32(b.qs)); }
  static __m256i biased(const Block& b) { return biased_from_nibbles(nibbles_32(b.qs)); }
};
struct Iq4nlLevels {  // kIq4nlValues
  static __m256i table() {
    return _mm256_setr_epi8(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113, -127, -104, -83,
                            -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
  }
};
struct Mxfp4Levels {  // kMxfp4Values: the doubled E2M1 values
  static __m256i table() {
    return _mm256_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12, 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2,
                            -3, -4, -6, -8, -12);
  }
};
using UnpackIQ4_NL = UnpackLut<tome::BlockIQ4_NL, Iq4nlLevels>;
using UnpackMXFP4 = UnpackLut<tome::BlockMXFP4, Mxfp4Levels>;

// vpdpbusd is there (the *_vnni.cpp and *_avxvnni.cpp builds): the biased form pays off.
#ifdef TOME_VNNI256
constexpr bool kQ32Biased = true;
#else
constexpr bool kQ32Biased = false;
#endif

// A weight block's scale: its fp16 d, or MXFP4's half E8M0 exponent.
template <class Block>
inline float q32_weight_scale(const Block& b) { return half_to_float(b.d); }
inline float q32_weight_scale(const tome::BlockMXFP4& b) { return tome::e8m0_half(b.e); }

// e8m0_half of 8 exponents (int32 lanes, 0..255) without a branch: (e - 1) << 23 is
// the float 2^(e - 128) for e >= 2, 0x00200000 << e the subnormal for e < 2.
inline __m256 e8m0_half_ps(__m256i e) {
  const __m256i normal = _mm256_slli_epi32(_mm256_sub_epi32(e, _mm256_set1_epi32(1)), 23);
  const __m256i subnormal = _mm256_sllv_epi32(_mm256_set1_epi32(0x00200000), e);
  return _mm256_castsi256_ps(_mm256_blendv_epi8(normal, subnormal, _mm256_cmpgt_epi32(_mm256_set1_epi32(2), e)));
}

// The scales of 4 weight blocks and 4 activation blocks as floats:
// [dw0 dw1 dw2 dw3 | da0 da1 da2 da3].
// Four halves in a qword, put together in general registers: _mm_setr_epi16 of
// eight loaded halves became a chain of vpinsrw (two uops each on the vector
// ports the dots need); these shifts run on the integer ones, and a vmovq each
// half brings them over.
inline uint64_t four_halves(uint16_t h0, uint16_t h1, uint16_t h2, uint16_t h3) {
  return uint64_t(h0) | uint64_t(h1) << 16 | uint64_t(h2) << 32 | uint64_t(h3) << 48;
}
template <class Block, class Act>
inline __m256 q32_scales(const Block* const w[4], const Act* const a[4], int64_t i) {
  const uint64_t dw = four_halves(w[0][i].d, w[1][i].d, w[2][i].d, w[3][i].d);
  const uint64_t da = four_halves(a[0][i].d, a[1][i].d, a[2][i].d, a[3][i].d);
  return _mm256_cvtph_ps(_mm_unpacklo_epi64(_mm_cvtsi64_si128(int64_t(dw)), _mm_cvtsi64_si128(int64_t(da))));
}
template <class Act>
inline __m256 q32_scales(const tome::BlockMXFP4* const w[4], const Act* const a[4], int64_t i) {
  const __m256 dw = e8m0_half_ps(_mm256_setr_epi32(w[0][i].e, w[1][i].e, w[2][i].e, w[3][i].e, 0, 0, 0, 0));
  const __m128 da = _mm_cvtph_ps(_mm_setr_epi16(short(a[0][i].d), short(a[1][i].d), short(a[2][i].d), short(a[3][i].d),
                                                0, 0, 0, 0));
  return _mm256_insertf128_ps(dw, da, 1);
}

// The scales of 8 weight blocks (any blocks for unused lanes) as floats.
template <class Block>
inline __m256 q32_weight_scales8(const Block* const b[8]) {
  return _mm256_cvtph_ps(_mm_setr_epi16(short(b[0]->d), short(b[1]->d), short(b[2]->d), short(b[3]->d),
                                        short(b[4]->d), short(b[5]->d), short(b[6]->d), short(b[7]->d)));
}
inline __m256 q32_weight_scales8(const tome::BlockMXFP4* const b[8]) {
  return e8m0_half_ps(_mm256_setr_epi32(b[0]->e, b[1]->e, b[2]->e, b[3]->e, b[4]->e, b[5]->e, b[6]->e, b[7]->e));
}

}  // namespace
