#include "cuda/cuda_check.h"
#include "cuda/device_common.cuh"
#include "cuda/swiglu.h"

namespace tome::cuda {

namespace {

__global__ void swiglu_kernel(float* gate, const float* __restrict__ up, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float g = gate[i];
    gate[i] = g / (1.0f + expf(-g)) * up[i];
  }
}

}  // namespace

void swiglu(float* gate, const float* up, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  constexpr int kThreads = 256;
  const unsigned blocks = unsigned(ceil_div(n, kThreads) < 65536 ? ceil_div(n, kThreads) : 65536);
  swiglu_kernel<<<blocks, kThreads, 0, stream>>>(gate, up, n);
  CUDA_CHECK_LAUNCH("swiglu_kernel");
}

}  // namespace tome::cuda
