// AVX2 dot products of IQ4_XS weights with Q8_K activations, in the two orders of
// kernels.h: ggml's AVX2 vec_dot, and llama.cpp's IQ panel (llama_iq_panel: 8 tokens or
// more), whose tiles of 4 and 8 tokens take panel_row. Integer parts exact, so any
// grouping of the integer sums gives the same bits. (AVX512-VNNI: dot_iq4xs_vnni.cpp.)
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/kquant_simd.h"
#include "cpu/stream_prefetch.h"
#include "cpu/tile_stores.h"

namespace {

using tome::BlockIQ4_XS;
using tome::BlockQ8_K;
using tome::kernels::tile_by_rows;

// kIq4nlValues in both 128-bit lanes.
inline __m256i iq4_table() {
  return _mm256_setr_epi8(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113, -127, -104, -83,
                          -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
}

// The signed levels of sub-block s (element order: qs[16s + j] holds element j in its
// low nibble, 16 + j in its high one).
inline __m256i iq4_levels(const BlockIQ4_XS& b, int s, __m256i table, __m256i m4) {
  const __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + 16 * s));
  return _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(bits, 4), bits), m4));
}

// Sub-block s's scale minus 32: 4 low bits from scales_l, 2 high bits from scales_h.
inline int iq4_scale(const BlockIQ4_XS& b, int s) {
  return (((b.scales_l[s / 2] >> (4 * (s % 2))) & 0xF) | (((b.scales_h >> (2 * s)) & 3) << 4)) - 32;
}

// isum[k] += the 8 lanes of super-block b against token k's block a[k][i]: lane l sums
// elements 4l..4l+3 of every sub-block times the sub-block's scale (q * q8 as maddubs(|q|,
// sign(q8, q)): exact int16 pairs, |q|, |q8| <= 127). For more than 2 tokens the
// sub-blocks run as a loop: unrolled, GCC interleaved them and spilled the tokens' sums
// (for one token, unrolled is the faster: 13 against 9.6 GB/s, bench_cpu_matmul).
template <int N>
inline void iq4_superblock_sums(const BlockIQ4_XS& b, const BlockQ8_K* const a[N], int64_t i, __m256i isum[N]) {
  const __m256i table = iq4_table(), m4 = _mm256_set1_epi8(0x0F);
  auto sub_block = [&](int s) {
    const __m256i q = iq4_levels(b, s, table, m4);
    const __m256i q_abs = _mm256_sign_epi8(q, q);
    const __m256i scale = _mm256_set1_epi16(short(iq4_scale(b, s)));
    TOME_UNROLL
    for (int k = 0; k < N; ++k) {
      const __m256i p16 = _mm256_maddubs_epi16(q_abs, _mm256_sign_epi8(load256(a[k][i].qs + 32 * s), q));
      isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(p16, scale));
    }
  };
  if constexpr (N <= 2) {
    TOME_UNROLL
    for (int s = 0; s < 8; ++s) sub_block(s);
  } else {
#pragma GCC unroll 1
    for (int s = 0; s < 8; ++s) sub_block(s);
  }
}

// IQ4_XS, one weight row x NA tokens (1-4). kPanel false: ggml's AVX2 vec_dot, acc_l =
// fma(dw*da, lane_l, acc_l), hsum8(acc); true: llama.cpp's IQ panel (8 tokens or more),
// acc = fma(float(sum of the lanes), dw*da, acc).
template <int NA, bool kPanel>
void dot_iq4_xs(const void* w, const uint8_t* act, size_t stride, int64_t n, float* out) {
  const BlockIQ4_XS* x = static_cast<const BlockIQ4_XS*>(w);
  const BlockQ8_K* a[NA];
  for (int k = 0; k < NA; ++k) a[k] = reinterpret_cast<const BlockQ8_K*>(act + size_t(k) * stride);
  __m256 acc[NA];
  float acc1[NA];
  for (int k = 0; k < NA; ++k) {
    acc[k] = _mm256_setzero_ps();
    acc1[k] = 0.0f;
  }
  const int64_t nb = n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    if constexpr (NA == 1) tome::kernels::prefetch_ahead<sizeof(*x)>(&x[i]);  // decode: stream_prefetch.h
    __m256i isum[NA];
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) isum[k] = _mm256_setzero_si256();
    iq4_superblock_sums<NA>(x[i], a, i, isum);
    const float dw = half_to_float(x[i].d);
    for (int k = 0; k < NA; ++k) {
      if (kPanel) acc1[k] = fma1(float(hsum_i32_8(isum[k])), dw * a[k][i].d, acc1[k]);
      else acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(dw * a[k][i].d), _mm256_cvtepi32_ps(isum[k]), acc[k]);
    }
  }
  for (int k = 0; k < NA; ++k) out[k] = kPanel ? acc1[k] : hsum8_avx(acc[k]);
}

// The IQ panel order for one weight row x NT tokens (4 or 8): per super-block, token
// k's exact total T_k (its 8 lanes, iq4_superblock_sums), then out_k = fma(float(T_k), dw*da_k,
// out_k), 4 tokens in the lanes of one vector: their lanes summed together by three
// vphaddd, one fma serving 4 chains. A sub-block's levels are decoded once for the NT
// tokens. (The generic kernel above sums each token's lanes on its own and keeps its
// chain in a scalar register.)
template <int NT>
void panel_row(const BlockIQ4_XS* x, const BlockQ8_K* const a[NT], int64_t nb, float out[NT]) {
  constexpr int kQuads = NT / 4;
  __m128 acc[kQuads];
  TOME_UNROLL
  for (int h = 0; h < kQuads; ++h) acc[h] = _mm_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    __m256i isum[NT];
    TOME_UNROLL
    for (int k = 0; k < NT; ++k) isum[k] = _mm256_setzero_si256();
    iq4_superblock_sums<NT>(x[i], a, i, isum);
    const __m128 dw = _mm_set1_ps(half_to_float(x[i].d));
    TOME_UNROLL
    for (int h = 0; h < kQuads; ++h) {
      const __m256i* v = isum + 4 * h;
      // [T0 T1 T2 T3] as halves of the 128-bit lanes, then added
      const __m256i sums = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
      const __m128i total = _mm_add_epi32(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
      const BlockQ8_K* const* ah = a + 4 * h;
      const __m128 d = _mm_mul_ps(dw, _mm_setr_ps(ah[0][i].d, ah[1][i].d, ah[2][i].d, ah[3][i].d));
      acc[h] = _mm_fmadd_ps(_mm_cvtepi32_ps(total), d, acc[h]);
    }
  }
  TOME_UNROLL
  for (int h = 0; h < kQuads; ++h) _mm_storeu_ps(out + 4 * h, acc[h]);
}

template <int NT>
void panel_tile(const tome::kernels::DotTile& t) {
  const BlockQ8_K* a[NT];
  for (int k = 0; k < NT; ++k) a[k] = reinterpret_cast<const BlockQ8_K*>(t.act + size_t(k) * t.act_stride);
  float out[NT];
  for (int r = 0; r < t.n_w; ++r) {
    panel_row<NT>(reinterpret_cast<const BlockIQ4_XS*>(t.w + size_t(r) * t.w_stride), a, t.n / tome::kQKK, out);
    for (int k = 0; k < NT; ++k) t.out[size_t(k) * t.out_stride + size_t(r)] = out[k];
  }
}

template <int NA> struct IQ4XS { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_iq4_xs<NA, false>(w, a, s, n, o); } };
template <int NA> struct IQ4XSPanel { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_iq4_xs<NA, true>(w, a, s, n, o); } };

}  // namespace

namespace tome {
namespace kernels {

void dot_iq4_xs_avx2(const DotTile& t) { tile_by_rows<IQ4XS>(t); }
void dot_iq4_xs_panel_avx2(const DotTile& t) {
  if (t.n_act == 8) return panel_tile<8>(t);
  if (t.n_act == 4) return panel_tile<4>(t);
  tile_by_rows<IQ4XSPanel>(t);  // 4 tokens at a time
}

}  // namespace kernels
}  // namespace tome
#endif
