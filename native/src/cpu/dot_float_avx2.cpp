// AVX2+FMA dot products of the float formats (F32, F16 via F16C, BF16), lane for
// lane the canonical order of kernels.h (see dot_float_scalar.cpp): 4 vector
// accumulators of 8 = the 32 scalar accumulators, fold (a0+a2)+(a1+a3), hsum8,
// then the tail fused in order. Two activation rows per pass (4 would spill).
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/avx2_util.h"

namespace {

struct LoadF32 {
  static __m256 v8(const void* p, int64_t i) { return _mm256_loadu_ps(static_cast<const float*>(p) + i); }
  static float at(const void* p, int64_t i) { return static_cast<const float*>(p)[i]; }
};
struct LoadF16 {
  static __m256 v8(const void* p, int64_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(p) + i)));
  }
  static float at(const void* p, int64_t i) { return _cvtsh_ss(static_cast<const uint16_t*>(p)[i]); }
};
struct LoadBF16 {
  static __m256 v8(const void* p, int64_t i) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(p) + i));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static float at(const void* p, int64_t i) {
    const uint32_t u = uint32_t(static_cast<const uint16_t*>(p)[i]) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

template <class Load, int NA>
void dot_float(const void* w, const void* act, size_t stride, int64_t n, float* out) {
  const void* a[NA];
  for (int k = 0; k < NA; ++k) a[k] = static_cast<const uint8_t*>(act) + size_t(k) * stride;
  __m256 acc[NA][4];
  for (int k = 0; k < NA; ++k)
    for (int j = 0; j < 4; ++j) acc[k][j] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int j = 0; j < 4; ++j) {
      const __m256 wv = Load::v8(w, i + 8 * j);
      for (int k = 0; k < NA; ++k) acc[k][j] = _mm256_fmadd_ps(wv, Load::v8(a[k], i + 8 * j), acc[k][j]);
    }
  }
  for (int k = 0; k < NA; ++k) {
    const __m256 v = _mm256_add_ps(_mm256_add_ps(acc[k][0], acc[k][2]), _mm256_add_ps(acc[k][1], acc[k][3]));
    float sum = hsum8_avx(v);
    for (int64_t t = i; t < n; ++t) sum = fma1(Load::at(w, t), Load::at(a[k], t), sum);
    out[k] = sum;
  }
}

// One weight row at a time (its 4 accumulators per activation row already give
// enough independent chains), activation rows in pairs.
template <class Load>
void dot_tile(const tome::kernels::DotTile& t) {
  float out[2];
  for (int r = 0; r < t.n_w; ++r) {
    const uint8_t* w = t.w + size_t(r) * t.w_stride;
    for (int k = 0; k < t.n_act; k += 2) {
      const uint8_t* a = t.act + size_t(k) * t.act_stride;
      const int na = t.n_act - k >= 2 ? 2 : 1;
      if (na == 2) dot_float<Load, 2>(w, a, t.act_stride, t.n, out);
      else dot_float<Load, 1>(w, a, t.act_stride, t.n, out);
      for (int j = 0; j < na; ++j) t.out[size_t(k + j) * t.out_stride + size_t(r)] = out[j];
    }
  }
}

}  // namespace

namespace tome {
namespace kernels {

void dot_f32_avx2(const DotTile& t) { dot_tile<LoadF32>(t); }
void dot_f16_avx2(const DotTile& t) { dot_tile<LoadF16>(t); }
void dot_bf16_avx2(const DotTile& t) { dot_tile<LoadBF16>(t); }

}  // namespace kernels
}  // namespace tome
#endif
