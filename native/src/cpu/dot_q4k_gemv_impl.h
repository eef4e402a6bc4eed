// Internal: Q4_K x Q8_K in the per-super-block order of kernels.h ("Q4_K x Q8_K":
// llama.cpp's repacked gemv, used for decode and wherever tokens are not in a
// 4-token gemm group), one weight row x one token at a time, included by each
// ISA's file: dot_q4k_avx2.cpp and dot_q4k_vnni.cpp (the same integers, so the
// same bits).
//
// Per super-block i the exact integers isum_i = sum_j scale_j * (q . q8 over
// sub-block j) and imin_i = sum_j min_j * (bsums[2j] + bsums[2j+1]) are left in the
// int32 lanes of one vector each; 8 super-blocks' vectors are summed across lanes
// together (totals8), then the float chains take them in order:
//   acc = fma(da*dw, isum_i, acc),  accm = fma(da*dmin, imin_i, accm);  acc - accm.
#pragma once
#include <algorithm>

#include "cpu/kernels.h"
#include "cpu/q4k_simd.h"

namespace {

// vpshufb tables over a super-block's unpacked scales and mins (q4k_simd.h) in
// both 128-bit lanes: kQ4kScaleWords[j] puts scale j in every word (AVX2 path);
// kQ4kMinPairs puts min j in words 2j and 2j+1, against the 16 bsums.
struct Q4kGemvTables {
  alignas(32) int8_t scale_words[8][32];
  alignas(32) int8_t min_pairs[32];
  constexpr Q4kGemvTables() : scale_words(), min_pairs() {
    for (int b = 0; b < 32; ++b) {
      for (int j = 0; j < 8; ++j) scale_words[j][b] = int8_t(b % 2 == 0 ? j : -1);
      const int word = (b % 16) / 2 + 8 * (b / 16);  // word 0..15 of the 256-bit vector
      min_pairs[b] = int8_t(b % 2 == 0 ? 8 + word / 2 : -1);
    }
  }
};
constexpr Q4kGemvTables kQ4kGemv{};

// Lanes whose sum is isum of super-block x . a (sm: its unpacked scales and mins).
#if defined(__AVX512VNNI__) && defined(__AVX512VL__) && defined(__AVX512BW__)
// Chunk c as one 512-bit vector: [sub-block 2c (low nibbles) | 2c+1 (high
// nibbles)] against the 64 activations of the chunk; vpmaddubsw pairs, vpmaddwd by
// the scale words of each half; the 4 chunks summed as a tree (short chains).
inline __m256i q4k_isum_lanes(const tome::BlockQ4_K& x, const tome::BlockQ8_K& a, __m128i sm) {
  const __m512i words = _mm512_castsi256_si512(_mm256_cvtepu8_epi16(sm));  // scales 0..7, mins 0..7
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512i p[4];
  TOME_UNROLL
  for (int c = 0; c < 4; ++c) {
    const __m512i q = _mm512_broadcast_i64x4(load256(x.qs + 32 * c));
    const __m512i lv = _mm512_and_si512(_mm512_mask_srli_epi16(q, __mmask32(0xFFFF0000u), q, 4), m4);
    const __m512i s = _mm512_permutexvar_epi16(
        _mm512_inserti64x4(_mm512_set1_epi16(short(2 * c)), _mm256_set1_epi16(short(2 * c + 1)), 1), words);
    p[c] = _mm512_madd_epi16(_mm512_maddubs_epi16(lv, _mm512_loadu_si512(a.qs + 64 * c)), s);
  }
  const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(p[0], p[1]), _mm512_add_epi32(p[2], p[3]));
  return _mm256_add_epi32(_mm512_castsi512_si256(sum), _mm512_extracti64x4_epi64(sum, 1));
}
#else
// Per chunk c: vpmaddubsw pairs of sub-blocks 2c and 2c+1, vpmaddwd by their scale words.
inline __m256i q4k_isum_lanes(const tome::BlockQ4_K& x, const tome::BlockQ8_K& a, __m128i sm) {
  const __m256i sm2 = _mm256_broadcastsi128_si256(sm);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256i sum = _mm256_setzero_si256();
  TOME_UNROLL
  for (int c = 0; c < 4; ++c) {
    const __m256i q = load256(x.qs + 32 * c);
    const __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
    const __m256i s_lo = _mm256_shuffle_epi8(sm2, table256(kQ4kGemv.scale_words[2 * c]));
    const __m256i s_hi = _mm256_shuffle_epi8(sm2, table256(kQ4kGemv.scale_words[2 * c + 1]));
    const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(a.qs + 64 * c)), s_lo);
    const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load256(a.qs + 64 * c + 32)), s_hi);
    sum = _mm256_add_epi32(sum, _mm256_add_epi32(p_lo, p_hi));
  }
  return sum;
}
#endif

// Lanes whose sum is imin of super-block a (sm as above).
inline __m256i q4k_imin_lanes(const tome::BlockQ8_K& a, __m128i sm) {
  const __m256i mins = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(sm), table256(kQ4kGemv.min_pairs));
  return _mm256_madd_epi16(load256(a.bsums), mins);
}

// The dot of one row x (nb super-blocks) with one activation row a.
inline float q4k_gemv_row(const tome::BlockQ4_K* x, const tome::BlockQ8_K* a, int64_t nb) {
  float acc = 0.0f, accm = 0.0f;
  int64_t i = 0;
  for (; i + 8 <= nb; i += 8) {
    __m256i is[8], im[8];
    TOME_UNROLL
    for (int k = 0; k < 8; ++k) {
      const __m128i sm = q4k_scales_mins(x[i + k].scales);
      is[k] = q4k_isum_lanes(x[i + k], a[i + k], sm);
      im[k] = q4k_imin_lanes(a[i + k], sm);
    }
    alignas(32) float isum[8], imin[8];
    _mm256_store_ps(isum, _mm256_cvtepi32_ps(totals8(is)));
    _mm256_store_ps(imin, _mm256_cvtepi32_ps(totals8(im)));
    TOME_UNROLL
    for (int k = 0; k < 8; ++k) {
      const float da = a[i + k].d;
      acc = fma1(da * half_to_float(x[i + k].d), isum[k], acc);
      accm = fma1(da * half_to_float(x[i + k].dmin), imin[k], accm);
    }
  }
  for (; i < nb; ++i) {
    const __m128i sm = q4k_scales_mins(x[i].scales);
    const float da = a[i].d;
    acc = fma1(da * half_to_float(x[i].d), float(hsum_i32_8(q4k_isum_lanes(x[i], a[i], sm))), acc);
    accm = fma1(da * half_to_float(x[i].dmin), float(hsum_i32_8(q4k_imin_lanes(a[i], sm))), accm);
  }
  return acc - accm;
}

// Any tile, one output at a time (decode: one weight row after the other, one
// sequential stream for the hardware prefetcher).
inline void q4k_gemv_tile(const tome::kernels::DotTile& t) {
  const int64_t nb = t.n / tome::kQKK;
  for (int r = 0; r < t.n_w; ++r) {
    const auto* x = reinterpret_cast<const tome::BlockQ4_K*>(t.w + size_t(r) * t.w_stride);
    for (int k = 0; k < t.n_act; ++k)
      t.out[size_t(k) * t.out_stride + size_t(r)] =
          q4k_gemv_row(x, reinterpret_cast<const tome::BlockQ8_K*>(t.act + size_t(k) * t.act_stride), nb);
  }
}

}  // namespace
