// Q2_K x Q8_K in llama.cpp's repacked gemm order (kernels.h: per 128-element half of a
// super-block exact sums isum = scale * q * q8 and imin = min * bsums; acc =
// fma(float(isum), dw*da, acc), accm = fma(float(imin), dmin*da, accm); acc - accm)
// for tiles of 4 tokens, built with AVX512-VNNI. Other tiles go to the AVX2 kernel of
// dot_kquant_avx2.cpp, whose results these equal bit for bit (exact integers).
//
// Sub-blocks in the lanes, as dot_iq4xs_vnni.cpp: lane p holds sub-block kLaneOrder[p]
// (16 elements) of a half, step g (0..3) feeds its elements 4g..4g+3, so after 4
// vpdpbusd (levels 0..3 are the unsigned operand as they are) a lane holds its
// sub-block's dot; one vpmulld by the scales and one reduction across outputs
// finish the half.
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/avx2_util.h"
#include "cpu/quant_blocks.h"
#include "cpu/tile_stores.h"

namespace {

using tome::BlockQ2_K;
using tome::BlockQ8_K;

constexpr int kLaneOrder[8] = {0, 2, 4, 6, 1, 3, 5, 7};

// w[g], lane p: the levels of elements 4g..4g+3 of sub-block s = kLaneOrder[p] of half c.
// Sub-block s's element e is bits 2(s/2).. of qs byte 32c + 16(s%2) + e: dword 4(s%2) + g
// of the half's 32 bytes, shifted by 2(s/2).
inline void weights_q2(const BlockQ2_K& b, int c, __m256i w[4]) {
  const __m256i qs = load256(b.qs + 32 * c);
  const __m256i shifts = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  const __m256i m3 = _mm256_set1_epi8(3);
  TOME_UNROLL
  for (int g = 0; g < 4; ++g) {
    const __m256i idx = _mm256_setr_epi32(g, g, g, g, 4 + g, 4 + g, 4 + g, 4 + g);
    w[g] = _mm256_and_si256(_mm256_srlv_epi32(_mm256_permutevar8x32_epi32(qs, idx), shifts), m3);
  }
}

// y[g], lane p: the q8 of elements 4g..4g+3 of sub-block kLaneOrder[p] of half c (each
// 32-byte load holds two sub-blocks, 4 dwords each).
inline void acts_q2(const BlockQ8_K& a, int c, __m256i y[4]) {
  const int8_t* q = a.qs + 128 * c;
  const __m256i l[4] = {load256(q), load256(q + 32), load256(q + 64), load256(q + 96)};
  transpose_dwords_4x8(l, y);
}

// The scale nibbles of half c's sub-blocks, lane p sub-block kLaneOrder[p].
inline __m256i scales_q2(const BlockQ2_K& b, int c) {
  const __m256i s = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b.scales + 8 * c)));
  return _mm256_and_si256(_mm256_permutevar8x32_epi32(s, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7)),
                          _mm256_set1_epi32(0xF));
}

// For 4 outputs' madd(mins, bsums) vectors m[0..3] (lane l: sub-blocks 2l, 2l + 1): lane
// o of the low half the sum of m[o]'s lanes 0..3 (half 0 of the super-block), lane o of
// the high half the sum of lanes 4..7 (half 1).
inline __m256i half_sums4(const __m256i m[4]) {
  return _mm256_hadd_epi32(_mm256_hadd_epi32(m[0], m[1]), _mm256_hadd_epi32(m[2], m[3]));
}

template <int NW>
void gemm_4tok(const tome::kernels::DotTile& t, int r0) {
  const BlockQ2_K* x[4];
  const BlockQ8_K* a[4];
  for (int r = 0; r < 4; ++r) x[r] = reinterpret_cast<const BlockQ2_K*>(t.w + size_t(r0 + (r < NW ? r : NW - 1)) * t.w_stride);
  for (int k = 0; k < 4; ++k) a[k] = reinterpret_cast<const BlockQ8_K*>(t.act + size_t(k) * t.act_stride);
  // outputs p = 4r + k; group h holds p = 8h .. 8h + 7 (rows 2h, 2h + 1)
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}, accm[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  const int64_t nb = t.n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    // integer sums: isum[c][p] (lanes still per sub-block until the reduction), imin
    __m256i isum_tot[2][2];
    TOME_UNROLL
    for (int c = 0; c < 2; ++c) {
      __m256i yq[4][4], wq[4][4];
      TOME_UNROLL
      for (int k = 0; k < 4; ++k) acts_q2(a[k][i], c, yq[k]);
      __m256i dots[16];
      TOME_UNROLL
      for (int r = 0; r < 4; ++r) {
        weights_q2(x[r][i], c, wq[r]);
        const __m256i sc = scales_q2(x[r][i], c);
        TOME_UNROLL
        for (int k = 0; k < 4; ++k) {
          __m256i s = _mm256_setzero_si256();
          TOME_UNROLL
          for (int g = 0; g < 4; ++g) s = _mm256_dpbusd_epi32(s, wq[r][g], yq[k][g]);
          dots[4 * r + k] = _mm256_mullo_epi32(s, sc);
        }
      }
      isum_tot[c][0] = totals8(dots);
      isum_tot[c][1] = totals8(dots + 8);
    }
    __m256i imin_tot[2][2];  // [half][group]
    {
      __m256i m[16];
      TOME_UNROLL
      for (int r = 0; r < 4; ++r) {
        const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[r][i].scales));
        const __m256i min16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F)));
        TOME_UNROLL
        for (int k = 0; k < 4; ++k) m[4 * r + k] = _mm256_madd_epi16(min16, load256(a[k][i].bsums));
      }
      // q[j]: outputs 4j..4j+3, half 0 low / half 1 high
      const __m256i q0 = half_sums4(m), q1 = half_sums4(m + 4), q2 = half_sums4(m + 8), q3 = half_sums4(m + 12);
      imin_tot[0][0] = _mm256_permute2x128_si256(q0, q1, 0x20);
      imin_tot[1][0] = _mm256_permute2x128_si256(q0, q1, 0x31);
      imin_tot[0][1] = _mm256_permute2x128_si256(q2, q3, 0x20);
      imin_tot[1][1] = _mm256_permute2x128_si256(q2, q3, 0x31);
    }
    const __m128 da = _mm_setr_ps(a[0][i].d, a[1][i].d, a[2][i].d, a[3][i].d);
    const __m256 da2 = _mm256_set_m128(da, da);
    TOME_UNROLL
    for (int h = 0; h < 2; ++h) {
      const __m256 dw = _mm256_set_m128(_mm_set1_ps(half_to_float(x[2 * h + 1][i].d)), _mm_set1_ps(half_to_float(x[2 * h][i].d)));
      const __m256 dm = _mm256_set_m128(_mm_set1_ps(half_to_float(x[2 * h + 1][i].dmin)),
                                        _mm_set1_ps(half_to_float(x[2 * h][i].dmin)));
      const __m256 sd = _mm256_mul_ps(dw, da2), sm = _mm256_mul_ps(dm, da2);
      TOME_UNROLL
      for (int c = 0; c < 2; ++c) {
        acc[h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum_tot[c][h]), sd, acc[h]);
        accm[h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(imin_tot[c][h]), sm, accm[h]);
      }
    }
  }
  alignas(32) float res[16];
  _mm256_store_ps(res, _mm256_sub_ps(acc[0], accm[0]));
  _mm256_store_ps(res + 8, _mm256_sub_ps(acc[1], accm[1]));
  tome::kernels::store_rows_by_token(t, r0, NW, res);
}

}  // namespace

namespace tome {
namespace kernels {

void dot_q2_K_gemm_vnni(const DotTile& t) {
  if (t.n_act != 4) return dot_q2_K_gemm_avx2(t);
  static constexpr RowsKernel kByRows[4] = {gemm_4tok<1>, gemm_4tok<2>, gemm_4tok<3>, gemm_4tok<4>};
  over_row_steps(t, kByRows);
}

}  // namespace kernels
}  // namespace tome
#endif
