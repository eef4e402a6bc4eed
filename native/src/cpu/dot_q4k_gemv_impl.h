// Internal: Q4_K x Q8_K in the per-super-block order of kernels.h ("Q4_K x Q8_K":
// llama.cpp's repacked gemv, used for decode and wherever tokens are not in a
// 4-token gemm group), one weight row x one token at a time, included by each
// ISA's file: dot_q4k_avx2.cpp, dot_q4k_vnni.cpp and dot_q4k_avxvnni.cpp (the same
// integers, so the same bits).
//
// Per super-block i the exact integers isum_i = sum_j scale_j * (q . q8 over
// sub-block j) and imin_i = sum_j min_j * (bsums[2j] + bsums[2j+1]) are left in the
// int32 lanes of one vector each; 8 super-blocks' vectors are summed across lanes
// together (totals8), then the float chains take them in order, as the two lanes
// of one vector:
//   acc = fma(da*dw, isum_i, acc),  accm = fma(da*dmin, imin_i, accm);  acc - accm.
#pragma once
#include "cpu/kernels.h"
#include "cpu/kquant_simd.h"
#include "cpu/stream_prefetch.h"

namespace {

// vpshufb tables over a super-block's unpacked scales and mins (q4k_simd.h) in
// both 128-bit lanes: scale_words[j] puts scale j in every word (AVX2 path);
// scale_pairs[c] scale 2c in words 0-3 and 2c+1 in words 4-7 of each 128-bit lane
// (VNNI path); min_pairs puts min j in words 2j and 2j+1, against the 16 bsums.
struct Q4kGemvTables {
  alignas(32) int8_t scale_words[8][32];
  alignas(32) int8_t scale_pairs[4][32];
  alignas(32) int8_t min_pairs[32];
  constexpr Q4kGemvTables() : scale_words(), scale_pairs(), min_pairs() {
    for (int b = 0; b < 32; ++b) {
      for (int j = 0; j < 8; ++j) scale_words[j][b] = int8_t(b % 2 == 0 ? j : -1);
      for (int c = 0; c < 4; ++c) scale_pairs[c][b] = int8_t(b % 2 == 0 ? 2 * c + (b % 16) / 8 : -1);
      const int word = (b % 16) / 2 + 8 * (b / 16);  // word 0..15 of the 256-bit vector
      min_pairs[b] = int8_t(b % 2 == 0 ? 8 + word / 2 : -1);
    }
  }
};
constexpr Q4kGemvTables kQ4kGemv{};

// Lanes whose sum is isum of super-block x . a (sm: its unpacked scales and mins).
#ifdef TOME_VNNI256
// Per chunk c: vpdpbusd leaves the sums of q * q8 of sub-blocks 2c and 2c+1 in 8
// int32 lanes each (4 products a lane, |lane| <= 7680), vpackssdw packs both into
// one vector of words (exact: they fit), and vpdpwssd adds their products with the
// scale words (scale 2c against sub-block 2c's words, 2c+1 against 2c+1's).
inline __m256i q4k_isum_lanes(const tome::BlockQ4_K& x, const tome::BlockQ8_K& a, __m128i sm) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
  const __m256i sm2 = _mm256_broadcastsi128_si256(sm);
  __m256i sum = zero;
  TOME_UNROLL
  for (int c = 0; c < 4; ++c) {
    const __m256i q = load256(x.qs + 32 * c);
    const __m256i p_lo = dpbusd256(zero, _mm256_and_si256(q, m4), load256(a.qs + 64 * c));
    const __m256i p_hi =
        dpbusd256(zero, _mm256_and_si256(_mm256_srli_epi16(q, 4), m4), load256(a.qs + 64 * c + 32));
    // words per 128-bit lane: 4 lanes of p_lo, then 4 of p_hi
    const __m256i scales = _mm256_shuffle_epi8(sm2, table256(kQ4kGemv.scale_pairs[c]));
    sum = dpwssd256(sum, _mm256_packs_epi32(p_lo, p_hi), scales);
  }
  return sum;
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

// The dot of one row x (nb super-blocks) with one activation row a. The two float
// chains run as lanes 0 and 1 of one vector: [acc, accm] = fma([da*dw, da*dmin],
// [isum, imin], [acc, accm]), one fma per super-block.
inline float q4k_gemv_row(const tome::BlockQ4_K* x, const tome::BlockQ8_K* a, int64_t nb) {
  __m128 acc = _mm_setzero_ps();  // [acc, accm, 0, 0]
  int64_t i = 0;
  for (; i + 8 <= nb; i += 8) {
    __m256i is[8], im[8];
    __m128 d[8];  // [da*dw, da*dmin, 0, 0] of block i + k
    TOME_UNROLL
    for (int k = 0; k < 8; ++k) {
      tome::kernels::prefetch_ahead<sizeof(tome::BlockQ4_K)>(&x[i + k]);
      const __m128i sm = q4k_scales_mins(x[i + k].scales);
      is[k] = q4k_isum_lanes(x[i + k], a[i + k], sm);
      im[k] = q4k_imin_lanes(a[i + k], sm);
      d[k] = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(d_dmin_bits(x[i + k]))), _mm_set1_ps(a[i + k].d));
    }
    // (isum, imin) pairs: pairs[0] = blocks 0, 1, 4, 5; pairs[1] = blocks 2, 3, 6, 7
    const __m256 fs = _mm256_cvtepi32_ps(totals8(is)), fm = _mm256_cvtepi32_ps(totals8(im));
    alignas(32) float pairs[2][8];
    _mm256_store_ps(pairs[0], _mm256_unpacklo_ps(fs, fm));
    _mm256_store_ps(pairs[1], _mm256_unpackhi_ps(fs, fm));
    TOME_UNROLL
    for (int k = 0; k < 8; ++k) {
      const float* p = &pairs[(k >> 1) & 1][4 * (k >> 2) + 2 * (k & 1)];
      acc = _mm_fmadd_ps(d[k], _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(p))), acc);
    }
  }
  float accs[4];
  _mm_storeu_ps(accs, acc);
  for (; i < nb; ++i) {
    tome::kernels::prefetch_ahead<sizeof(tome::BlockQ4_K)>(&x[i]);
    const __m128i sm = q4k_scales_mins(x[i].scales);
    const float da = a[i].d;
    accs[0] = fma1(da * half_to_float(x[i].d), float(hsum_i32_8(q4k_isum_lanes(x[i], a[i], sm))), accs[0]);
    accs[1] = fma1(da * half_to_float(x[i].dmin), float(hsum_i32_8(q4k_imin_lanes(a[i], sm))), accs[1]);
  }
  return accs[0] - accs[1];
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
