// Helpers for the *_avx2.cpp files only (they need -mavx2 -mfma -mf16c). All in an
// anonymous namespace so no out-of-line copy can leak into plain code.
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

// Fully unrolls the short constant loops over rows, tokens, chunks and lanes, whose
// arrays of vectors must live in registers (GCC at -O2 keeps them on the stack).
#if defined(__GNUC__)
#define TOME_UNROLL _Pragma("GCC unroll 16")
#else
#define TOME_UNROLL
#endif

// vpdpbusd / vpdpwssd on 256-bit vectors where the build has them: the EVEX forms
// of AVX512-VNNI + VL (*_vnni.cpp) or the VEX forms of AVX-VNNI (*_avxvnni.cpp: Intel
// since Alder Lake, AMD since Zen 5, CPUs with it but no AVX-512 among them).
// TOME_VNNI256 says the build has one; TOME_YMM_REGS is how many vector registers
// a kernel may keep live (AVX-512 VL adds 16), which sets some tiles' row counts.
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define TOME_VNNI256 1
#define TOME_YMM_REGS 32
#elif defined(__AVXVNNI__)
#define TOME_VNNI256 1
#define TOME_YMM_REGS 16
#else
#define TOME_YMM_REGS 16
#endif

namespace {

#ifdef TOME_VNNI256
// Lane l of acc += the 4 products u[4l..4l+3] * s[4l..4l+3] (u unsigned, s signed bytes).
inline __m256i dpbusd256(__m256i acc, __m256i u, __m256i s) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(acc, u, s);
#else
  return _mm256_dpbusd_avx_epi32(acc, u, s);
#endif
}
// Lane l of acc += a.w[2l] * b.w[2l] + a.w[2l+1] * b.w[2l+1] (signed words).
inline __m256i dpwssd256(__m256i acc, __m256i a, __m256i b) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpwssd_epi32(acc, a, b);
#else
  return _mm256_dpwssd_avx_epi32(acc, a, b);
#endif
}
#endif

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
// 8 bytes at p in every qword.
inline __m256i broadcast8(const int8_t* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return _mm256_set1_epi64x(v);
}

// ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7)), the canonical hsum8 of kernels.h.
inline float hsum8_avx(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Exact integer horizontal sums.
inline int hsum_i32_4(__m128i v) {
  v = _mm_add_epi32(v, _mm_unpackhi_epi64(v, v));
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(v);
}
inline int hsum_i32_8(__m256i v) {
  return hsum_i32_4(_mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

// Lane p of the result: the (exact) sum of the 8 int32 lanes of v[p], p < 8.
inline __m256i totals8(const __m256i v[8]) {
  const __m256i h01 = _mm256_hadd_epi32(v[0], v[1]), h23 = _mm256_hadd_epi32(v[2], v[3]);
  const __m256i h45 = _mm256_hadd_epi32(v[4], v[5]), h67 = _mm256_hadd_epi32(v[6], v[7]);
  const __m256i h0123 = _mm256_hadd_epi32(h01, h23), h4567 = _mm256_hadd_epi32(h45, h67);
  // h0123 = [v0 lo, v1 lo, v2 lo, v3 lo | v0 hi, v1 hi, v2 hi, v3 hi] (128-bit halves)
  return _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20),
                          _mm256_permute2x128_si256(h0123, h4567, 0x31));
}

// Four 32-byte rows l[i] = [dwords 0..3 of block 2i | dwords 0..3 of block 2i + 1]
// (eight 16-byte blocks) -> out[g], lane p: dword g of block {0, 2, 4, 6, 1, 3, 5, 7}[p].
inline void transpose_dwords_4x8(const __m256i l[4], __m256i out[4]) {
  const __m256i a_lo = _mm256_unpacklo_epi32(l[0], l[1]), a_hi = _mm256_unpackhi_epi32(l[0], l[1]);
  const __m256i b_lo = _mm256_unpacklo_epi32(l[2], l[3]), b_hi = _mm256_unpackhi_epi32(l[2], l[3]);
  out[0] = _mm256_unpacklo_epi64(a_lo, b_lo);
  out[1] = _mm256_unpackhi_epi64(a_lo, b_lo);
  out[2] = _mm256_unpacklo_epi64(a_hi, b_hi);
  out[3] = _mm256_unpackhi_epi64(a_hi, b_hi);
}

// One-rounding a*b+c (the scalar kernels use std::fma; same result).
inline float fma1(float a, float b, float c) {
  return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c)));
}

inline float half_to_float(uint16_t h) { return _cvtsh_ss(h); }

// Signed int8 x signed int8, 32 lanes -> 8 int32 lanes, lane l = sum of bytes 4l..4l+3.
// The sign trick makes x unsigned for maddubs; exact for |x|, |y| <= 127 (and x = -128).
// Built with a 256-bit vpdpbusd (TOME_VNNI256): one instruction, the same exact int32 lanes.
inline __m256i dot_i8_lanes(__m256i x_abs, __m256i x, __m256i y) {
#ifdef TOME_VNNI256
  return dpbusd256(_mm256_setzero_si256(), x_abs, _mm256_sign_epi8(y, x));
#else
  const __m256i p16 = _mm256_maddubs_epi16(x_abs, _mm256_sign_epi8(y, x));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
#endif
}

}  // namespace
