// AVX2 dot products of Q4_K, Q5_K, Q6_K weights with Q8_K activations. Integer
// sums are exact (so their order is free); the float steps per super-block are
// those of the canonical order in kernels.h:
//   Q4_K/Q5_K: sum = fma(da*dw, isum, sum); sum = fma(-(da*dmin), imin, sum)
//   Q6_K:      sum = fma(da*dw, isum, sum)
// A weight super-block is unpacked once for up to 4 activation rows.
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/avx2_util.h"
#include "cpu/quant_blocks.h"

namespace {

using tome::BlockQ8_K;

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// pshufb indices that broadcast int16 word w across a 128-bit lane.
alignas(16) const uint8_t kWordIdx[8][16] = {
    {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1},
    {2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3},
    {4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5},
    {6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7},
    {8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9},
    {10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11},
    {12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13},
    {14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15},
};

// Broadcast int16 word `lo` of s to the low 128-bit lane and word `hi` to the
// high lane (s holds the same 8 words in both lanes).
inline __m256i words_to_lanes(__m256i s, int lo, int hi) {
  const __m256i idx = _mm256_set_m128i(_mm_load_si128(reinterpret_cast<const __m128i*>(kWordIdx[hi])),
                                       _mm_load_si128(reinterpret_cast<const __m128i*>(kWordIdx[lo])));
  return _mm256_shuffle_epi8(s, idx);
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

// Shared by Q4_K and Q5_K: levels(x, c, &lo, &hi) yields the 64 unsigned levels of
// chunk c (sub-blocks 2c and 2c+1, 32 each).
template <class Block, class Levels, int NA>
void dot_scale_min(const void* w, const void* act, size_t stride, int64_t n, float* out) {
  const Block* x = static_cast<const Block*>(w);
  const BlockQ8_K* a[NA];
  for (int k = 0; k < NA; ++k)
    a[k] = reinterpret_cast<const BlockQ8_K*>(static_cast<const uint8_t*>(act) + size_t(k) * stride);
  float sum[NA];
  for (int k = 0; k < NA; ++k) sum[k] = 0.0f;
  const int64_t nb = n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    alignas(16) uint8_t sm[16];
    unpack_scales_mins(x[i].scales, sm);
    const __m128i sm16_scales = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sm)));
    const __m128i mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sm + 8)));
    const __m256i scales = _mm256_broadcastsi128_si256(sm16_scales);

    // imin = sum_j min_j * (bsums[2j] + bsums[2j+1])
    int imin[NA];
    for (int k = 0; k < NA; ++k) {
      const __m256i bs = load256(a[k][i].bsums);
      const __m128i pairs = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
      imin[k] = hsum_i32_4(_mm_madd_epi16(pairs, mins16));
    }

    __m256i isum[NA];
    for (int k = 0; k < NA; ++k) isum[k] = _mm256_setzero_si256();
    Levels lv(x[i]);
    for (int c = 0; c < 4; ++c) {
      __m256i lo, hi;
      lv.chunk(c, &lo, &hi);
      const __m256i s_lo = words_to_lanes(scales, 2 * c, 2 * c);
      const __m256i s_hi = words_to_lanes(scales, 2 * c + 1, 2 * c + 1);
      for (int k = 0; k < NA; ++k) {
        const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(a[k][i].qs + 64 * c)), s_lo);
        const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load256(a[k][i].qs + 64 * c + 32)), s_hi);
        isum[k] = _mm256_add_epi32(isum[k], _mm256_add_epi32(p_lo, p_hi));
      }
    }
    const float dw = half_to_float(x[i].d), dmin = half_to_float(x[i].dmin);
    for (int k = 0; k < NA; ++k) {
      sum[k] = fma1(a[k][i].d * dw, float(hsum_i32_8(isum[k])), sum[k]);
      sum[k] = fma1(-(a[k][i].d * dmin), float(imin[k]), sum[k]);
    }
  }
  for (int k = 0; k < NA; ++k) out[k] = sum[k];
}

struct LevelsQ4_K {
  const tome::BlockQ4_K& b;
  explicit LevelsQ4_K(const tome::BlockQ4_K& blk) : b(blk) {}
  void chunk(int c, __m256i* lo, __m256i* hi) const {
    const __m256i q = load256(b.qs + 32 * c);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    *lo = _mm256_and_si256(q, m4);
    *hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
  }
};

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

// Q6_K: isum = sum_g scale_g * sum(q * q8) - 32 * sum_g scale_g * bsum_g, q in 0..63.
template <int NA>
void dot_q6_K(const void* w, const void* act, size_t stride, int64_t n, float* out) {
  const tome::BlockQ6_K* x = static_cast<const tome::BlockQ6_K*>(w);
  const BlockQ8_K* a[NA];
  for (int k = 0; k < NA; ++k)
    a[k] = reinterpret_cast<const BlockQ8_K*>(static_cast<const uint8_t*>(act) + size_t(k) * stride);
  float sum[NA];
  for (int k = 0; k < NA; ++k) sum[k] = 0.0f;
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
  const int64_t nb = n / tome::kQKK;
  for (int64_t i = 0; i < nb; ++i) {
    const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].scales));
    const __m256i sc16 = _mm256_cvtepi8_epi16(sc8);  // 16 scales as int16

    int ioff[NA];  // sum_g scale_g * bsum_g
    for (int k = 0; k < NA; ++k) ioff[k] = hsum_i32_8(_mm256_madd_epi16(load256(a[k][i].bsums), sc16));

    __m256i isum[NA];
    for (int k = 0; k < NA; ++k) isum[k] = _mm256_setzero_si256();
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
      for (int j = 0; j < 4; ++j) {
        // 32 elements = groups 2j and 2j+1 of this half: one scale per 128-bit lane
        const __m256i s = words_to_lanes(sch, 2 * j, 2 * j + 1);
        for (int k = 0; k < NA; ++k) {
          const __m256i p = _mm256_maddubs_epi16(q[j], load256(a[k][i].qs + 128 * h + 32 * j));
          isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(p, s));
        }
      }
    }
    const float dw = half_to_float(x[i].d);
    for (int k = 0; k < NA; ++k)
      sum[k] = fma1(a[k][i].d * dw, float(hsum_i32_8(isum[k]) - 31 * ioff[k]), sum[k]);
  }
  for (int k = 0; k < NA; ++k) out[k] = sum[k];
}

template <template <int> class Kernel>
void dispatch(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  switch (n_act) {
    case 1: return Kernel<1>::run(w, act, stride, n, out);
    case 2: return Kernel<2>::run(w, act, stride, n, out);
    case 3: return Kernel<3>::run(w, act, stride, n, out);
    default: return Kernel<4>::run(w, act, stride, n, out);
  }
}

template <int NA> struct Q4K { static void run(const void* w, const void* a, size_t s, int64_t n, float* o) {
  dot_scale_min<tome::BlockQ4_K, LevelsQ4_K, NA>(w, a, s, n, o); } };
template <int NA> struct Q5K { static void run(const void* w, const void* a, size_t s, int64_t n, float* o) {
  dot_scale_min<tome::BlockQ5_K, LevelsQ5_K, NA>(w, a, s, n, o); } };
template <int NA> struct Q6K { static void run(const void* w, const void* a, size_t s, int64_t n, float* o) {
  dot_q6_K<NA>(w, a, s, n, o); } };

}  // namespace

namespace tome {
namespace kernels {

void dot_q4_K_avx2(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  dispatch<Q4K>(w, act, stride, n_act, n, out);
}
void dot_q5_K_avx2(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  dispatch<Q5K>(w, act, stride, n_act, n, out);
}
void dot_q6_K_avx2(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  dispatch<Q6K>(w, act, stride, n_act, n, out);
}

}  // namespace kernels
}  // namespace tome
#endif
