#include "cuda/cuda_check.h"
#include "cuda/device_common.cuh"
#include "cuda/rms_norm.h"

namespace tome::cuda {

namespace {

constexpr int kThreads = 256;

// grid (n_rows), block (kThreads): threads stride over the row (coalesced).
__global__ void rms_norm_kernel(const float* __restrict__ x, const float* __restrict__ w, float* out, int n, float eps) {
  const float* xr = x + int64_t(blockIdx.x) * n;
  float* o = out + int64_t(blockIdx.x) * n;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < n; i += kThreads) ss += xr[i] * xr[i];
  __shared__ float partial[kThreads / kWarp];
  ss = warp_sum(ss);
  if (threadIdx.x % kWarp == 0) partial[threadIdx.x / kWarp] = ss;
  __syncthreads();
  float total = 0.0f;
#pragma unroll
  for (int i = 0; i < kThreads / kWarp; ++i) total += partial[i];
  const float scale = 1.0f / sqrtf(total / float(n) + eps);
  for (int i = threadIdx.x; i < n; i += kThreads) o[i] = (xr[i] * scale) * w[i];
}

}  // namespace

void rms_norm(const float* x, const float* w, float* out, int64_t n_rows, int n, float eps, cudaStream_t stream) {
  if (n_rows <= 0 || n <= 0) return;
  rms_norm_kernel<<<unsigned(n_rows), kThreads, 0, stream>>>(x, w, out, n, eps);
  CUDA_CHECK_LAUNCH("rms_norm_kernel");
}

}  // namespace tome::cuda
