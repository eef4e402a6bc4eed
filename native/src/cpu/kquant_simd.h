// Internal: helpers of the K-quant SIMD kernels (dot_q4k_gemm_impl.h,
// dot_q4k_gemv_impl.h, dot_kquant_avx2.cpp, dot_kquant_vnni.cpp), for the ISA files only
// (*_avx2.cpp, *_vnni.cpp), in an anonymous namespace like avx2_util.h.
//
// Integer bounds the kernels rely on (Q4_K levels q in 0..15, Q8_K levels in
// -128..127, six-bit scales and mins in 0..63, bsums |b| <= 16 * 128):
//   * a sum of up to 16 products q * q8 is at most 30720 in magnitude, so it fits
//     an int16, and an int32 lane holding it is a valid int16 in its low word with
//     the sign in the high word: vpmaddwd with words (scale, 0) multiplies it exactly;
//   * bsums[2j] + bsums[2j+1] <= 4096 fits an int16 (vphaddw never wraps).
#pragma once
#include "cpu/avx2_util.h"
#include "cpu/quant_blocks.h"

namespace {

// The 8 six-bit scales (bytes 0..7) and mins (bytes 8..15) of a Q4_K or Q5_K super-block
// from its 12 packed bytes p, in registers (quant_blocks.h's kquant_scale_min):
//   scales 0..3 = w0 & 0x3f..,  scales 4..7 = (w2 & 0x0f..) | ((w0 >> 6) & 3) << 4
//   mins   0..3 = w1 & 0x3f..,  mins   4..7 = ((w2 >> 4) & 0x0f..) | ((w1 >> 6) & 3) << 4
// (w0, w1, w2: the three little-endian words of p). Reads 16 bytes: p is a Q4_K or
// Q5_K block's scales field, which more of the block (qs, qh) follows.
inline __m128i q4k_scales_mins(const uint8_t* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i a = _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 1, 2, 0));  // w0 w2 w1 w2
  const __m128i b = _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 1, 0, 0));  // w0 w0 w1 w1
  const __m128i low = _mm_and_si128(_mm_srlv_epi32(a, _mm_setr_epi32(0, 0, 0, 4)),
                                    _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
  const __m128i high = _mm_and_si128(_mm_srli_epi32(b, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
  return _mm_or_si128(low, high);
}

// Q3_K's 16 scales minus 32 as int8 (q3_K_scale of quant_blocks.h, four at a time with
// 32-bit word operations; the ISA files' own copy: they call no inline function of plain code).
inline __m128i q3_K_scales(const uint8_t* packed) {
  uint32_t w[3];
  std::memcpy(w, packed, 12);
  const uint32_t m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
  const __m128i s = _mm_set_epi32(int((w[1] >> 4 & m4) | ((w[2] >> 6 & m2) << 4)),   // scales 12..15
                                  int((w[0] >> 4 & m4) | ((w[2] >> 4 & m2) << 4)),   // 8..11
                                  int((w[1] & m4) | ((w[2] >> 2 & m2) << 4)),         // 4..7
                                  int((w[0] & m4) | ((w[2] & m2) << 4)));             // 0..3
  return _mm_sub_epi8(s, _mm_set1_epi8(32));
}

// A 32-byte vpshufb table (aligned).
inline __m256i table256(const int8_t* t) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(t)); }

// f16 d and dmin of a block (its first 4 bytes) as one int32.
inline int d_dmin_bits(const tome::BlockQ4_K& b) {
  int v;
  std::memcpy(&v, &b.d, 4);
  return v;
}

}  // namespace
