// Internal: the 4-token (prefill) kernels of Q8_0 / Q4_0 / IQ4_NL / MXFP4 x Q8_0, in both
// orders of kernels.h, included by dot_q32_impl.h. Per block, the weight levels
// of the tile's rows are unpacked once for 4 tokens, each token's activation
// block loaded once for all rows, and the float scale products dw*da of the whole
// tile formed in two vector multiplies.
//
// In the VNNI builds (q32_simd.h's kQ32Biased) the integer sums use biased
// weight levels: one vpdpbusd per (row, token) and block, the per-token term
// kBias * sum(a) computed once for all rows. The AVX2 build uses the sign trick
// (avx2_util.h's dot_i8_lanes). Both give the exact integers, so the same bits.
#pragma once
#include <algorithm>

#include "cpu/kernels.h"
#include "cpu/q32_simd.h"
#include "cpu/tile_stores.h"

namespace {

using tome::BlockQ8_0;

// Lane l of acc += the 4 products u[4l..4l+3] * a[4l..4l+3] (u unsigned, a signed).
#ifdef TOME_VNNI256
inline __m256i dot_u8i8_acc(__m256i acc, __m256i u, __m256i a) { return dpbusd256(acc, u, a); }
// Weight rows of a vec_dot-order tile: with 32 registers 16 accumulators and the
// rest; with 16 (AVX-VNNI), 8 accumulators, 2 rows' levels and the token's bytes.
constexpr int kQ32GemmRows = TOME_YMM_REGS >= 32 ? 4 : 2;
#else
// Exact only for u <= 127 (vpmaddubsw's pair sums saturate at int16), so the AVX2
// build keeps the sign trick (kQ32Biased false) and never calls it.
inline __m256i dot_u8i8_acc(__m256i acc, __m256i u, __m256i a) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, a), _mm256_set1_epi16(1)));
}
// 8 accumulators of 8 outputs and the levels of 2 rows fill the 16 vector registers.
constexpr int kQ32GemmRows = 2;
#endif

// Bytes from a tile row's block i to its block i + 1 (kernels.h: DotTile::w_block_step).
template <class Block>
inline size_t block_step(const tome::kernels::DotTile& t) {
  return t.w_block_step ? t.w_block_step : sizeof(Block);
}

// -kBias * (the sums of a over elements 4l..4l+3) in lane l: the correction of the
// biased levels' integer lanes.
template <class Unpack>
inline __m256i neg_bias_lanes(__m256i a) {
  const __m256i zero = _mm256_setzero_si256();
  if constexpr (Unpack::kBias == 0) return zero;
  return _mm256_sub_epi32(zero, dot_u8i8_acc(zero, _mm256_set1_epi8(char(Unpack::kBias)), a));
}

// ggml's vec_dot order, NW weight rows (r0 ..) x 4 tokens: output (r, k) has its
// own 8 lane accumulators acc[r][k], lane l += float(sum of q*a over elements
// 4l..4l+3) * (dw[r]*da[k]) per block; hsum8 at the end. Q4_1 / Q5_1 (kHasMin):
// plus summs = fma(m[r], s[k], summs) per block, its 16 chains the lanes of two
// vectors (lane 4k + r, as the scale products).
template <class Unpack, int NW>
void q32_vecdot_4tok(const tome::kernels::DotTile& t, int r0) {
  using Block = typename Unpack::Block;
  using Act = typename Unpack::Act;
  const Block* x[4];  // rows past NW repeat the last (only their scales are read)
  const Act* a[4];
  for (int r = 0; r < 4; ++r)
    x[r] = reinterpret_cast<const Block*>(t.w + size_t(r0 + std::min(r, NW - 1)) * t.w_stride);
  for (int k = 0; k < 4; ++k) a[k] = reinterpret_cast<const Act*>(t.act + size_t(k) * t.act_stride);
  __m256 summs[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  __m256 acc[NW][4];
  TOME_UNROLL
  for (int r = 0; r < NW; ++r)
    TOME_UNROLL
    for (int k = 0; k < 4; ++k) acc[r][k] = _mm256_setzero_ps();
  const __m256i wide_w = _mm256_setr_epi32(0, 1, 2, 3, 0, 1, 2, 3);
  const __m256i tok01 = _mm256_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5), tok23 = _mm256_setr_epi32(6, 6, 6, 6, 7, 7, 7, 7);
  const int64_t nb = t.n / tome::kQK32;
  // s[i & 1][4k + r] = dw[r] * da[k] of block i, read back one broadcast per (row,
  // token): a broadcast load (AVX-512: folded into the fma) is no ALU work, where
  // the two shuffles GCC would pick per pair are. Block i + 1's products are
  // stored while block i's are read: a broadcast load cannot take its value from
  // a store still in flight, so loading the products just stored made every fma
  // wait for the store to retire (Zen 4: 20% of the kernel's time).
  alignas(32) float s[2][16];
  auto store_scales = [&](int64_t i) {
    const __m256 f = q32_scales(x, a, i);
    const __m256 dw = _mm256_permutevar8x32_ps(f, wide_w);
    float* d = s[i & 1];
    _mm256_store_ps(d, _mm256_mul_ps(dw, _mm256_permutevar8x32_ps(f, tok01)));
    _mm256_store_ps(d + 8, _mm256_mul_ps(dw, _mm256_permutevar8x32_ps(f, tok23)));
  };
  if (nb > 0) store_scales(0);
  for (int64_t i = 0; i < nb; ++i) {
    if (i + 1 < nb) store_scales(i + 1);
    if constexpr (Unpack::kHasMin) {
      // [m0 m1 m2 m3 | s0 s1 s2 s3] -> lanes 4k + r of m[r] and s[k], tokens (0, 1) and (2, 3)
      const __m256 f = _mm256_cvtph_ps(_mm_setr_epi16(short(x[0][i].m), short(x[1][i].m), short(x[2][i].m),
                                                      short(x[3][i].m), short(a[0][i].s), short(a[1][i].s),
                                                      short(a[2][i].s), short(a[3][i].s)));
      const __m256 m = _mm256_permutevar8x32_ps(f, wide_w);
      summs[0] = _mm256_fmadd_ps(m, _mm256_permutevar8x32_ps(f, tok01), summs[0]);
      summs[1] = _mm256_fmadd_ps(m, _mm256_permutevar8x32_ps(f, tok23), summs[1]);
    }
    // (An opaque copy of the pointer stops GCC from forwarding the stored vectors.)
    const float* sp = s[i & 1];
#if defined(__GNUC__)
    asm("" : "+r"(sp));
#endif
    __m256i qw[NW], qw_abs[NW];  // biased: qw = q + kBias (qw_abs unused); else q, |q|
    TOME_UNROLL
    for (int r = 0; r < NW; ++r) {
      if (kQ32Biased) {
        qw[r] = Unpack::biased(x[r][i]);
      } else {
        qw[r] = Unpack::levels(x[r][i]);
        qw_abs[r] = _mm256_sign_epi8(qw[r], qw[r]);
      }
    }
    TOME_UNROLL
    for (int k = 0; k < 4; ++k) {
      const __m256i qa = load256(a[k][i].qs);
      const __m256i corr = kQ32Biased ? neg_bias_lanes<Unpack>(qa) : _mm256_setzero_si256();
      TOME_UNROLL
      for (int r = 0; r < NW; ++r) {
        const __m256i lanes = kQ32Biased ? dot_u8i8_acc(corr, qw[r], qa) : dot_i8_lanes(qw_abs[r], qw[r], qa);
        acc[r][k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_set1_ps(sp[4 * k + r]), acc[r][k]);
      }
    }
  }
  alignas(32) float ms[16];
  _mm256_store_ps(ms, summs[0]);
  _mm256_store_ps(ms + 8, summs[1]);
  for (int k = 0; k < 4; ++k)
    for (int r = 0; r < NW; ++r)
      t.out[size_t(k) * t.out_stride + size_t(r0 + r)] =
          Unpack::kHasMin ? hsum8_avx(acc[r][k]) + ms[4 * k + r] : hsum8_avx(acc[r][k]);
}

// Any tile of 4 tokens, in sub-tiles of kQ32GemmRows rows (or fewer at the end).
template <class Unpack>
void q32_vecdot_4tok_tile(const tome::kernels::DotTile& t) {
  static constexpr tome::kernels::RowsKernel kByRows[4] = {
      q32_vecdot_4tok<Unpack, 1>, q32_vecdot_4tok<Unpack, 2>, q32_vecdot_4tok<Unpack, std::min(3, kQ32GemmRows)>,
      q32_vecdot_4tok<Unpack, std::min(4, kQ32GemmRows)>};
  tome::kernels::over_row_steps(t, kByRows, kQ32GemmRows);
}

// llama.cpp's repacked order, 4 * NH weight rows x 4 tokens: per block and output
// one exact sum over the 32 elements; acc = fma(float(sum), dw*da, acc).
// Layout as the Q4_K gemm (dot_q4k_gemm_impl.h): per group h of 4 rows, w[g] holds
// elements 8g..8g+7 of rows [0 | 1 | 2 | 3] (a qword each) and the token's
// activation bytes 8g..8g+7 are broadcast to every qword, so after the 4 steps g
// each row's sum is in the two int32 lanes of its qword; one vphaddd per 2 tokens
// leaves 8 outputs in the lanes of a vector. res[2h + j], lane l: row 4h + (l & 1)
// + 2 (l >> 2), token ((l >> 1) & 1) + 2j. The groups share each block's token
// terms (biased levels' correction, the activation's scales): llama.cpp's q4_0_8x8
// gemm takes 8 rows against the same activation loads, and so does the AVX512-VNNI
// build here (NH 2; the AVX2 and AVX-VNNI ones, 16 registers, keep NH 1).
// x_rows[r]: row r's first block, its next ones `step` bytes apart; a_rows[k]: token k's.
template <class Unpack, int NH>
void q32_repack_4tok_rows(const uint8_t* const x_rows[4 * NH], size_t step, const BlockQ8_0* const a_rows[4],
                          int64_t nb, __m256 res[2 * NH]) {
  using Block = typename Unpack::Block;
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i dw_idx = _mm256_setr_epi32(0, 1, 0, 1, 2, 3, 2, 3);
  const __m256i da_idx[2] = {_mm256_setr_epi32(4, 4, 5, 5, 4, 4, 5, 5), _mm256_setr_epi32(6, 6, 7, 7, 6, 6, 7, 7)};
  __m256 acc[2 * NH];
  TOME_UNROLL
  for (int j = 0; j < 2 * NH; ++j) acc[j] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ8_0* a[4];  // block i of each token
    TOME_UNROLL
    for (int k = 0; k < 4; ++k) a[k] = a_rows[k] + i;
    __m256i corr[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    if (kQ32Biased) {
      // -kBias * sum(a) of token k in the lanes of its outputs: c[k] holds 8 partial
      // sums, two vphaddd rounds give [k0 k1 k2 k3] per 128-bit half, the halves
      // added give the totals S, unpacked as [S0 S0 S1 S1] and [S2 S2 S3 S3]
      __m256i c[4];
      TOME_UNROLL
      for (int k = 0; k < 4; ++k)
        c[k] = dot_u8i8_acc(_mm256_setzero_si256(), _mm256_set1_epi8(char(Unpack::kBias)), load256(a[k]->qs));
      const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(c[0], c[1]), _mm256_hadd_epi32(c[2], c[3]));
      const __m256i s = _mm256_add_epi32(h, _mm256_permute2x128_si256(h, h, 0x01));
      corr[0] = _mm256_unpacklo_epi32(s, s);
      corr[1] = _mm256_unpackhi_epi32(s, s);
    }
    TOME_UNROLL
    for (int g4 = 0; g4 < NH; ++g4) {
      const Block* x[4];  // block i of the group's rows
      TOME_UNROLL
      for (int r = 0; r < 4; ++r) x[r] = reinterpret_cast<const Block*>(x_rows[4 * g4 + r] + size_t(i) * step);
      // qs bytes 0..7 (lo) and 8..15 (hi) of rows [0 | 1 | 2 | 3]; elements 8g..8g+7
      // are the low nibbles of lo (g = 0), hi (1), the high nibbles of lo (2), hi (3)
      const __m256i x02 = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[2]->qs)),
                                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[0]->qs)));
      const __m256i x13 = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[3]->qs)),
                                           _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[1]->qs)));
      const __m256i lo = _mm256_unpacklo_epi64(x02, x13), hi = _mm256_unpackhi_epi64(x02, x13);
      const __m256i nib[4] = {_mm256_and_si256(lo, m4), _mm256_and_si256(hi, m4),
                              _mm256_and_si256(_mm256_srli_epi16(lo, 4), m4),
                              _mm256_and_si256(_mm256_srli_epi16(hi, 4), m4)};
      __m256i w[4], w_abs[4];  // biased: w = q + kBias (w_abs unused); else q, |q|
      TOME_UNROLL
      for (int g = 0; g < 4; ++g) {
        if (kQ32Biased) {
          w[g] = Unpack::biased_from_nibbles(nib[g]);
        } else {
          w[g] = Unpack::from_nibbles(nib[g]);
          w_abs[g] = _mm256_sign_epi8(w[g], w[g]);
        }
      }
      __m256i v[4];  // per token: lanes (row, half of each 8-element group)
      TOME_UNROLL
      for (int k = 0; k < 4; ++k) {
        v[k] = _mm256_setzero_si256();
        TOME_UNROLL
        for (int g = 0; g < 4; ++g) {
          const __m256i b = broadcast8(a[k]->qs + 8 * g);
          v[k] = kQ32Biased ? dot_u8i8_acc(v[k], w[g], b) : _mm256_add_epi32(v[k], dot_i8_lanes(w_abs[g], w[g], b));
        }
      }
      const __m256i sum[2] = {_mm256_sub_epi32(_mm256_hadd_epi32(v[0], v[1]), corr[0]),
                              _mm256_sub_epi32(_mm256_hadd_epi32(v[2], v[3]), corr[1])};
      // dw*da in the lane order of res
      const __m256 f = q32_scales(x, a, 0);
      const __m256 dw = _mm256_permutevar8x32_ps(f, dw_idx);
      TOME_UNROLL
      for (int j = 0; j < 2; ++j) {
        const __m256 d = _mm256_mul_ps(dw, _mm256_permutevar8x32_ps(f, da_idx[j]));
        acc[2 * g4 + j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[j]), d, acc[2 * g4 + j]);
      }
    }
  }
  TOME_UNROLL
  for (int j = 0; j < 2 * NH; ++j) res[j] = acc[j];
}

constexpr int kQ32RepackGroups = TOME_YMM_REGS >= 32 ? 2 : 1;

// Any tile of 4 tokens, in steps of 4 * kQ32RepackGroups rows, then of 4; a step short
// of rows repeats the last one and drops its outputs (each output depends only on its
// own row and token).
template <class Unpack>
void q32_repack_4tok_tile(const tome::kernels::DotTile& t) {
  using Block = typename Unpack::Block;
  const int64_t nb = t.n / tome::kQK32;
  const size_t step = block_step<Block>(t);
  const BlockQ8_0* a[4];
  for (int k = 0; k < 4; ++k) a[k] = reinterpret_cast<const BlockQ8_0*>(t.act + size_t(k) * t.act_stride);
  auto store = [&](int r0, const __m256 res[2]) {
    alignas(32) float v[2][8];
    _mm256_store_ps(v[0], res[0]);
    _mm256_store_ps(v[1], res[1]);
    tome::kernels::store_repacked_4x4(t, r0, 0, v);
  };
  int r0 = 0;
  if constexpr (kQ32RepackGroups > 1) {
    constexpr int kRows = 4 * kQ32RepackGroups;
    for (; r0 + kRows <= t.n_w; r0 += kRows) {
      const uint8_t* x[kRows];
      for (int r = 0; r < kRows; ++r) x[r] = t.w + size_t(r0 + r) * t.w_stride;
      __m256 res[2 * kQ32RepackGroups];
      q32_repack_4tok_rows<Unpack, kQ32RepackGroups>(x, step, a, nb, res);
      for (int g4 = 0; g4 < kQ32RepackGroups; ++g4) store(r0 + 4 * g4, res + 2 * g4);
    }
  }
  for (; r0 < t.n_w; r0 += 4) {
    const uint8_t* x[4];
    for (int r = 0; r < 4; ++r) x[r] = t.w + size_t(std::min(r0 + r, t.n_w - 1)) * t.w_stride;
    __m256 res[2];
    q32_repack_4tok_rows<Unpack, 1>(x, step, a, nb, res);
    store(r0, res);
  }
}

}  // namespace
