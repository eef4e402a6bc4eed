// Internal: Q4_K x Q8_K in llama.cpp's repacked gemm order (kernels.h, "Q4_K gemm"),
// 4 weight rows x 4 tokens at a time, included by each ISA's file:
// dot_q4k_avx2.cpp (vpmaddubsw, int16 sums), dot_q4k_vnni.cpp and dot_q4k_avxvnni.cpp
// (vpdpbusd, int32 sums). Integer sums are exact either way, so all give the same bits.
//
// Layout: the weight bytes of the 4 rows are interleaved 8 at a time, so a vector
// holds [row 0 | row 1 | row 2 | row 3] x 8 levels of one position, and the 8
// activation bytes of that position are broadcast to all 4 rows: the int lanes
// are then (row, 4-element half) with no horizontal sum across a row. Per
// sub-block j (32 elements) and token k, 4 such steps leave each row's sum of
// q * q8 in 2 lanes; they are scaled (vpmaddwd: the bound of q4k_simd.h), the two
// sub-blocks of a 64-element chunk added, and one vphaddd per 2 tokens leaves
// isum_c of 8 (row, token) outputs in the lanes of one vector, which feeds
//   acc = fma(float(isum_c), dw*da, acc),  accm = fma(float(imin_c), dmin*da, accm)
// lane by lane: the canonical chains of every output, 8 at a time.
// 256-bit vectors in both builds: a 512-bit VNNI variant (rows in 128-bit lanes,
// 16 activation bytes broadcast) measured 3.5 against 2.95 ns per row x token x
// super-block on Zen 4, which runs 512-bit operations as two 256-bit halves.
#pragma once
#include <algorithm>

#include "cpu/kernels.h"
#include "cpu/kquant_simd.h"
#include "cpu/tile_stores.h"

namespace {

#ifdef TOME_VNNI256
// int32 lanes, 4 products each per step.
inline __m256i q4k_dot_step(__m256i acc, __m256i w, __m256i a) { return dpbusd256(acc, w, a); }
constexpr bool kQ4kInt32Lanes = true;
#else
// int16 lanes, 2 products each per step (|2 q q8| <= 3840: vpmaddubsw never saturates).
inline __m256i q4k_dot_step(__m256i acc, __m256i w, __m256i a) {
  return _mm256_add_epi16(acc, _mm256_maddubs_epi16(w, a));
}
constexpr bool kQ4kInt32Lanes = false;
#endif

// vpshufb tables. A 128-bit lane holds two rows (qwords); q = 0, 1 is the row in it.
//   scale[j]: from S = [scales r0 | scales r1] (bytes, per 128-bit lane), sub-block
//             j's scale of each row as the multiplier word of every sum lane:
//             int32 lanes (scale, 0), int16 lanes (scale, scale).
//   mins[c]:  from M = [mins r0 | mins r1], dword lanes ordered (r0, r1, r0, r1) as
//             the isum vectors, each the words (min[2c], min[2c+1]) of its row.
struct Q4kGemmTables {
  alignas(32) int8_t scale[8][32];
  alignas(32) int8_t mins[4][32];
  constexpr Q4kGemmTables() : scale(), mins() {
    for (int j = 0; j < 8; ++j)
      for (int b = 0; b < 32; ++b) {
        const int q = (b % 16) / 8, pos = b % 8;
        const bool scale_byte = kQ4kInt32Lanes ? pos % 4 == 0 : pos % 2 == 0;
        scale[j][b] = int8_t(scale_byte ? 8 * q + j : -1);
      }
    for (int c = 0; c < 4; ++c)
      for (int b = 0; b < 32; ++b) {
        const int q = ((b % 16) / 4) % 2, pos = b % 4;
        mins[c][b] = int8_t(pos == 0 ? 8 * q + 2 * c : pos == 2 ? 8 * q + 2 * c + 1 : -1);
      }
  }
};
constexpr Q4kGemmTables kQ4kGemm{};

// res[h], lane l: the dot of row x[r] with token a[k], r = (l & 1) + 2 (l >> 2),
// k = ((l >> 1) & 1) + 2h (the lane order vphaddd leaves).
inline void q4k_gemm_4x4(const tome::BlockQ4_K* const x[4], const tome::BlockQ8_K* const a[4], int64_t nb,
                         __m256 res[2]) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}, accm[2] = {acc[0], acc[1]};
  for (int64_t i = 0; i < nb; ++i) {
    __m128i sm[4];
    TOME_UNROLL
    for (int r = 0; r < 4; ++r) sm[r] = q4k_scales_mins(x[r][i].scales);
    const __m256i S = _mm256_set_m128i(_mm_unpacklo_epi64(sm[2], sm[3]), _mm_unpacklo_epi64(sm[0], sm[1]));
    const __m256i M = _mm256_set_m128i(_mm_unpackhi_epi64(sm[2], sm[3]), _mm_unpackhi_epi64(sm[0], sm[1]));

    // per-output multipliers in the lane order of res: dw*da and dmin*da
    const __m256 dd = _mm256_cvtph_ps(_mm_setr_epi32(d_dmin_bits(x[0][i]), d_dmin_bits(x[1][i]),
                                                     d_dmin_bits(x[2][i]), d_dmin_bits(x[3][i])));
    const __m256 da = _mm256_castps128_ps256(_mm_setr_ps(a[0][i].d, a[1][i].d, a[2][i].d, a[3][i].d));
    const __m256 dw = _mm256_permutevar8x32_ps(dd, _mm256_setr_epi32(0, 2, 0, 2, 4, 6, 4, 6));
    const __m256 dm = _mm256_permutevar8x32_ps(dd, _mm256_setr_epi32(1, 3, 1, 3, 5, 7, 5, 7));
    const __m256 da01 = _mm256_permutevar8x32_ps(da, _mm256_setr_epi32(0, 0, 1, 1, 0, 0, 1, 1));
    const __m256 da23 = _mm256_permutevar8x32_ps(da, _mm256_setr_epi32(2, 2, 3, 3, 2, 2, 3, 3));
    const __m256 d[2] = {_mm256_mul_ps(dw, da01), _mm256_mul_ps(dw, da23)};
    const __m256 dmin[2] = {_mm256_mul_ps(dm, da01), _mm256_mul_ps(dm, da23)};

    // bsums[2j] + bsums[2j+1] as words: dwords [t0 c0, t0 c1, t1 c0, t1 c1 | t0 c2, t0 c3, t1 c2, t1 c3]
    const __m256i bs[2] = {_mm256_hadd_epi16(load256(a[0][i].bsums), load256(a[1][i].bsums)),
                           _mm256_hadd_epi16(load256(a[2][i].bsums), load256(a[3][i].bsums))};

    TOME_UNROLL
    for (int c = 0; c < 4; ++c) {
      // chunk c (qs bytes 32c..32c+31: sub-block 2c in the low nibbles, 2c+1 in the
      // high ones) of the 4 rows; wq[g] = bytes 8g..8g+7 of rows [0 | 1 | 2 | 3]
      __m256i q[4];
      TOME_UNROLL
      for (int r = 0; r < 4; ++r) q[r] = load256(x[r][i].qs + 32 * c);
      const __m256i t0 = _mm256_unpacklo_epi64(q[0], q[1]), t1 = _mm256_unpackhi_epi64(q[0], q[1]);
      const __m256i t2 = _mm256_unpacklo_epi64(q[2], q[3]), t3 = _mm256_unpackhi_epi64(q[2], q[3]);
      const __m256i wq[4] = {_mm256_permute2x128_si256(t0, t2, 0x20), _mm256_permute2x128_si256(t1, t3, 0x20),
                             _mm256_permute2x128_si256(t0, t2, 0x31), _mm256_permute2x128_si256(t1, t3, 0x31)};
      __m256i isum[4];  // per token: lanes (row, half), scaled
      TOME_UNROLL
      for (int s = 0; s < 2; ++s) {
        const int j = 2 * c + s;
        __m256i w[4];
        TOME_UNROLL
        for (int g = 0; g < 4; ++g) w[g] = _mm256_and_si256(s == 0 ? wq[g] : _mm256_srli_epi16(wq[g], 4), m4);
        const __m256i scale = _mm256_shuffle_epi8(S, table256(kQ4kGemm.scale[j]));
        TOME_UNROLL
        for (int k = 0; k < 4; ++k) {
          const int8_t* aq = a[k][i].qs + 32 * j;
          __m256i v = _mm256_setzero_si256();
          TOME_UNROLL
          for (int g = 0; g < 4; ++g) v = q4k_dot_step(v, w[g], broadcast8(aq + 8 * g));
          const __m256i scaled = _mm256_madd_epi16(v, scale);
          isum[k] = s == 0 ? scaled : _mm256_add_epi32(isum[k], scaled);
        }
      }
      // imin_c of each output: words (bsum pair 2c, 2c+1) . (min 2c, min 2c+1)
      const int base = (c / 2) * 4 + c % 2;
      const __m256i pick = _mm256_setr_epi32(base, base, base + 2, base + 2, base, base, base + 2, base + 2);
      const __m256i mins = _mm256_shuffle_epi8(M, table256(kQ4kGemm.mins[c]));
      TOME_UNROLL
      for (int h = 0; h < 2; ++h) {
        const __m256i is = _mm256_hadd_epi32(isum[2 * h], isum[2 * h + 1]);
        const __m256i im = _mm256_madd_epi16(_mm256_permutevar8x32_epi32(bs[h], pick), mins);
        acc[h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(is), d[h], acc[h]);
        accm[h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(im), dmin[h], accm[h]);
      }
    }
  }
  TOME_UNROLL
  for (int h = 0; h < 2; ++h) res[h] = _mm256_sub_ps(acc[h], accm[h]);
}

// Any tile, in 4 x 4 steps; a step short of rows or tokens repeats the last one
// and drops those outputs (each output depends only on its own row and token).
inline void q4k_gemm_tile(const tome::kernels::DotTile& t) {
  const int64_t nb = t.n / tome::kQKK;
  for (int r0 = 0; r0 < t.n_w; r0 += 4) {
    const tome::BlockQ4_K* x[4];
    for (int r = 0; r < 4; ++r)
      x[r] = reinterpret_cast<const tome::BlockQ4_K*>(t.w + size_t(std::min(r0 + r, t.n_w - 1)) * t.w_stride);
    for (int k0 = 0; k0 < t.n_act; k0 += 4) {
      const tome::BlockQ8_K* a[4];
      for (int k = 0; k < 4; ++k)
        a[k] = reinterpret_cast<const tome::BlockQ8_K*>(t.act + size_t(std::min(k0 + k, t.n_act - 1)) * t.act_stride);
      __m256 res[2];
      q4k_gemm_4x4(x, a, nb, res);
      alignas(32) float v[2][8];
      _mm256_store_ps(v[0], res[0]);
      _mm256_store_ps(v[1], res[1]);
      tome::kernels::store_repacked_4x4(t, r0, k0, v);
    }
  }
}

}  // namespace
