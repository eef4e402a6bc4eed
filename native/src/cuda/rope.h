// Rotary position embedding on the device, as model/layer_ops.h RopeTable::fill +
// apply_rope: token i has position pos0 + i; pair i of each head is rotated by
//   theta_i = freq_scale * (pos * theta_scale^i / factor_i),  theta_scale = base^(-2/n_rot)
// with pos * theta_scale^i formed by the same repeated f32 multiplication as the
// CPU, so both see the same angles; cos/sin are CUDA's full-precision sincosf.
// NORM rotates (x[2i], x[2i+1]); NEOX rotates (x[i], x[i + n_rot/2]).
// Difference to the CPU: a few ulp (tests allow 1e-5 relative to max |x|).
// Not here yet: YaRN's angle ramp and magnitude (HParams::yarn_ext_factor,
// rope_mscale), which the CPU's table applies; no model path runs this kernel
// (the device holds the static set's attention), so a device layer must add them.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "model/hparams.h"

namespace tome::cuda {

struct RopeParams {
  int n_rot = 0;
  RopeStyle style = RopeStyle::NORM;
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;
  const float* freq_factors = nullptr;  // device (n_rot / 2), or nullptr
};

// x: (n_tokens, n_heads, head_dim) f32 in place; token i at x + i * token_stride.
void rope(float* x, int64_t n_tokens, int n_heads, int head_dim, int64_t token_stride, int64_t pos0,
          const RopeParams& p, cudaStream_t stream);

}  // namespace tome::cuda
