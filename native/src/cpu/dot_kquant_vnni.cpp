// Q3_K, Q5_K and Q6_K x Q8_K in ggml's AVX2 vec_dot order (kernels.h: 8 int32 lanes a
// super-block, lane l the scaled sum of elements 4l..4l+3 of every 32-element vector;
// acc_l = fma(da*dw, lane_l, acc_l); hsum8(acc), with each type's min or offset term),
// built with AVX512-VNNI on 512-bit vectors. The lanes are exact integers, so these equal
// the AVX2 kernels of dot_kquant_avx2.cpp bit for bit; only how a lane's integer is formed
// differs:
//   AVX2: vpmaddubsw (pairs) -> vpmaddwd by the scale (quads) -> add, per 32 elements;
//   here: vpdpbusd (quads, from zero) -> vpdpwssd by the scale into the sum, per 64.
// A quad's sum fits int16 (Q6_K |4 * 63 * 128| = 32256, Q5_K 4 * 31 * 128, Q3_K 4 * 4 * 128;
// Q3_K's signed levels u - 4 as vpdpbusd(u) - vpdpbusd(4), u in 0..7), so its int32
// lane is that int16 sign-extended, and vpdpwssd with the scale in the low word and 0 in
// the high one multiplies it exactly. A 64-element vector holds two 32-element ones, zmm
// lanes 0..7 the first one's quads and 8..15 the second's: the two halves added at the
// end of the super-block are the AVX2 kernel's 8 lanes.
// A weight super-block is unpacked once for up to 4 tokens; rows go one at a time.
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized (and, inlined into a static member,
// -Wuninitialized) on their own _mm512_undefined_* placeholders (GCC bug 105593, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include "cpu/kquant_simd.h"
#include "cpu/stream_prefetch.h"
#include "cpu/tile_stores.h"

namespace {

using tome::BlockQ3_K;
using tome::BlockQ5_K;
using tome::BlockQ6_K;
using tome::BlockQ8_K;
using tome::kernels::tile_by_rows;

// 16 int16 words of a in the low 256 bits and of b in the high ones.
inline __m512i halves16(int a, int b) {
  return _mm512_inserti64x4(_mm512_set1_epi16(short(a)), _mm256_set1_epi16(short(b)), 1);
}

// The 8 lanes of a super-block's 16-lane quad sums (above).
inline __m256i fold_halves(__m512i v) {
  return _mm256_add_epi32(_mm512_extracti64x4_epi64(v, 0), _mm512_extracti64x4_epi64(v, 1));
}

// Scales as vpdpwssd operands for the 64-element vector v: lane l of s[v] holds scale
// (16v + l) / kLanesPerScale, the one of its elements (Q5_K: 8 lanes a 32-element
// sub-block; Q6_K, Q3_K: 4 lanes a 16-element group), an int16 in the low word and 0 in
// the high one. sc32: the block's scales as int32 lanes, high words already 0.
template <int kLanesPerScale>
inline void spread_scales(__m512i sc32, __m512i s[4]) {
  TOME_UNROLL
  for (int v = 0; v < 4; ++v) {
    alignas(64) int idx[16];
    for (int l = 0; l < 16; ++l) idx[l] = (16 * v + l) / kLanesPerScale;
    s[v] = _mm512_permutexvar_epi32(_mm512_load_si512(idx), sc32);
  }
}

// Q6_K: the levels (0..63) of half h's 128 elements as two 64-byte vectors: q[0] elements
// 128h + 0..63, q[1] 128h + 64..127. ql's 64 bytes hold elements 0..63 in their low
// nibbles and 64..127 in their high ones; qh's 32 bytes hold 2 bits of each of elements
// e, e + 32, e + 64, e + 96 (bits 0-1, 2-3, 4-5, 6-7 of byte e).
inline void levels_q6(const BlockQ6_K& b, int h, __m512i q[2]) {
  const __m512i ql = _mm512_loadu_si512(b.ql + 64 * h);
  const __m512i qh = _mm512_broadcast_i64x4(load256(b.qh + 32 * h));
  const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
  // to bits 4-5 of each byte: elements 0..31 take qh bits 0-1 (<< 4), 32..63 bits 2-3
  // (<< 2), 64..95 bits 4-5 (as they are), 96..127 bits 6-7 (>> 2)
  q[0] = _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_and_si512(_mm512_sllv_epi16(qh, halves16(4, 2)), m30));
  q[1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                         _mm512_and_si512(_mm512_srlv_epi16(qh, halves16(0, 2)), m30));
}

// Q5_K: the levels (0..31) of elements 64c .. 64c + 63: the low nibbles of qs bytes
// 32c .. 32c + 31, then their high nibbles; the 5th bit of element e (of 32) of sub-block
// 2c is bit 2c of qh byte e, of sub-block 2c + 1 bit 2c + 1 (shifted to bit 4 in one step).
inline __m512i levels_q5(const BlockQ5_K& b, const __m512i& qh, int c) {
  const __m512i qs = _mm512_broadcast_i64x4(load256(b.qs + 32 * c));
  const __m512i low4 = _mm512_and_si512(_mm512_srlv_epi16(qs, halves16(0, 4)), _mm512_set1_epi8(0x0F));
  const __m512i bit5 = 2 * c + 1 <= 4 ? _mm512_sllv_epi16(qh, halves16(4 - 2 * c, 3 - 2 * c))
                                      : _mm512_srlv_epi16(qh, halves16(2 * c - 4, 2 * c - 3));
  return _mm512_or_si512(low4, _mm512_and_si512(bit5, _mm512_set1_epi8(0x10)));
}

// Lane k (< NA) of the result: the sum of v[k]'s 8 int32 lanes; the other lanes 0.
template <int NA>
inline __m128i lane_totals(const __m256i (&v)[NA]) {
  __m256i m[4];
  for (int k = 0; k < 4; ++k) m[k] = k < NA ? v[k] : _mm256_setzero_si256();
  const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(m[0], m[1]), _mm256_hadd_epi32(m[2], m[3]));
  return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

// Q3_K: the unsigned levels u (0..7; the level is u - 4) of elements 64v .. 64v + 63,
// v = 2c + p: element 128c + 32j + e (j = 2p, 2p + 1) has its low 2 bits at bits 2j, 2j + 1
// of qs byte 32c + e and its 3rd bit at bit 4c + j of hmask byte e (moved to bit 2 in one
// shift: left for bits 0 and 1, right for the others).
inline __m512i levels_q3(const BlockQ3_K& b, const __m512i& hm, int v) {
  const int c = v / 2, j = 2 * (v % 2), bit = 4 * c + j;
  const __m512i qs = _mm512_broadcast_i64x4(load256(b.qs + 32 * c));
  const __m512i low2 = _mm512_and_si512(_mm512_srlv_epi16(qs, halves16(2 * j, 2 * j + 2)), _mm512_set1_epi8(3));
  const __m512i high = bit + 1 <= 2 ? _mm512_sllv_epi16(hm, halves16(2 - bit, 1 - bit))
                                    : _mm512_srlv_epi16(hm, halves16(bit - 2, bit - 1));
  return _mm512_or_si512(low2, _mm512_and_si512(high, _mm512_set1_epi8(4)));
}

// The scaled quad sums of one token over a super-block: v 64-element vectors of levels
// q[v] - kOffset (q unsigned; Q3_K's offset 4 as a second vpdpbusd, subtracted) against
// the token's q8 at qs + 64v, scales s[v] as above.
template <int kOffset>
inline __m512i scaled_quads(const __m512i q[4], const __m512i s[4], const int8_t* qs) {
  __m512i isum = _mm512_setzero_si512();
  TOME_UNROLL
  for (int v = 0; v < 4; ++v) {
    const __m512i q8 = _mm512_loadu_si512(qs + 64 * v);
    __m512i quads = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q[v], q8);
    if constexpr (kOffset != 0)
      quads = _mm512_sub_epi32(quads, _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(kOffset), q8));
    isum = _mm512_dpwssd_epi32(isum, quads, s[v]);
  }
  return isum;
}

// Q3_K and Q6_K: 16 signed scales a super-block, one a 16-element group (lanes as Q6_K's
// in kernels.h). Unpacked per super-block by Levels (q[4], s[4] above, and the scales as
// 16 words); acc_l = fma(da*dw, lane_l - off_l, acc_l); hsum8(acc). Q3_K's levels are
// u - 4 (kOffset, inside the quads), Q6_K's q - 32 with off_l = 32 * (scale * bsum) of
// groups 2l and 2l+1 (kBsumOffset, as the AVX2 kernel).
struct LevelsQ3K {
  using Block = BlockQ3_K;
  static constexpr int kOffset = 4;
  static constexpr bool kBsumOffset = false;
  static void unpack(const Block& b, __m512i q[4], __m512i s[4], __m256i* /*sc16*/) {
    const __m512i hm = _mm512_broadcast_i64x4(load256(b.hmask));
    TOME_UNROLL
    for (int v = 0; v < 4; ++v) q[v] = levels_q3(b, hm, v);
    spread_scales<4>(_mm512_and_si512(_mm512_cvtepi8_epi32(q3_K_scales(b.scales)), _mm512_set1_epi32(0xFFFF)), s);
  }
};
struct LevelsQ6K {
  using Block = BlockQ6_K;
  static constexpr int kOffset = 0;
  static constexpr bool kBsumOffset = true;
  static void unpack(const Block& b, __m512i q[4], __m512i s[4], __m256i* sc16) {
    const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
    levels_q6(b, 0, q);
    levels_q6(b, 1, q + 2);
    spread_scales<4>(_mm512_and_si512(_mm512_cvtepi8_epi32(sc8), _mm512_set1_epi32(0xFFFF)), s);
    *sc16 = _mm256_cvtepi8_epi16(sc8);
  }
};

template <class Levels, int NA>
void dot_group_scaled_row(const void* w, const uint8_t* act, size_t stride, int64_t n, float* out) {
  const auto* x = static_cast<const typename Levels::Block*>(w);
  const BlockQ8_K* a[NA];
  for (int k = 0; k < NA; ++k) a[k] = reinterpret_cast<const BlockQ8_K*>(act + size_t(k) * stride);
  __m256 acc[NA];
  for (int k = 0; k < NA; ++k) acc[k] = _mm256_setzero_ps();
  const int64_t nb = n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    if constexpr (NA == 1) tome::kernels::prefetch_ahead<sizeof(*x)>(&x[i]);  // decode: stream_prefetch.h
    __m512i q[4], s[4];
    __m256i sc16 = _mm256_setzero_si256();
    Levels::unpack(x[i], q, s, &sc16);
    const float dw = half_to_float(x[i].d);
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) {
      __m256i lanes = fold_halves(scaled_quads<Levels::kOffset>(q, s, a[k][i].qs));
      if constexpr (Levels::kBsumOffset)
        lanes = _mm256_sub_epi32(lanes, _mm256_slli_epi32(_mm256_madd_epi16(load256(a[k][i].bsums), sc16), 5));
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(a[k][i].d * dw), _mm256_cvtepi32_ps(lanes), acc[k]);
    }
  }
  for (int k = 0; k < NA; ++k) out[k] = hsum8_avx(acc[k]);
}

// Q5_K: acc_l = fma(da*dw, lane_l, acc_l); summs = fma(-da*dmin, imin, summs) with imin =
// sum_j min_j * (bsums[2j] + bsums[2j+1]) (an exact integer, summed here as 8 lanes of
// madd(bsums, each min twice)); result hsum8(acc) + summs. The tokens' summs go in the
// lanes of one vector, each lane the scalar fma chain of its token.
template <int NA>
void dot_q5_K_row(const void* w, const uint8_t* act, size_t stride, int64_t n, float* out) {
  const BlockQ5_K* x = static_cast<const BlockQ5_K*>(w);
  const BlockQ8_K* a[4];  // past NA, the last token again (its lanes of summs are not read)
  for (int k = 0; k < 4; ++k) a[k] = reinterpret_cast<const BlockQ8_K*>(act + size_t(k < NA ? k : NA - 1) * stride);
  __m256 acc[NA];
  for (int k = 0; k < NA; ++k) acc[k] = _mm256_setzero_ps();
  __m128 summs = _mm_setzero_ps();
  const int64_t nb = n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    if constexpr (NA == 1) tome::kernels::prefetch_ahead<sizeof(*x)>(&x[i]);  // decode: stream_prefetch.h
    const __m128i sm = q4k_scales_mins(x[i].scales);  // bytes 0..7 scales, 8..15 mins
    const __m128i mins8 = _mm_srli_si128(sm, 8);
    const __m256i mins_twice = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins8, mins8));
    const __m512i qh = _mm512_broadcast_i64x4(load256(x[i].qh));
    __m512i q[4], s[4];
    TOME_UNROLL
    for (int c = 0; c < 4; ++c) q[c] = levels_q5(x[i], qh, c);
    spread_scales<8>(_mm512_cvtepu8_epi32(sm), s);
    const float dw = half_to_float(x[i].d), dmin = half_to_float(x[i].dmin);
    __m256i min_lanes[NA];
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) {
      min_lanes[k] = _mm256_madd_epi16(load256(a[k][i].bsums), mins_twice);
      const __m256i lanes = fold_halves(scaled_quads<0>(q, s, a[k][i].qs));
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(a[k][i].d * dw), _mm256_cvtepi32_ps(lanes), acc[k]);
    }
    // lane k: da * dmin (the scalar kernel's m), -(m * imin) + summs rounded once as fma(-m, imin, summs)
    const __m128 da = _mm_setr_ps(a[0][i].d, a[1][i].d, a[2][i].d, a[3][i].d);
    summs = _mm_fnmadd_ps(_mm_mul_ps(da, _mm_set1_ps(dmin)), _mm_cvtepi32_ps(lane_totals(min_lanes)), summs);
  }
  alignas(16) float sums[4];
  _mm_store_ps(sums, summs);
  for (int k = 0; k < NA; ++k) out[k] = hsum8_avx(acc[k]) + sums[k];
}

template <int NA> struct Q3K { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_group_scaled_row<LevelsQ3K, NA>(w, a, s, n, o); } };
template <int NA> struct Q5K { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_q5_K_row<NA>(w, a, s, n, o); } };
template <int NA> struct Q6K { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_group_scaled_row<LevelsQ6K, NA>(w, a, s, n, o); } };

}  // namespace

namespace tome {
namespace kernels {

void dot_q3_K_vnni(const DotTile& t) { tile_by_rows<Q3K>(t); }
void dot_q5_K_vnni(const DotTile& t) { tile_by_rows<Q5K>(t); }
void dot_q6_K_vnni(const DotTile& t) { tile_by_rows<Q6K>(t); }

}  // namespace kernels
}  // namespace tome
#endif
