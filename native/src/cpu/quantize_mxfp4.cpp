// Reference quantizer of MXFP4 (OCP microscaling FP4: 32 E2M1 values sharing one
// E8M0 exponent), the math of ggml's quantize_row_mxfp4_ref: the block's exponent
// puts its largest magnitude in the top binade of the doubled levels (e = floor(log2
// amax) - 2 + 127), then each element takes the level nearest to x / scale (the
// first such level on a tie, which sends 0 to +0).
#include <cmath>

#include "cpu/quant_blocks.h"
#include "cpu/quantize_impl.h"

namespace tome {
namespace quantizers {

namespace {

// ggml's best_index_mxfp4: the first index whose level * d is nearest to x.
// level * d is exact (a small integer times a power of two), so no rounding order
// can differ.
int nearest_level(float x, float d) {
  int best = 0;
  float best_err = std::fabs(float(kMxfp4Values[0]) * d - x);
  for (int i = 1; i < 16; ++i) {
    const float err = std::fabs(float(kMxfp4Values[i]) * d - x);
    if (err < best_err) {
      best = i;
      best_err = err;
    }
  }
  return best;
}

// ggml casts the float exponent straight to uint8_t; an amax below 2^-125 gives a
// negative value there, which x86 truncates through int32. int(f) then the low
// byte is that, without the undefined float -> uint8 conversion.
uint8_t block_exponent(const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < kQK32; ++j)
    if (amax < std::fabs(x[j])) amax = std::fabs(x[j]);
  if (!(amax > 0.0f)) return 0;
  const float e = std::floor(std::log2(amax)) - 2 + 127;
  return uint8_t(int(e) & 0xFF);
}

}  // namespace

void mxfp4_ref(const float* x, void* dst, int64_t n) {
  BlockMXFP4* y = static_cast<BlockMXFP4*>(dst);
  for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
    y[i].e = block_exponent(x);
    const float d = e8m0_half(y[i].e);
    for (int j = 0; j < kQK32 / 2; ++j)
      y[i].qs[j] = uint8_t(nearest_level(x[j], d) | (nearest_level(x[j + 16], d) << 4));
  }
}

}  // namespace quantizers
}  // namespace tome
