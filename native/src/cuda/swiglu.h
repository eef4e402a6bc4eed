// SwiGLU on the device, as model/layer_ops.h swiglu: gate[i] = silu(gate[i]) * up[i],
// silu(g) = g / (1 + exp(-g)) with full-precision expf (tests: 1e-6 relative).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tome::cuda {

void swiglu(float* gate, const float* up, int64_t n, cudaStream_t stream);

}  // namespace tome::cuda
