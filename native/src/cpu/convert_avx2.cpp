// AVX2 activation converters: f32 rows -> F16, BF16, Q8_0, Q8_1, Q8_K, producing the
// same bytes as the scalar ones in quantize_basic.cpp (for non-NaN input; F16C
// keeps NaN payload bits where the scalar code writes 0x7e00).
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/avx2_util.h"
#include "cpu/quant_blocks.h"

namespace {

inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

inline float hmax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// 32 floats times `mul`, rounded half-even (cvtps_epi32 under the default MXCSR),
// saturated to int8, stored in order.
inline void round_store_32(const float* x, __m256 mul, int8_t* dst) {
  __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), mul));
  __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8), mul));
  __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16), mul));
  __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 24), mul));
  // packs work within 128-bit lanes: bytes come out as dwords 0,2,4,6,1,3,5,7
  const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
  const __m256i ordered = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), ordered);
}

// The largest magnitude of 32 floats.
inline float amax_32(const float* x) {
  __m256 m = abs_ps(_mm256_loadu_ps(x));
  m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(x + 8)));
  m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(x + 16)));
  m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(x + 24)));
  return hmax8(m);
}

}  // namespace

namespace tome {
namespace kernels {

void convert_f16_avx2(const float* x, void* dst, int64_t n) {
  uint16_t* y = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; ++i) y[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

// BF16: round to nearest even on the top 16 bits; NaN -> quiet NaN (bit 6 set).
void convert_bf16_avx2(const float* x, void* dst, int64_t n) {
  uint16_t* y = static_cast<uint16_t*>(dst);
  auto cvt8 = [](const float* p) {
    const __m256i u = _mm256_castps_si256(_mm256_loadu_ps(p));
    const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)),
                                              _mm256_set1_epi32(0x7f800000));
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), lsb)), 16);
    const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(64));
    return _mm256_blendv_epi8(rounded, quiet, is_nan);
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i p = _mm256_packus_epi32(cvt8(x + i), cvt8(x + i + 8));  // lanes: a0-3 b0-3 a4-7 b4-7
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), _mm256_permute4x64_epi64(p, 0xD8));
  }
  for (; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, x + i, 4);
    y[i] = (u & 0x7fffffffu) > 0x7f800000u ? uint16_t((u >> 16) | 64) : uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  }
}

// Q8_0 activations: d = amax/127 (as f16), q = round-half-even(x * 127/amax).
void convert_q8_0_avx2(const float* x, void* dst, int64_t n) {
  tome::BlockQ8_0* y = static_cast<tome::BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / tome::kQK32; ++i, x += tome::kQK32) {
    const float amax = amax_32(x);
    y[i].d = _cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    round_store_32(x, _mm256_set1_ps(id), y[i].qs);
  }
}

// Q8_1 activations: Q8_0's bytes, s = d * sum(qs) as a half (d the float amax/127).
void convert_q8_1_avx2(const float* x, void* dst, int64_t n) {
  tome::BlockQ8_1* y = static_cast<tome::BlockQ8_1*>(dst);
  for (int64_t i = 0; i < n / tome::kQK32; ++i, x += tome::kQK32) {
    const float amax = amax_32(x);
    const float d = amax / 127.0f;
    y[i].d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    round_store_32(x, _mm256_set1_ps(id), y[i].qs);
    // sum of the 32 int8: sad against 0 of the bytes biased to unsigned, minus 32 * 128
    const __m256i sad = _mm256_sad_epu8(_mm256_xor_si256(load256(y[i].qs), _mm256_set1_epi8(char(0x80))),
                                        _mm256_setzero_si256());
    const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
    const int sum = _mm_cvtsi128_si32(s2) + _mm_extract_epi16(s2, 4) - 32 * 128;
    y[i].s = _cvtss_sh(d * float(sum), _MM_FROUND_TO_NEAREST_INT);
  }
}

// Q8_K activations: the first element of largest magnitude maps to -127 (sign
// kept); iscale = -127/max, q = round-half-even(iscale*x), d = 1/iscale, bsums.
void convert_q8_K_avx2(const float* x, void* dst, int64_t n) {
  tome::BlockQ8_K* y = static_cast<tome::BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / tome::kQKK; ++i, x += tome::kQKK) {
    __m256 m = _mm256_setzero_ps();
    for (int j = 0; j < tome::kQKK; j += 8) m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(x + j)));
    const float amax = hmax8(m);
    if (amax == 0.0f) {
      std::memset(&y[i], 0, sizeof(tome::BlockQ8_K));
      continue;
    }
    int first = 0;  // the scalar loop keeps the first index reaching amax
    const __m256 target = _mm256_set1_ps(amax);
    for (int j = 0; j < tome::kQKK; j += 8) {
      const int mask = _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + j)), target, _CMP_EQ_OQ));
      if (mask) {
        first = j;
        while (!((mask >> (first - j)) & 1)) ++first;
        break;
      }
    }
    const float iscale = -127.0f / x[first];
    for (int j = 0; j < tome::kQKK; j += 32) round_store_32(x + j, _mm256_set1_ps(iscale), y[i].qs + j);
    // bsums: sum of 16 int8 = sad(q ^ 0x80, 0) - 16*128 (bias to unsigned, sum two halves)
    for (int g = 0; g < tome::kQKK / 16; ++g) {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(y[i].qs + 16 * g));
      const __m128i sad = _mm_sad_epu8(_mm_xor_si128(q, _mm_set1_epi8(char(0x80))), _mm_setzero_si128());
      y[i].bsums[g] = int16_t(_mm_cvtsi128_si32(sad) + _mm_extract_epi16(sad, 4) - 16 * 128);
    }
    y[i].d = 1.0f / iscale;
  }
}

}  // namespace kernels
}  // namespace tome
#endif
