// AVX2 dot products of Q2_K, Q3_K, Q5_K and Q6_K weights with Q8_K activations, in the
// canonical order of kernels.h (integer parts exact; which integers go to which
// float lane, and the float steps, as documented there).
// A weight super-block is unpacked once for up to 4 activation rows. (Q4_K:
// dot_q4k_avx2.cpp; IQ4_XS: dot_iq4xs_avx2.cpp.) The loops over those rows are unrolled
// (TOME_UNROLL): left rolled, GCC kept each row's integer sums on the stack, a load and a
// store around every add (the Q6_K tile at half its speed).
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/kquant_simd.h"
#include "cpu/stream_prefetch.h"
#include "cpu/tile_stores.h"

namespace {

using tome::BlockQ8_K;
using tome::kernels::tile_by_rows;

// pshufb indices (per 128-bit lane) that broadcast one int16 word across the lane:
// kSameWord[w] puts word w in both lanes, kWordPair[j] word 2j in the low lane and
// word 2j+1 in the high lane. One vpshufb with a memory operand per use.
#define TOME_W(w) char(2 * (w)), char(2 * (w) + 1)
#define TOME_W8(w) TOME_W(w), TOME_W(w), TOME_W(w), TOME_W(w), TOME_W(w), TOME_W(w), TOME_W(w), TOME_W(w)
alignas(32) const char kSameWord[8][32] = {
    {TOME_W8(0), TOME_W8(0)}, {TOME_W8(1), TOME_W8(1)}, {TOME_W8(2), TOME_W8(2)}, {TOME_W8(3), TOME_W8(3)},
    {TOME_W8(4), TOME_W8(4)}, {TOME_W8(5), TOME_W8(5)}, {TOME_W8(6), TOME_W8(6)}, {TOME_W8(7), TOME_W8(7)},
};
alignas(32) const char kWordPair[4][32] = {
    {TOME_W8(0), TOME_W8(1)}, {TOME_W8(2), TOME_W8(3)}, {TOME_W8(4), TOME_W8(5)}, {TOME_W8(6), TOME_W8(7)},
};
#undef TOME_W8
#undef TOME_W

// s holds the same 8 int16 words in both 128-bit lanes; idx is one of the tables.
inline __m256i pick_words(__m256i s, const char* idx) {
  return _mm256_shuffle_epi8(s, _mm256_load_si256(reinterpret_cast<const __m256i*>(idx)));
}

// The 8 six-bit scales (bytes 0..7) and mins (bytes 8..15) of a Q4_K/Q5_K
// super-block, unpacked 4 at a time with 32-bit word operations.
inline void unpack_scales_mins(const uint8_t* scales, uint8_t out[16]) {
  uint32_t w[3];
  std::memcpy(w, scales, 12);
  const uint32_t m6 = 0x3f3f3f3fu, m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
  const uint32_t r[4] = {
      w[0] & m6,                                       // scales 0..3
      (w[2] & m4) | (((w[0] >> 6) & m2) << 4),         // scales 4..7
      w[1] & m6,                                       // mins 0..3
      ((w[2] >> 4) & m4) | (((w[1] >> 6) & m2) << 4),  // mins 4..7
  };
  std::memcpy(out, r, 16);
}

// Q5_K: the 5th bit of element l of sub-block 2c is qh[l] bit 2c, of 2c+1 bit 2c+1.
// qh is shifted right by 2 per chunk, so bits 0 and 1 of each byte are the ones needed.
struct LevelsQ5_K {
  const tome::BlockQ5_K& b;
  __m256i qh;
  explicit LevelsQ5_K(const tome::BlockQ5_K& blk) : b(blk), qh(load256(blk.qh)) {}
  void chunk(int c, __m256i* lo, __m256i* hi) {
    const __m256i q = load256(b.qs + 32 * c);
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    const __m256i h_lo = _mm256_slli_epi16(_mm256_and_si256(qh, one), 4);
    const __m256i h_hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 1), one), 4);
    *lo = _mm256_or_si256(_mm256_and_si256(q, m4), h_lo);
    *hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), h_hi);
    qh = _mm256_srli_epi16(qh, 2);
  }
};

// Q5_K: isum lanes: lane l sums elements 4l..4l+3 of every 32-element vector, times
// that sub-block's scale. Float steps per super-block (see kernels.h):
//   acc_l = fma(da*dw, isum_l, acc_l); summs = fma(-da*dmin, imin, summs);
//   result hsum8(acc) + summs
template <int NA>
void dot_q5_K(const void* w, const uint8_t* act, size_t stride, int64_t n, float* out) {
  const tome::BlockQ5_K* x = static_cast<const tome::BlockQ5_K*>(w);
  const BlockQ8_K* a[NA];
  for (int k = 0; k < NA; ++k) a[k] = reinterpret_cast<const BlockQ8_K*>(act + size_t(k) * stride);
  float accm[NA];
  __m256 accv[NA];
  TOME_UNROLL
  for (int k = 0; k < NA; ++k) {
    accm[k] = 0.0f;
    accv[k] = _mm256_setzero_ps();
  }
  const int64_t nb = n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    if constexpr (NA == 1) tome::kernels::prefetch_ahead<sizeof(*x)>(&x[i]);  // decode: stream_prefetch.h
    alignas(16) uint8_t sm[16];
    unpack_scales_mins(x[i].scales, sm);
    const __m128i sm16_scales = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sm)));
    const __m128i mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sm + 8)));
    const __m256i scales = _mm256_broadcastsi128_si256(sm16_scales);
    const float dw = half_to_float(x[i].d), dmin = half_to_float(x[i].dmin);

    // imin = sum_j min_j * (bsums[2j] + bsums[2j+1])
    int imin[NA];
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) {
      const __m256i bs = load256(a[k][i].bsums);
      const __m128i pairs = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
      imin[k] = hsum_i32_4(_mm_madd_epi16(pairs, mins16));
    }

    __m256i isum[NA];
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) isum[k] = _mm256_setzero_si256();
    LevelsQ5_K lv(x[i]);
    for (int c = 0; c < 4; ++c) {
      __m256i lo, hi;
      lv.chunk(c, &lo, &hi);
      const __m256i s_lo = pick_words(scales, kSameWord[2 * c]);
      const __m256i s_hi = pick_words(scales, kSameWord[2 * c + 1]);
      TOME_UNROLL
      for (int k = 0; k < NA; ++k) {
        const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(a[k][i].qs + 64 * c)), s_lo);
        const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load256(a[k][i].qs + 64 * c + 32)), s_hi);
        isum[k] = _mm256_add_epi32(isum[k], _mm256_add_epi32(p_lo, p_hi));
      }
    }
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) {
      const float d = a[k][i].d * dw, m = a[k][i].d * dmin;
      accv[k] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum[k]), accv[k]);
      accm[k] = fma1(-m, float(imin[k]), accm[k]);
    }
  }
  for (int k = 0; k < NA; ++k) out[k] = hsum8_avx(accv[k]) + accm[k];
}

// Q6_K: lanes as above with q in 0..63 (group scale per 128-bit lane), minus, lane
// by lane, 32 * (scale * bsum) of groups 2l and 2l+1; acc_l = fma(da*dw, isum_l, acc_l);
// result hsum8(acc).
template <int NA>
void dot_q6_K(const void* w, const uint8_t* act, size_t stride, int64_t n, float* out) {
  const tome::BlockQ6_K* x = static_cast<const tome::BlockQ6_K*>(w);
  const BlockQ8_K* a[NA];
  for (int k = 0; k < NA; ++k) a[k] = reinterpret_cast<const BlockQ8_K*>(act + size_t(k) * stride);
  __m256 acc[NA];
  TOME_UNROLL
  for (int k = 0; k < NA; ++k) acc[k] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
  const int64_t nb = n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    if constexpr (NA == 1) tome::kernels::prefetch_ahead<sizeof(*x)>(&x[i]);  // decode: stream_prefetch.h
    const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].scales));
    const __m256i sc16 = _mm256_cvtepi8_epi16(sc8);  // 16 scales as int16

    __m256i off[NA];  // lane l: 32 * (scale * bsum) of groups 2l, 2l+1
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) off[k] = _mm256_slli_epi32(_mm256_madd_epi16(load256(a[k][i].bsums), sc16), 5);

    __m256i isum[NA];
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) isum[k] = _mm256_setzero_si256();
    TOME_UNROLL
    for (int h = 0; h < 2; ++h) {
      // scales 8h..8h+7, the same 8 words in both 128-bit lanes
      const __m256i sch = _mm256_broadcastsi128_si256(h == 0 ? _mm256_castsi256_si128(sc16)
                                                             : _mm256_extracti128_si256(sc16, 1));
      const __m256i ql0 = load256(x[i].ql + 64 * h), ql1 = load256(x[i].ql + 64 * h + 32);
      const __m256i qh = load256(x[i].qh + 32 * h);
      __m256i q[4];  // elements 128h + 32j + l
      q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m2), 4));
      q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4));
      q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4));
      TOME_UNROLL
      for (int j = 0; j < 4; ++j) {
        // 32 elements = groups 2j and 2j+1 of this half: one scale per 128-bit lane
        const __m256i s = pick_words(sch, kWordPair[j]);
        TOME_UNROLL
        for (int k = 0; k < NA; ++k) {
          const __m256i p = _mm256_maddubs_epi16(q[j], load256(a[k][i].qs + 128 * h + 32 * j));
          isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(p, s));
        }
      }
    }
    const float dw = half_to_float(x[i].d);
    TOME_UNROLL
    for (int k = 0; k < NA; ++k)
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(a[k][i].d * dw), _mm256_cvtepi32_ps(_mm256_sub_epi32(isum[k], off[k])),
                               acc[k]);
  }
  for (int k = 0; k < NA; ++k) out[k] = hsum8_avx(acc[k]);
}

// Q3_K: levels u = low 2 bits + 4 * 3rd bit (0..7), u - 4 times q8 as maddubs(u, q8)
// minus maddubs(4, q8) (exact int16 pairs), the vector's two scales per 128-bit lane as
// Q6_K's; acc_l = fma(da*dw, isum_l, acc_l); result hsum8(acc).
template <int NA>
void dot_q3_K(const void* w, const uint8_t* act, size_t stride, int64_t n, float* out) {
  const tome::BlockQ3_K* x = static_cast<const tome::BlockQ3_K*>(w);
  const BlockQ8_K* a[NA];
  for (int k = 0; k < NA; ++k) a[k] = reinterpret_cast<const BlockQ8_K*>(act + size_t(k) * stride);
  __m256 acc[NA];
  TOME_UNROLL
  for (int k = 0; k < NA; ++k) acc[k] = _mm256_setzero_ps();
  const __m256i m3 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1), four = _mm256_set1_epi8(4);
  const int64_t nb = n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    if constexpr (NA == 1) tome::kernels::prefetch_ahead<sizeof(*x)>(&x[i]);  // decode: stream_prefetch.h
    const __m256i sc16 = _mm256_cvtepi8_epi16(q3_K_scales(x[i].scales));
    const __m256i hbits = load256(x[i].hmask);
    __m256i isum[NA];
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) isum[k] = _mm256_setzero_si256();
    for (int c = 0; c < 2; ++c) {
      const __m256i sch = _mm256_broadcastsi128_si256(c == 0 ? _mm256_castsi256_si128(sc16)
                                                             : _mm256_extracti128_si256(sc16, 1));
      const __m256i qs = load256(x[i].qs + 32 * c);
      TOME_UNROLL
      for (int j = 0; j < 4; ++j) {
        const int shift = 2 * j, bit = 4 * c + j;
        const __m256i low = _mm256_and_si256(_mm256_srli_epi16(qs, shift), m3);
        const __m256i high = _mm256_and_si256(_mm256_srli_epi16(hbits, bit), one);
        const __m256i u = _mm256_or_si256(low, _mm256_slli_epi16(high, 2));
        const __m256i s = pick_words(sch, kWordPair[j]);
        TOME_UNROLL
        for (int k = 0; k < NA; ++k) {
          const __m256i q8 = load256(a[k][i].qs + 128 * c + 32 * j);
          const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(u, q8), _mm256_maddubs_epi16(four, q8));
          isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(p, s));
        }
      }
    }
    const float dw = half_to_float(x[i].d);
    TOME_UNROLL
    for (int k = 0; k < NA; ++k)
      acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(a[k][i].d * dw), _mm256_cvtepi32_ps(isum[k]), acc[k]);
  }
  for (int k = 0; k < NA; ++k) out[k] = hsum8_avx(acc[k]);
}

// Q2_K: levels 0..3 (maddubs(q, q8) directly: pairs <= 762), each 32-element vector's
// two scales per 128-bit lane as Q3_K's; mins times bsums by one madd. kMode:
//   kQ2VecDot (ggml's AVX2 vec_dot): acc_l = fma(-da*dmin, min_l, acc_l), then
//     acc_l = fma(da*dw, lane_l, acc_l); hsum8(acc).
//   kQ2Gemv / kQ2Gemm (llama.cpp's repacked q2_K_8x8, AVX-512 CPUs): exact sums per
//     super-block / per 128-element half; acc = fma(float(isum), dw*da, acc), accm =
//     fma(float(imin), dmin*da, accm); acc - accm.
enum Q2Mode { kQ2VecDot, kQ2Gemv, kQ2Gemm };
template <int NA, Q2Mode kMode>
void dot_q2_K(const void* w, const uint8_t* act, size_t stride, int64_t n, float* out) {
  const tome::BlockQ2_K* x = static_cast<const tome::BlockQ2_K*>(w);
  const BlockQ8_K* a[NA];
  for (int k = 0; k < NA; ++k) a[k] = reinterpret_cast<const BlockQ8_K*>(act + size_t(k) * stride);
  __m256 acc[NA];
  float acc1[NA], accm1[NA];
  for (int k = 0; k < NA; ++k) {
    acc[k] = _mm256_setzero_ps();
    acc1[k] = accm1[k] = 0.0f;
  }
  const __m256i m3 = _mm256_set1_epi8(3);
  const __m128i m4 = _mm_set1_epi8(0x0F);
  const int64_t nb = n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    if constexpr (NA == 1) tome::kernels::prefetch_ahead<sizeof(*x)>(&x[i]);  // decode: stream_prefetch.h
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].scales));
    const __m256i sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(packed, m4));
    const __m256i min16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), m4));
    __m256i half[NA][2];
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) half[k][0] = half[k][1] = _mm256_setzero_si256();
    TOME_UNROLL
    for (int c = 0; c < 2; ++c) {
      const __m256i sch = _mm256_broadcastsi128_si256(c == 0 ? _mm256_castsi256_si128(sc16)
                                                             : _mm256_extracti128_si256(sc16, 1));
      const __m256i bits = load256(x[i].qs + 32 * c);
      TOME_UNROLL
      for (int j = 0; j < 4; ++j) {
        const __m256i q = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * j), m3);
        const __m256i s = pick_words(sch, kWordPair[j]);
        TOME_UNROLL
        for (int k = 0; k < NA; ++k) {
          const __m256i p = _mm256_maddubs_epi16(q, load256(a[k][i].qs + 128 * c + 32 * j));
          half[k][c] = _mm256_add_epi32(half[k][c], _mm256_madd_epi16(p, s));
        }
      }
    }
    const float dw = half_to_float(x[i].d), dmin = half_to_float(x[i].dmin);
    TOME_UNROLL
    for (int k = 0; k < NA; ++k) {
      const __m256i mins = _mm256_madd_epi16(min16, load256(a[k][i].bsums));
      if (kMode == kQ2VecDot) {
        acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(-a[k][i].d * dmin), _mm256_cvtepi32_ps(mins), acc[k]);
        acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(a[k][i].d * dw), _mm256_cvtepi32_ps(_mm256_add_epi32(half[k][0], half[k][1])),
                                 acc[k]);
      } else if (kMode == kQ2Gemv) {
        acc1[k] = fma1(float(hsum_i32_8(_mm256_add_epi32(half[k][0], half[k][1]))), dw * a[k][i].d, acc1[k]);
        accm1[k] = fma1(float(hsum_i32_8(mins)), dmin * a[k][i].d, accm1[k]);
      } else {
        const int imin[2] = {hsum_i32_4(_mm256_castsi256_si128(mins)), hsum_i32_4(_mm256_extracti128_si256(mins, 1))};
        for (int c = 0; c < 2; ++c) {
          acc1[k] = fma1(float(hsum_i32_8(half[k][c])), dw * a[k][i].d, acc1[k]);
          accm1[k] = fma1(float(imin[c]), dmin * a[k][i].d, accm1[k]);
        }
      }
    }
  }
  for (int k = 0; k < NA; ++k) out[k] = kMode == kQ2VecDot ? hsum8_avx(acc[k]) : acc1[k] - accm1[k];
}

template <int NA> struct Q5K { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_q5_K<NA>(w, a, s, n, o); } };
template <int NA> struct Q3K { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_q3_K<NA>(w, a, s, n, o); } };
template <int NA> struct Q6K { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_q6_K<NA>(w, a, s, n, o); } };
template <int NA> struct Q2K { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_q2_K<NA, kQ2VecDot>(w, a, s, n, o); } };
template <int NA> struct Q2KGemv { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_q2_K<NA, kQ2Gemv>(w, a, s, n, o); } };
template <int NA> struct Q2KGemm { static void run(const void* w, const uint8_t* a, size_t s, int64_t n, float* o) {
  dot_q2_K<NA, kQ2Gemm>(w, a, s, n, o); } };

}  // namespace

namespace tome {
namespace kernels {

void dot_q5_K_avx2(const DotTile& t) { tile_by_rows<Q5K>(t); }
void dot_q6_K_avx2(const DotTile& t) { tile_by_rows<Q6K>(t); }
void dot_q3_K_avx2(const DotTile& t) { tile_by_rows<Q3K>(t); }
void dot_q2_K_avx2(const DotTile& t) { tile_by_rows<Q2K>(t); }
void dot_q2_K_repack_avx2(const DotTile& t) { tile_by_rows<Q2KGemv>(t); }
void dot_q2_K_gemm_avx2(const DotTile& t) { tile_by_rows<Q2KGemm>(t); }

}  // namespace kernels
}  // namespace tome
#endif
