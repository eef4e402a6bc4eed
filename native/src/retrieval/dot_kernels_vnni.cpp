// AVX512-VNNI body of dots_gather_i8 (dot_kernels.h): vpdpbusd on 256-bit
// vectors (AVX512-VL) sums four u8 x s8 products into each int32 lane in one
// instruction, |q| times the row with q's signs. Compiled with AVX512 flags,
// called only when cpu_features().avx512vnni. Same exact sums as the other
// bodies.
#include <immintrin.h>

#include "retrieval/dot_kernels.h"

namespace tome::vnni {

namespace {

inline __m256i dot32(__m256i acc, __m256i qabs, __m256i qsgn, const int8_t* r) {
  const __m256i c = _mm256_sign_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r)), qsgn);
  return _mm256_dpbusd_epi32(acc, qabs, c);
}

}  // namespace

#include "retrieval/dots_gather_i8_impl.h"

void dots_gather_i8(const int8_t* qc, const int8_t* base, size_t stride, const int32_t* ids, int64_t n, int dp,
                    int32_t* out) {
  gather_i8(qc, base, stride, ids, n, dp, out);
}
void dots_gather_i8_multi(const int8_t* qc, int n_q, const int8_t* base, size_t stride, const int32_t* ids, int64_t n,
                          int dp, int32_t* out) {
  gather_i8_multi(qc, n_q, base, stride, ids, n, dp, out);
}

}  // namespace tome::vnni
