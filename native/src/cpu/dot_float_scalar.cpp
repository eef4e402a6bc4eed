// Scalar dot products of the float formats (F32 x F32, F16 x F16, BF16 x BF16),
// in the canonical order of kernels.h: 32 fma accumulators, fixed fold, tail.
#include "common/fp16.h"
#include "cpu/canonical.h"
#include "cpu/dot_scalar.h"

namespace tome {
namespace kernels {

namespace {

struct LoadF32 { static float at(const void* p, int64_t i) { return static_cast<const float*>(p)[i]; } };
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

template <class Load>
void dot_tile(const DotTile& t) {
  for (int k = 0; k < t.n_act; ++k)
    for (int r = 0; r < t.n_w; ++r)
      t.out[size_t(k) * t.out_stride + size_t(r)] =
          dot_one<Load>(t.w + size_t(r) * t.w_stride, t.act + size_t(k) * t.act_stride, t.n);
}

}  // namespace

void dot_f32_scalar(const DotTile& t) { dot_tile<LoadF32>(t); }
void dot_f16_scalar(const DotTile& t) { dot_tile<LoadF16>(t); }
void dot_bf16_scalar(const DotTile& t) { dot_tile<LoadBF16>(t); }

}  // namespace kernels
}  // namespace tome
