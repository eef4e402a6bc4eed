// AVX2+FMA dot products of the float formats (F32, F16 via F16C, BF16), lane for
// lane the canonical order of kernels.h (see dot_float_scalar.cpp): F16 and BF16 4
// vector accumulators of 8 = the 32 scalar accumulators, fold (a0+a2)+(a1+a3), hsum8,
// then the tail fused in order; F32 ggml_vec_dot_f32's 4 accumulators of 8 or 16
// lanes and reduce. Two activation rows per pass (4 would spill).
#include "cpu/avx2_entry.h"
#ifdef TOME_HAVE_AVX2_KERNELS
#include "cpu/avx2_util.h"
#include "cpu/stream_prefetch.h"

namespace {

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
    if constexpr (NA == 1) tome::kernels::prefetch_ahead<64>(static_cast<const uint16_t*>(w) + i);  // decode
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

// F32 in ggml_vec_dot_f32's order (kernels.h, dot_float_scalar.cpp's dot_f32_ggml): L = 8 or
// 16 lanes (an L-lane vector as L / 8 halves), 4 accumulators, the build's reduce.
template <int NA, int L>
void dot_f32_ggml(const float* w, const uint8_t* act, size_t stride, int64_t n, float* out) {
  constexpr int H = L / 8;
  const float* a[NA];
  for (int k = 0; k < NA; ++k) a[k] = reinterpret_cast<const float*>(act + size_t(k) * stride);
  __m256 acc[NA][4][H];
  for (int k = 0; k < NA; ++k)
    for (int j = 0; j < 4; ++j)
      for (int h = 0; h < H; ++h) acc[k][j][h] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    if constexpr (NA == 1) tome::kernels::prefetch_ahead<16 * L>(w + i);  // decode: 4L floats
    for (int j = 0; j < 4; ++j)
      for (int h = 0; h < H; ++h) {
        const __m256 wv = _mm256_loadu_ps(w + i + j * L + 8 * h);
        for (int k = 0; k < NA; ++k)
          acc[k][j][h] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(a[k] + i + j * L + 8 * h), acc[k][j][h]);
      }
  }
  for (int k = 0; k < NA; ++k) {
    __m256 v[H];
    for (int h = 0; h < H; ++h)
      v[h] = _mm256_add_ps(_mm256_add_ps(acc[k][0][h], acc[k][2][h]), _mm256_add_ps(acc[k][1][h], acc[k][3][h]));
    float sum;
    if constexpr (L == 8) {
      __m128 t = _mm_add_ps(_mm256_castps256_ps128(v[0]), _mm256_extractf128_ps(v[0], 1));
      t = _mm_hadd_ps(t, t);
      sum = _mm_cvtss_f32(_mm_hadd_ps(t, t));
    } else {
      const __m256 u = _mm256_add_ps(v[1], v[0]);
      const __m128 w4 = _mm_add_ps(_mm256_extractf128_ps(u, 1), _mm256_castps256_ps128(u));
      const __m128 t8 = _mm_add_ps(w4, _mm_shuffle_ps(w4, w4, _MM_SHUFFLE(1, 0, 3, 2)));
      sum = _mm_cvtss_f32(_mm_add_ss(t8, _mm_movehdup_ps(t8)));
    }
    int64_t t = i;
    for (const int64_t end = i + tome::kernels::f32_tail_unfused(n - i, L); t < end; ++t)  // two roundings
      sum = _mm_cvtss_f32(_mm_add_ss(_mm_set_ss(sum), _mm_mul_ss(_mm_set_ss(w[t]), _mm_set_ss(a[k][t]))));
    for (; t < n; ++t) sum = fma1(w[t], a[k][t], sum);
    out[k] = sum;
  }
}

// The kernels as tile steps: Kernel<NA>::run(w, act, stride, n, out).
template <class Load>
struct FloatDot {
  template <int NA>
  static void run(const void* w, const uint8_t* a, size_t stride, int64_t n, float* out) {
    dot_float<Load, NA>(w, a, stride, n, out);
  }
};
template <int L>
struct F32Dot {
  template <int NA>
  static void run(const void* w, const uint8_t* a, size_t stride, int64_t n, float* out) {
    dot_f32_ggml<NA, L>(static_cast<const float*>(w), a, stride, n, out);
  }
};

// One weight row at a time (its 4 accumulators per activation row already give
// enough independent chains), activation rows in pairs.
template <class Kernel>
void dot_tile(const tome::kernels::DotTile& t) {
  float out[2];
  for (int r = 0; r < t.n_w; ++r) {
    const uint8_t* w = t.w + size_t(r) * t.w_stride;
    for (int k = 0; k < t.n_act; k += 2) {
      const uint8_t* a = t.act + size_t(k) * t.act_stride;
      const int na = t.n_act - k >= 2 ? 2 : 1;
      if (na == 2) Kernel::template run<2>(w, a, t.act_stride, t.n, out);
      else Kernel::template run<1>(w, a, t.act_stride, t.n, out);
      for (int j = 0; j < na; ++j) t.out[size_t(k + j) * t.out_stride + size_t(r)] = out[j];
    }
  }
}

}  // namespace

namespace tome {
namespace kernels {

void dot_f32_avx2(const DotTile& t) {
  if (f32_dot_lanes() == 16) dot_tile<F32Dot<16>>(t);
  else dot_tile<F32Dot<8>>(t);
}
void dot_f16_avx2(const DotTile& t) { dot_tile<FloatDot<LoadF16>>(t); }
void dot_bf16_avx2(const DotTile& t) { dot_tile<FloatDot<LoadBF16>>(t); }

}  // namespace kernels
}  // namespace tome
#endif
