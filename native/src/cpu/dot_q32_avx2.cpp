// AVX2 dot products of Q8_0, Q4_0, IQ4_NL weights with Q8_0 activations, lane for
// lane the canonical order of kernels.h (and of ggml's AVX2 kernels): per block,
// lane l holds the exact integer sum over elements 4l..4l+3, fused into the lane
// accumulator with dw*da; hsum8 at the end. A weight block is unpacked once for
// up to 4 activation rows (prefill tiles).
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/avx2_util.h"
#include "cpu/quant_blocks.h"

namespace {

using tome::BlockQ8_0;

// Each unpacker returns the 32 signed levels of a block, in element order.
struct UnpackQ8_0 {
  using Block = tome::BlockQ8_0;
  static __m256i levels(const Block& b) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)); }
};
// Low nibbles are elements 0..15, high nibbles 16..31.
inline __m256i nibbles_32(const uint8_t* qs) {
  const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m4 = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(t, 4), m4), _mm_and_si128(t, m4));
}
struct UnpackQ4_0 {
  using Block = tome::BlockQ4_0;
  static __m256i levels(const Block& b) { return _mm256_sub_epi8(nibbles_32(b.qs), _mm256_set1_epi8(8)); }
};
struct UnpackIQ4_NL {
  using Block = tome::BlockIQ4_NL;
  static __m256i levels(const Block& b) {
    const __m256i table = _mm256_setr_epi8(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
                                           -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
    return _mm256_shuffle_epi8(table, nibbles_32(b.qs));
  }
};

template <class Unpack, int NA>
void dot_q32(const void* w, const void* act, size_t stride, int64_t n, float* out) {
  using Block = typename Unpack::Block;
  const Block* x = static_cast<const Block*>(w);
  const BlockQ8_0* a[NA];
  for (int k = 0; k < NA; ++k)
    a[k] = reinterpret_cast<const BlockQ8_0*>(static_cast<const uint8_t*>(act) + size_t(k) * stride);
  __m256 acc[NA];
  for (int k = 0; k < NA; ++k) acc[k] = _mm256_setzero_ps();
  const int64_t nb = n / tome::kQK32;
  for (int64_t i = 0; i < nb; ++i) {
    const __m256i qw = Unpack::levels(x[i]);
    const __m256i qw_abs = _mm256_sign_epi8(qw, qw);
    const float dw = half_to_float(x[i].d);
    for (int k = 0; k < NA; ++k) {
      const __m256i qa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[k][i].qs));
      const __m256 lanes = _mm256_cvtepi32_ps(dot_i8_lanes(qw_abs, qw, qa));
      const __m256 d = _mm256_set1_ps(dw * half_to_float(a[k][i].d));
      acc[k] = _mm256_fmadd_ps(d, lanes, acc[k]);
    }
  }
  for (int k = 0; k < NA; ++k) out[k] = hsum8_avx(acc[k]);
}

template <class Unpack>
void dot_rows(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  switch (n_act) {
    case 1: return dot_q32<Unpack, 1>(w, act, stride, n, out);
    case 2: return dot_q32<Unpack, 2>(w, act, stride, n, out);
    case 3: return dot_q32<Unpack, 3>(w, act, stride, n, out);
    default: return dot_q32<Unpack, 4>(w, act, stride, n, out);
  }
}

}  // namespace

namespace tome {
namespace kernels {

void dot_q8_0_avx2(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  dot_rows<UnpackQ8_0>(w, act, stride, n_act, n, out);
}
void dot_q4_0_avx2(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  dot_rows<UnpackQ4_0>(w, act, stride, n_act, n, out);
}
void dot_iq4_nl_avx2(const void* w, const void* act, size_t stride, int n_act, int64_t n, float* out) {
  dot_rows<UnpackIQ4_NL>(w, act, stride, n_act, n, out);
}

}  // namespace kernels
}  // namespace tome
#endif
