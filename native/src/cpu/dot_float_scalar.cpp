// Scalar dot products of the float formats (F32 x F32, F16 x F16, BF16 x BF16),
// in the canonical order of kernels.h: F16 and BF16 32 fma accumulators, fixed fold,
// tail; F32 ggml_vec_dot_f32's (dot_f32_ggml).
#include "common/fp16.h"
#include "cpu/canonical.h"
#include "cpu/dot_scalar.h"
#include "cpu/kernels.h"

namespace tome {
namespace kernels {

namespace {

struct LoadF16 { static float at(const void* p, int64_t i) { return fp16_to_fp32(static_cast<const uint16_t*>(p)[i]); } };
struct LoadBF16 { static float at(const void* p, int64_t i) { return bf16_to_fp32(static_cast<const uint16_t*>(p)[i]); } };

template <class Load>
float dot_one(const void* x, const void* y, int64_t n) {
  float acc[32] = {};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int j = 0; j < 32; ++j) acc[j] = fmaf_exact(Load::at(x, i + j), Load::at(y, i + j), acc[j]);
  // accumulator k (of 4) lane l is acc[8k + l]; fold k as (0+2)+(1+3), then hsum8
  float v[8];
  for (int l = 0; l < 8; ++l) v[l] = (acc[l] + acc[16 + l]) + (acc[8 + l] + acc[24 + l]);
  float sum = hsum8(v);
  for (; i < n; ++i) sum = fmaf_exact(Load::at(x, i), Load::at(y, i), sum);
  return sum;
}

// F32 x F32 in ggml_vec_dot_f32's order for the build llama.cpp loads here (f32_dot_lanes():
// 16 on AVX-512, else 8): 4 accumulators of L lanes, element i of each step of 4L feeding
// accumulator (i / L) % 4, lane i % L; folded (a0+a2)+(a1+a3); the L lanes summed as the
// build reduces them (L 8, hadd twice: t_l = v_l + v_l+4, (t0+t1)+(t2+t3); L 16,
// _mm512_reduce_add_ps: u_l = v_l+8 + v_l, w_l = u_l+4 + u_l, (w0+w2)+(w1+w3)); then the
// n % 4L tail in order as f32_tail_unfused() says (this file is built without FMA, so the
// product and the add stay two roundings).
float dot_f32_ggml(const float* x, const float* y, int64_t n, int L) {
  float acc[4][16] = {};
  int64_t i = 0;
  for (; i + 4 * L <= n; i += 4 * L)
    for (int j = 0; j < 4; ++j)
      for (int l = 0; l < L; ++l) acc[j][l] = fmaf_exact(x[i + j * L + l], y[i + j * L + l], acc[j][l]);
  float v[16];
  for (int l = 0; l < L; ++l) v[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  float sum;
  if (L == 8) {
    float t[4];
    for (int l = 0; l < 4; ++l) t[l] = v[l] + v[l + 4];
    sum = (t[0] + t[1]) + (t[2] + t[3]);
  } else {
    float u[8], w[4];
    for (int l = 0; l < 8; ++l) u[l] = v[l + 8] + v[l];
    for (int l = 0; l < 4; ++l) w[l] = u[l + 4] + u[l];
    sum = (w[0] + w[2]) + (w[1] + w[3]);
  }
  for (const int64_t end = i + f32_tail_unfused(n - i, L); i < end; ++i) sum = sum + x[i] * y[i];
  for (; i < n; ++i) sum = fmaf_exact(x[i], y[i], sum);
  return sum;
}

// Dot(w_row, act_row, n) over every (weight row, activation row) of the tile.
template <class Dot>
void dot_tile(const DotTile& t, Dot dot) {
  for (int k = 0; k < t.n_act; ++k)
    for (int r = 0; r < t.n_w; ++r)
      t.out[size_t(k) * t.out_stride + size_t(r)] = dot(t.w + size_t(r) * t.w_stride, t.act + size_t(k) * t.act_stride, t.n);
}

}  // namespace

void dot_f32_scalar(const DotTile& t) {
  const int lanes = f32_dot_lanes();
  dot_tile(t, [lanes](const uint8_t* w, const uint8_t* a, int64_t n) {
    return dot_f32_ggml(reinterpret_cast<const float*>(w), reinterpret_cast<const float*>(a), n, lanes);
  });
}
void dot_f16_scalar(const DotTile& t) { dot_tile(t, dot_one<LoadF16>); }
void dot_bf16_scalar(const DotTile& t) { dot_tile(t, dot_one<LoadBF16>); }

}  // namespace kernels
}  // namespace tome
