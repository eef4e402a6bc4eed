// Internal: the Q8_0 / Q4_0 / IQ4_NL / MXFP4 dot kernels of dot_q32_avx2.cpp (the lane
// order there), included by each ISA's file: dot_q32_avx2.cpp (AVX2: maddubs +
// madd per block), dot_q32_vnni.cpp and dot_q32_avxvnni.cpp (AVX512-VNNI, AVX-VNNI: one
// vpdpbusd, the same exact integer lanes), whose entry points differ only in avx2_util.h's dot_i8_lanes
// and (tiles of 4 tokens) dot_q32_gemm_impl.h's ISA choices. Everything here is
// in an anonymous namespace, so each file keeps its own copy.
#pragma once
#include "cpu/dot_q32_gemm_impl.h"
#include "cpu/kernels.h"
#include "cpu/q32_simd.h"
#include "cpu/stream_prefetch.h"

namespace {

// NW weight rows x NA activation rows: NW*NA independent accumulator chains, each
// weight block unpacked once for NA rows, each activation block loaded once for NW.
// Q4_1 / Q5_1 (Unpack::kHasMin): summs[r][k] = fma(m, s, summs) per block, the
// result hsum8 + summs (ggml's vec_dot_q4_1_q8_1 order; m*s, a product of two
// halves, is exact in float, so fused or not gives the same sum).
template <class Unpack, int NW, int NA>
void dot_q32(const tome::kernels::DotTile& t, int r0, int k0) {
  using Block = typename Unpack::Block;
  using Act = typename Unpack::Act;
  const Block* x[NW];
  const Act* a[NA];
  for (int r = 0; r < NW; ++r) x[r] = reinterpret_cast<const Block*>(t.w + size_t(r0 + r) * t.w_stride);
  for (int k = 0; k < NA; ++k) a[k] = reinterpret_cast<const Act*>(t.act + size_t(k0 + k) * t.act_stride);
  __m256 acc[NW][NA];
  float summs[NW][NA];
  for (int r = 0; r < NW; ++r)
    for (int k = 0; k < NA; ++k) {
      acc[r][k] = _mm256_setzero_ps();
      summs[r][k] = 0.0f;
    }
  const int64_t nb = t.n / tome::kQK32;
  for (int64_t i = 0; i < nb; ++i) {
    if constexpr (NW == 1 && NA == 1) tome::kernels::prefetch_ahead<sizeof(Block)>(&x[0][i]);  // decode
    __m256i qw[NW], qw_abs[NW];
    float dw[NW];
    for (int r = 0; r < NW; ++r) {
      qw[r] = Unpack::levels(x[r][i]);
      qw_abs[r] = _mm256_sign_epi8(qw[r], qw[r]);
      dw[r] = q32_weight_scale(x[r][i]);
    }
    for (int k = 0; k < NA; ++k) {
      const __m256i qa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[k][i].qs));
      const float da = half_to_float(a[k][i].d);
      for (int r = 0; r < NW; ++r) {
        const __m256 lanes = _mm256_cvtepi32_ps(dot_i8_lanes(qw_abs[r], qw[r], qa));
        acc[r][k] = _mm256_fmadd_ps(_mm256_set1_ps(dw[r] * da), lanes, acc[r][k]);
        if constexpr (Unpack::kHasMin)
          summs[r][k] = fma1(half_to_float(x[r][i].m), half_to_float(a[k][i].s), summs[r][k]);
      }
    }
  }
  for (int k = 0; k < NA; ++k)
    for (int r = 0; r < NW; ++r)
      t.out[size_t(k0 + k) * t.out_stride + size_t(r0 + r)] =
          Unpack::kHasMin ? hsum8_avx(acc[r][k]) + summs[r][k] : hsum8_avx(acc[r][k]);
}

// llama.cpp's repacked order (kernels.h): per block one exact integer sum over
// the 32 elements, acc = fma(float(sum), dw*da, acc), one chain per output. The
// NW*NA <= 8 chains of the sub-tile are the lanes of one vector (p = r*NA + k).
template <class Unpack, int NW, int NA>
void dot_q32_repack(const tome::kernels::DotTile& t, int r0, int k0) {
  static_assert(NW * NA <= 8, "one vector of chains");
  using Block = typename Unpack::Block;
  const BlockQ8_0* a[NA];
  for (int k = 0; k < NA; ++k) a[k] = reinterpret_cast<const BlockQ8_0*>(t.act + size_t(k0 + k) * t.act_stride);
  const size_t step = block_step<Block>(t);
  __m256 acc = _mm256_setzero_ps();
  const int64_t nb = t.n / tome::kQK32;
  for (int64_t i = 0; i < nb; ++i) {
    const Block* x[NW];  // block i of each row
    for (int r = 0; r < NW; ++r)
      x[r] = reinterpret_cast<const Block*>(t.w + size_t(r0 + r) * t.w_stride + size_t(i) * step);
    __m256i qw[NW], qw_abs[NW];
    for (int r = 0; r < NW; ++r) {
      qw[r] = Unpack::levels(*x[r]);
      qw_abs[r] = _mm256_sign_epi8(qw[r], qw[r]);
    }
    // lane p = r*NA + k: dw[r] and da[k] (unused lanes: block 0's scales times 0)
    const Block* wb[8];
    uint16_t ha[8];
    __m256i lanes[8];
    for (int p = 0; p < 8; ++p) {
      lanes[p] = _mm256_setzero_si256();
      wb[p] = x[0];
      ha[p] = a[0][i].d;
    }
    for (int k = 0; k < NA; ++k) {
      const __m256i qa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[k][i].qs));
      for (int r = 0; r < NW; ++r) {
        lanes[r * NA + k] = dot_i8_lanes(qw_abs[r], qw[r], qa);
        wb[r * NA + k] = x[r];
        ha[r * NA + k] = a[k][i].d;
      }
    }
    const __m128i hav = _mm_setr_epi16(short(ha[0]), short(ha[1]), short(ha[2]), short(ha[3]), short(ha[4]),
                                       short(ha[5]), short(ha[6]), short(ha[7]));
    const __m256 scale = _mm256_mul_ps(q32_weight_scales8(wb), _mm256_cvtph_ps(hav));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(totals8(lanes)), scale, acc);
  }
  alignas(32) float res[8];
  _mm256_store_ps(res, acc);
  for (int k = 0; k < NA; ++k)
    for (int r = 0; r < NW; ++r) t.out[size_t(k0 + k) * t.out_stride + size_t(r0 + r)] = res[r * NA + k];
}

// The same order for one token and 8 weight rows (decode): rows 2h and 2h + 1 share one
// vector per block (row 2h's 16 nibble bytes in the low 128 bits, 2h + 1's in the high), so a
// shift, two masks and two lookups unpack two rows, and the activation's halves (elements
// 0-15, 16-31) are broadcast to both 128-bit halves. Three vphaddd turn the four vectors of
// 4 + 4 lane sums into the 8 rows' block totals, lanes [r0 r2 r4 r6 | r1 r3 r5 r7]; the
// scales are gathered in that order. In the AVX512-VNNI build the levels are biased (one
// vpdpbusd a half, no sign trick) and every row's lanes start from -kBias * the sums of the
// activation, so the totals are the same exact integers.
template <class Unpack>
void dot_q32_repack_gemv8(const tome::kernels::DotTile& t, int r0) {
  using Block = typename Unpack::Block;
  const uint8_t* const w = t.w + size_t(r0) * t.w_stride;
  const size_t step = block_step<Block>(t);
  const BlockQ8_0* a = reinterpret_cast<const BlockQ8_0*>(t.act);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256 acc = _mm256_setzero_ps();
  const int64_t nb = t.n / tome::kQK32;
  for (int64_t i = 0; i < nb; ++i) {
    const Block* x[8];  // block i of each row
    for (int r = 0; r < 8; ++r) x[r] = reinterpret_cast<const Block*>(w + size_t(r) * t.w_stride + size_t(i) * step);
    // Rows interleaved (the engine's layout for these types): the 8 blocks side by side,
    // one stream. Row by row, 4 KB ahead would be the next rows' lines this tile reads.
    if (t.w_block_step) tome::kernels::prefetch_ahead<8 * sizeof(Block)>(x[0]);
    const __m256i a_lo = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a[i].qs)));
    const __m256i a_hi = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a[i].qs + 16)));
    // biased: -kBias * (the sums of a over elements 4l..4l+3 and 16+4l..16+4l+3) in lane l
    const __m256i bias = _mm256_set1_epi8(char(Unpack::kBias)), zero = _mm256_setzero_si256();
    const __m256i start =
        kQ32Biased ? _mm256_sub_epi32(zero, dot_u8i8_acc(dot_u8i8_acc(zero, bias, a_lo), bias, a_hi)) : zero;
    __m256i p[4];
    TOME_UNROLL
    for (int h = 0; h < 4; ++h) {
      const __m256i raw = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(x[2 * h + 1]->qs),
                                              reinterpret_cast<const __m128i*>(x[2 * h]->qs));
      const __m256i n_lo = _mm256_and_si256(raw, m4), n_hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
      if constexpr (kQ32Biased) {
        p[h] = dot_u8i8_acc(dot_u8i8_acc(start, Unpack::biased_from_nibbles(n_lo), a_lo),
                            Unpack::biased_from_nibbles(n_hi), a_hi);
      } else {
        const __m256i w_lo = Unpack::from_nibbles(n_lo), w_hi = Unpack::from_nibbles(n_hi);
        p[h] = _mm256_add_epi32(dot_i8_lanes(_mm256_sign_epi8(w_lo, w_lo), w_lo, a_lo),
                                dot_i8_lanes(_mm256_sign_epi8(w_hi, w_hi), w_hi, a_hi));
      }
    }
    const __m256i totals = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
    const Block* const lane_blocks[8] = {x[0], x[2], x[4], x[6], x[1], x[3], x[5], x[7]};
    const __m256 scale = _mm256_mul_ps(q32_weight_scales8(lane_blocks), _mm256_set1_ps(half_to_float(a[i].d)));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(totals), scale, acc);
  }
  alignas(32) float res[8];
  _mm256_store_ps(res, acc);
  static constexpr int kLaneOfRow[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  for (int r = 0; r < 8; ++r) t.out[size_t(r0 + r)] = res[kLaneOfRow[r]];
}

using SubTileFn = void (*)(const tome::kernels::DotTile&, int r0, int k0);

// Covers the tile with sub-tiles of at most max_nw weight rows x 4 activation
// rows, each by by_shape[nw - 1][na - 1].
template <size_t R>
void run_subtiles(const tome::kernels::DotTile& t, int max_nw, const SubTileFn (&by_shape)[R][4]) {
  for (int r0 = 0; r0 < t.n_w; r0 += max_nw) {
    const int nw = t.n_w - r0 < max_nw ? t.n_w - r0 : max_nw;
    for (int k0 = 0; k0 < t.n_act; k0 += 4) {
      const int na = t.n_act - k0 < 4 ? t.n_act - k0 : 4;
      by_shape[nw - 1][na - 1](t, r0, k0);
    }
  }
}

// Tiles of 4 tokens (prefill) go to the 4-token kernel of dot_q32_gemm_impl.h (8 or 4
// rows a step), the others (decode, the n % 4 tokens left) to sub-tiles here.
template <class Unpack>
void dot_tile_repack(const tome::kernels::DotTile& t) {
  if (t.n_act == 4) return q32_repack_4tok_tile<Unpack>(t);
  static constexpr SubTileFn kByShape[4][4] = {  // [nw - 1][na - 1]; na < 4 here
      {dot_q32_repack<Unpack, 1, 1>, dot_q32_repack<Unpack, 1, 2>, dot_q32_repack<Unpack, 1, 3>, nullptr},
      {dot_q32_repack<Unpack, 2, 1>, dot_q32_repack<Unpack, 2, 2>, dot_q32_repack<Unpack, 2, 3>, nullptr},
      {dot_q32_repack<Unpack, 3, 1>, nullptr, nullptr, nullptr},
      {dot_q32_repack<Unpack, 4, 1>, nullptr, nullptr, nullptr},
  };
  if (t.n_act == 1) {  // decode: 8 rows at a time, then at most 7 in sub-tiles of up to 4
    int r0 = 0;
    for (; r0 + 8 <= t.n_w; r0 += 8) dot_q32_repack_gemv8<Unpack>(t, r0);
    for (int nw; r0 < t.n_w; r0 += nw) {
      nw = std::min(4, t.n_w - r0);
      kByShape[nw - 1][0](t, r0, 0);
    }
    return;
  }
  run_subtiles(t, 2, kByShape);
}

// Tiles of 4 tokens (prefill) go to dot_q32_gemm_impl.h. The others: sub-tiles of
// 2 rows for the n % 4 tokens left; for decode one weight row at a time, so each
// thread reads one sequential stream, which an AMD host's hardware prefetcher
// follows at full DRAM speed (an Intel one late: stream_prefetch.h): 4 interleaved
// rows measured 20 GB/s, one row 32 GB/s on a 142 MB Q8_0 matrix with 2 threads
// (1b-shape decode 67 -> 36 ms/token). Results do not depend on the sub-tile.
template <class Unpack>
void dot_tile(const tome::kernels::DotTile& t) {
  if (t.n_act == 4) return q32_vecdot_4tok_tile<Unpack>(t);
  static constexpr SubTileFn kByShape[2][4] = {  // [nw - 1][na - 1]; na < 4 here
      {dot_q32<Unpack, 1, 1>, dot_q32<Unpack, 1, 2>, dot_q32<Unpack, 1, 3>, nullptr},
      {dot_q32<Unpack, 2, 1>, dot_q32<Unpack, 2, 2>, dot_q32<Unpack, 2, 3>, nullptr},
  };
  run_subtiles(t, t.n_act == 1 ? 1 : 2, kByShape);
}

}  // namespace
