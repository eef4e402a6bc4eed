// IQ4_XS x Q8_K in llama.cpp's IQ panel order (kernels.h: per super-block one exact
// integer total per output, acc = fma(float(total), dw*da, acc)) for tiles of 4
// tokens, built with AVX512-VNNI. The other tiles go to the AVX2 kernel of
// dot_kquant_avx2.cpp, whose results these equal bit for bit (exact integers).
//
// Sub-blocks in the lanes: where the AVX2 kernel's lane l takes elements 4l..4l+3
// of one 32-element sub-block (so each sub-block's scale needs its own multiply),
// here lane s takes sub-block s (in the order kLaneOrder), and step g (0..7) feeds
// its elements 4g..4g+3: after 8 vpdpbusd per output a lane holds its sub-block's
// whole dot, and one vpmulld by the 8 scales and one reduction finish the
// super-block. Weights go in biased (level + 128, unsigned), so a lane holds
// dot + 128 * sum(q8 of the sub-block), taken off with Q8_K's bsums.
// Each weight row's nibbles are transposed once per 4 tokens, each token's q8 once
// per 4 rows.
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/avx2_util.h"
#include "cpu/quant_blocks.h"
#include "cpu/tile_stores.h"

namespace {

using tome::BlockIQ4_XS;
using tome::BlockQ8_K;

// Lane p holds sub-block kLaneOrder[p]: the order the dword unpacks below leave.
constexpr int kLaneOrder[8] = {0, 2, 4, 6, 1, 3, 5, 7};

// q[g] (g < 8), lane p: the biased levels of elements 4g..4g+3 of sub-block kLaneOrder[p].
// qs bytes 16s + 4h .. 16s + 4h + 3 hold elements 4h.. (low nibbles) and 16 + 4h..
// (high nibbles) of sub-block s; a 32-byte load holds sub-blocks 2i (low half) and
// 2i + 1 (high half), 4 dwords h = 0..3 each.
inline void transpose_weights(const BlockIQ4_XS& b, __m256i q[8]) {
  const __m256i l[4] = {load256(b.qs), load256(b.qs + 32), load256(b.qs + 64), load256(b.qs + 96)};
  __m256i h[4];
  transpose_dwords_4x8(l, h);
  const __m256i biased = _mm256_setr_epi8(1, 24, 45, 63, 79, 93, 106, 118, -127, -115, -103, -90, -75, -59, -39, -15,
                                          1, 24, 45, 63, 79, 93, 106, 118, -127, -115, -103, -90, -75, -59, -39, -15);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  TOME_UNROLL
  for (int j = 0; j < 4; ++j) {
    q[j] = _mm256_shuffle_epi8(biased, _mm256_and_si256(h[j], m4));
    q[j + 4] = _mm256_shuffle_epi8(biased, _mm256_and_si256(_mm256_srli_epi16(h[j], 4), m4));
  }
}

// y[g], lane p: the q8 bytes of elements 4g..4g+3 of sub-block kLaneOrder[p] (an 8 x 8
// dword transpose of the sub-blocks' 32-byte rows).
inline void transpose_acts(const BlockQ8_K& a, __m256i y[8]) {
  __m256i r[8];
  TOME_UNROLL
  for (int p = 0; p < 8; ++p) r[p] = load256(a.qs + 32 * kLaneOrder[p]);
  __m256i t[8], u[8];
  TOME_UNROLL
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  TOME_UNROLL
  for (int i = 0; i < 2; ++i)
    TOME_UNROLL
    for (int j = 0; j < 2; ++j) {
      u[4 * i + 2 * j] = _mm256_unpacklo_epi64(t[4 * i + j], t[4 * i + 2 + j]);
      u[4 * i + 2 * j + 1] = _mm256_unpackhi_epi64(t[4 * i + j], t[4 * i + 2 + j]);
    }
  // u[4i + c] holds dword c of rows 4i..4i+3 in its low half, dword 4 + c in its high half
  TOME_UNROLL
  for (int c = 0; c < 4; ++c) {
    y[c] = _mm256_permute2x128_si256(u[c], u[4 + c], 0x20);
    y[c + 4] = _mm256_permute2x128_si256(u[c], u[4 + c], 0x31);
  }
}

// 128 * (the sum of the q8 of sub-block kLaneOrder[p]) in lane p: bsums (sums of 16)
// added in pairs.
inline __m256i bias_lanes(const BlockQ8_K& a) {
  const __m256i pairs = _mm256_madd_epi16(load256(a.bsums), _mm256_set1_epi16(1));
  return _mm256_slli_epi32(_mm256_permutevar8x32_epi32(pairs, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7)), 7);
}

// The 8 sub-block scales minus 32, lane p sub-block kLaneOrder[p]: sub-block s's low
// 4 bits are bits 4s.. of scales_l (as a little-endian word), its high 2 bits bits 2s..
// of scales_h.
inline __m256i scale_lanes(const BlockIQ4_XS& b) {
  uint32_t lo;
  std::memcpy(&lo, b.scales_l, 4);
  const __m256i sub = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const __m256i low = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(int(lo)), _mm256_slli_epi32(sub, 2)),
                                       _mm256_set1_epi32(0xF));
  const __m256i high = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(b.scales_h), _mm256_slli_epi32(sub, 1)),
                                        _mm256_set1_epi32(3));
  return _mm256_sub_epi32(_mm256_or_si256(low, _mm256_slli_epi32(high, 4)), _mm256_set1_epi32(32));
}

// NW weight rows x 4 tokens; outputs p = 4r + k, two vectors of 8.
template <int NW>
void panel_4tok(const tome::kernels::DotTile& t, int r0) {
  const BlockIQ4_XS* x[NW];
  const BlockQ8_K* a[4];
  for (int r = 0; r < NW; ++r) x[r] = reinterpret_cast<const BlockIQ4_XS*>(t.w + size_t(r0 + r) * t.w_stride);
  for (int k = 0; k < 4; ++k) a[k] = reinterpret_cast<const BlockQ8_K*>(t.act + size_t(k) * t.act_stride);
  constexpr int kGroups = (4 * NW + 7) / 8;
  __m256 acc[kGroups];
  for (int h = 0; h < kGroups; ++h) acc[h] = _mm256_setzero_ps();
  __m256i wq[NW][8], yq[4][8];
  const int64_t nb = t.n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    TOME_UNROLL
    for (int r = 0; r < NW; ++r) transpose_weights(x[r][i], wq[r]);
    TOME_UNROLL
    for (int k = 0; k < 4; ++k) transpose_acts(a[k][i], yq[k]);
    __m256i dots[8 * kGroups];
    TOME_UNROLL
    for (int p = 4 * NW; p < 8 * kGroups; ++p) dots[p] = _mm256_setzero_si256();
    TOME_UNROLL
    for (int r = 0; r < NW; ++r)
      TOME_UNROLL
      for (int k = 0; k < 4; ++k) {
        __m256i s = _mm256_setzero_si256();
        TOME_UNROLL
        for (int g = 0; g < 8; ++g) s = _mm256_dpbusd_epi32(s, wq[r][g], yq[k][g]);
        dots[4 * r + k] = s;
      }
    __m256i bias[4];
    TOME_UNROLL
    for (int k = 0; k < 4; ++k) bias[k] = bias_lanes(a[k][i]);
    // dw[r] * da[k] in lane 4r + k of group (4r + k) / 8
    const __m128 da = _mm_setr_ps(a[0][i].d, a[1][i].d, a[2][i].d, a[3][i].d);
    __m256 scale[kGroups];
    TOME_UNROLL
    for (int h = 0; h < kGroups; ++h) {
      const int ra = 2 * h, rb = 2 * h + 1 < NW ? 2 * h + 1 : 2 * h;
      const __m256 dw = _mm256_set_m128(_mm_set1_ps(half_to_float(x[rb][i].d)), _mm_set1_ps(half_to_float(x[ra][i].d)));
      scale[h] = _mm256_mul_ps(dw, _mm256_set_m128(da, da));
    }
    TOME_UNROLL
    for (int r = 0; r < NW; ++r) {
      const __m256i ls = scale_lanes(x[r][i]);
      TOME_UNROLL
      for (int k = 0; k < 4; ++k) dots[4 * r + k] = _mm256_mullo_epi32(_mm256_sub_epi32(dots[4 * r + k], bias[k]), ls);
    }
    TOME_UNROLL
    for (int h = 0; h < kGroups; ++h)
      acc[h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(totals8(dots + 8 * h)), scale[h], acc[h]);
  }
  alignas(32) float res[8 * kGroups];
  for (int h = 0; h < kGroups; ++h) _mm256_store_ps(res + 8 * h, acc[h]);
  tome::kernels::store_rows_by_token(t, r0, NW, res);
}

}  // namespace

namespace tome {
namespace kernels {

// Tiles of up to 8 tokens (kMaxPanelActRows): 4 at a time here, the rest by the AVX2 kernel.
void dot_iq4_xs_panel_vnni(const DotTile& t) {
  static constexpr RowsKernel kByRows[4] = {panel_4tok<1>, panel_4tok<2>, panel_4tok<3>, panel_4tok<4>};
  for (int k0 = 0; k0 < t.n_act; k0 += 4) {
    DotTile part = t;
    part.act = t.act + size_t(k0) * t.act_stride;
    part.n_act = std::min(4, t.n_act - k0);
    part.out = t.out + size_t(k0) * t.out_stride;
    if (part.n_act == 4) over_row_steps(part, kByRows);
    else dot_iq4_xs_panel_avx2(part);
  }
}

}  // namespace kernels
}  // namespace tome
#endif
