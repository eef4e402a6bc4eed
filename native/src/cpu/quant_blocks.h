// Block layouts of the quantized formats, byte for byte as ggml defines them
// (ggml-common.h), so GGUF tensor data can be read in place.
//
//   type    elems  bytes  layout
//   Q4_0    32     18     d; qs[16]: element j in low nibble of qs[j], j+16 in the high nibble
//   Q4_1    32     20     d, m; qs[16] as Q4_0; value = d * nibble + m (levels 0..15)
//   Q8_0    32     34     d; qs[32] int8
//   Q8_1    32     36     d, s (= d * sum(qs), as a half); qs[32] int8
//   IQ4_NL  32     18     d; qs[16] as Q4_0, nibble -> kIq4nlValues[nibble]
//   MXFP4   32     17     e (E8M0 exponent: scale 2^(e - 127)); qs[16] as Q4_0, nibble ->
//                         kMxfp4Values[nibble] (twice the E2M1 value), times e8m0_half(e)
//   Q5_0    32     22     d; qh[4] (element j's 5th bit: bit j, little-endian); qs[16] as
//                         Q4_0; level = nibble + 16 * bit - 16
//   Q5_1    32     24     d, m; qh[4], qs[16] as Q5_0; value = d * (nibble + 16 * bit) + m
//   Q2_K    256    84     scales[16] (scale low nibble, min high nibble, per 16 elements);
//                         qs[64] (2 bits: element 128c + 32j + l at qs[32c + l] bits 2j..2j+1);
//                         d, dmin; value = d * scale * q - dmin * min
//   Q3_K    256    110    hmask[32] (3rd bits); qs[64] (low 2 bits); scales[12] (16 x 6-bit); d
//   Q4_K    256    144    d, dmin; scales[12] (8 x 6-bit scale, 8 x 6-bit min); qs[128]
//   Q5_K    256    176    d, dmin; scales[12]; qh[32] (5th bits); qs[128]
//   Q6_K    256    210    ql[128] (low 4 bits); qh[64] (high 2 bits); scales[16] int8; d
//   IQ4_XS  256    136    d; scales_h (2 high bits of each 6-bit scale); scales_l[4]
//                         (low 4 bits, sub-block 2i in the low nibble of byte i);
//                         qs[128]: sub-block s (32 elements) in qs[16s..16s+15] as
//                         IQ4_NL; value = d * (scale - 32) * kIq4nlValues[nibble]
//   Q8_K    256    292    float d; qs[256] int8; bsums[16] (sums of each 16 qs)
// (d, dmin are IEEE halves stored as uint16_t; MXFP4's e a byte, so its blocks
// and rows may start at any address.) Q8_K exists only as the activation
// partner of the K-quants and Q8_1 of Q4_1 and Q5_1 (its s serves their m); neither
// is stored in a GGUF file.
#pragma once
#include <cstdint>
#include <cstring>

namespace tome {

constexpr int kQK32 = 32;   // block size of Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, IQ4_NL, MXFP4
constexpr int kQKK = 256;   // super-block size of the K-quants and Q8_K

struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK32 / 2];
};
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK32];
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK32 / 2];
};
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK32 / 2];
};
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK32 / 2];
};
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kQK32];
};
struct BlockIQ4_NL {
  uint16_t d;
  uint8_t qs[kQK32 / 2];
};
struct BlockMXFP4 {
  uint8_t e;
  uint8_t qs[kQK32 / 2];
};
struct BlockQ2_K {
  uint8_t scales[kQKK / 16];
  uint8_t qs[kQKK / 4];
  uint16_t d;
  uint16_t dmin;
};
// Element 128c + 32j + l (c < 2, j < 4, l < 32): low 2 bits qs[32c + l] bits 2j..2j+1,
// 3rd bit hmask[l] bit 4c + j; level = low + 4 * bit - 4 (-4..3); scale of sub-block
// s = e / 16 (q3_K_scale), minus 32.
struct BlockQ3_K {
  uint8_t hmask[kQKK / 8];
  uint8_t qs[kQKK / 4];
  uint8_t scales[12];
  uint16_t d;
};
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;
};
struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kQKK / 64];
  uint8_t qs[kQKK / 2];
};
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];
};

static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block");
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block");
static_assert(sizeof(BlockIQ4_NL) == 18, "IQ4_NL block");
static_assert(sizeof(BlockMXFP4) == 17, "MXFP4 block");
static_assert(sizeof(BlockQ5_0) == 22, "Q5_0 block");
static_assert(sizeof(BlockQ4_1) == 20, "Q4_1 block");
static_assert(sizeof(BlockQ5_1) == 24, "Q5_1 block");
static_assert(sizeof(BlockQ8_1) == 36, "Q8_1 block");
static_assert(sizeof(BlockQ3_K) == 110, "Q3_K block");
static_assert(sizeof(BlockQ2_K) == 84, "Q2_K block");
static_assert(sizeof(BlockQ4_K) == 144, "Q4_K block");
static_assert(sizeof(BlockQ5_K) == 176, "Q5_K block");
static_assert(sizeof(BlockQ6_K) == 210, "Q6_K block");
static_assert(sizeof(BlockQ8_K) == 292, "Q8_K block");
static_assert(sizeof(BlockIQ4_XS) == 136, "IQ4_XS block");
static_assert(alignof(BlockQ4_0) == 2 && alignof(BlockQ8_0) == 2 && alignof(BlockQ6_K) == 2,
              "half-aligned blocks: rows of them may start at any even address");

// The 16 levels of IQ4_NL (non-linear, denser near zero).
constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                     1,    13,   25,  38,  53,  69,  89,  113};

// MXFP4's 16 levels: the E2M1 values 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives,
// doubled to integers (the block's scale is halved to match: e8m0_half).
constexpr int8_t kMxfp4Values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// 2^(e - 128): half the E8M0 scale of an MXFP4 block, as ggml's ggml_e8m0_to_fp32_half
// (e 0 and 1 give the subnormals 2^-128 and 2^-127; e = 255, E8M0's NaN, gives
// 2^127 as there). static as kquant_scale_min below (ISA-specific copies).
static inline float e8m0_half(uint8_t e) {
  const uint32_t bits = e < 2 ? uint32_t(0x00200000) << e : uint32_t(e - 1) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K / Q5_K super-block.
// scales[0..3]: low 6 bits = scale 0..3, top 2 bits = high bits of scale 4..7
// scales[4..7]: low 6 bits = min 0..3,   top 2 bits = high bits of min 4..7
// scales[8..11]: low nibble = low 4 bits of scale 4..7, high nibble = of min 4..7
// static: internal linkage, so the copy compiled into *_avx2.cpp files can never be
// picked by the linker for plain code (see kernels.h on ISA-specific code).
static inline void kquant_scale_min(int j, const uint8_t* scales, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = scales[j] & 63;
    *m = scales[j + 4] & 63;
  } else {
    *sc = uint8_t((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4));
    *m = uint8_t((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
  }
}

// Q2_K's level of element e (0..3); its sub-block (scale, min) is e / 16.
inline int q2_K_level(const BlockQ2_K& b, int e) {
  return (b.qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
}

// Q3_K's 6-bit scale s (0..15) from its 12 packed bytes, unsigned (32 = scale 0): low
// 4 bits in byte s (s < 8, low nibble) or s - 8 (high nibble), high 2 bits in byte
// 8 + s % 4 at bit 2 * (s / 4).
inline int q3_K_scale(const uint8_t* packed, int s) {
  const int lo = s < 8 ? packed[s] & 0xF : packed[s - 8] >> 4;
  const int hi = (packed[8 + s % 4] >> (2 * (s / 4))) & 3;
  return lo | (hi << 4);
}

// The 5-bit level of element j of a Q5_0 or Q5_1 block, unsigned (0..31): Q5_0's
// level is this minus 16.
template <class Block>
inline int q5_unsigned_level(const Block& b, int j) {
  const int nibble = j < 16 ? b.qs[j] & 0xF : b.qs[j - 16] >> 4;
  const int bit = (b.qh[j / 8] >> (j % 8)) & 1;
  return nibble + 16 * bit;
}

// IQ4_XS's scale of 32-element sub-block s (0..7), minus 32 (-32..31).
inline int iq4_xs_scale(const BlockIQ4_XS& b, int s) {
  const int lo = (b.scales_l[s / 2] >> (4 * (s % 2))) & 0xF;
  const int hi = (b.scales_h >> (2 * s)) & 3;
  return (lo | (hi << 4)) - 32;
}

// Q5_0's level of element j (-16..15).
inline int q5_0_level(const BlockQ5_0& b, int j) { return q5_unsigned_level(b, j) - 16; }

}  // namespace tome
