// vector_exp_impl.h with hardware FMA (this file is compiled with -mfma), eight
// lanes at a time. Every lane goes through the same instructions as the scalar
// lane function (exp_avx2_lane / exp_avx512_lane), each one rounding the same
// way, so the results are bit for bit those of vexp::; lanes whose exponent
// needs the rare paths (a result that under- or overflows the normal range) and
// chunks cut by the row's end are handed to the scalar code.
#include <immintrin.h>

#include "attention/vector_exp.h"
#include "attention/vector_exp_impl.h"

namespace tome::avx2 {

namespace {

using namespace vexp;

// exp of 8 lanes in the given flavour; returns false (nothing written) when a
// lane needs a rare path.
inline bool exp8(__m256 x, int width, __m256* out) {
  const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(kLog2e), _mm256_set1_ps(kShift));
  const __m256 n = _mm256_sub_ps(z, _mm256_set1_ps(kShift));
  const __m256 nn = _mm256_xor_ps(n, _mm256_set1_ps(-0.0f));
  const __m256 b = _mm256_fmadd_ps(nn, _mm256_set1_ps(kLn2Lo), _mm256_fmadd_ps(nn, _mm256_set1_ps(kLn2Hi), x));
  const __m256 u = _mm256_mul_ps(b, b);
  const __m256 p = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(kC5), b, _mm256_set1_ps(kC4)), u,
                                   _mm256_fmadd_ps(_mm256_set1_ps(kC3), b, _mm256_set1_ps(kC2)));
  if (width == 16) {
    // n in [-126, 127]: scalef by 2^n is one rounding of j * 2^n, a normal power of two
    const __m256 rare = _mm256_or_ps(_mm256_cmp_ps(n, _mm256_set1_ps(-126.0f), _CMP_LT_OQ),
                                     _mm256_cmp_ps(n, _mm256_set1_ps(127.0f), _CMP_GT_OQ));
    if (_mm256_movemask_ps(rare)) return false;
    const __m256 j = _mm256_fmadd_ps(p, u, _mm256_fmadd_ps(_mm256_set1_ps(kC1), b, _mm256_set1_ps(1.0f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    *out = _mm256_mul_ps(j, _mm256_castsi256_ps(e));
    return true;
  }
  const __m256 absn = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
  if (_mm256_movemask_ps(_mm256_cmp_ps(absn, _mm256_set1_ps(126.0f), _CMP_GT_OQ))) return false;
  const __m256 j = _mm256_fmadd_ps(p, u, _mm256_mul_ps(_mm256_set1_ps(kC1), b));
  const __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);
  const __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_set1_epi32(0x3f800000)));
  *out = _mm256_fmadd_ps(j, k, k);
  return true;
}

// exp_lane(x[k] - max) for 8 lanes, the rare ones by the scalar function.
inline __m256 exp8_of(const float* x, float max, int width) {
  const __m256 v = _mm256_sub_ps(_mm256_loadu_ps(x), _mm256_set1_ps(max));
  __m256 r;
  if (exp8(v, width, &r)) return r;
  alignas(32) float a[8];
  _mm256_store_ps(a, v);
  for (float& t : a) t = exp_lane(t, width);
  return _mm256_load_ps(a);
}

// lane_tree_sum of one vector of 8 lanes: (i, i + 4), (i, i + 2), (0, 1).
inline float tree8(__m256 v) {
  const __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s = _mm_add_ps(t, _mm_movehl_ps(t, t));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}

}  // namespace

double softmax_exp(const float* x, int64_t n, float max, float* y, int width) {
  double sum = 0;
  const int64_t whole = n - n % width;
  for (int64_t i = 0; i < whole; i += width) {
    const __m256 a = exp8_of(x + i, max, width);
    _mm256_storeu_ps(y + i, a);
    if (width == 16) {
      const __m256 b = exp8_of(x + i + 8, max, width);
      _mm256_storeu_ps(y + i + 8, b);
      sum += double(tree8(_mm256_add_ps(a, b)));  // (i, i + 8) first
    } else {
      sum += double(tree8(a));
    }
  }
  if (whole < n) sum += vexp::softmax_exp(x + whole, n - whole, max, y + whole, width);
  return sum;
}

void swiglu_ggml(float* gate, const float* up, int64_t n, int width) {
  const int64_t whole = n - n % width;  // the rest uses libm's expf, as ggml does (vexp::swiglu)
  for (int64_t i = 0; i < whole; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    alignas(32) float neg[8];  // 0 - g, the argument the scalar lane function gets
    _mm256_store_ps(neg, _mm256_sub_ps(_mm256_setzero_ps(), g));
    const __m256 e = exp8_of(neg, 0.0f, width);
    const __m256 s = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    _mm256_storeu_ps(gate + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
  }
  if (whole < n) vexp::swiglu(gate + whole, up + whole, n - whole, width);
}

}  // namespace tome::avx2
