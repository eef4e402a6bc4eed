#include "cuda/cuda_check.h"
#include "cuda/device_common.cuh"
#include "cuda/merge_attention.h"

namespace tome::cuda {

namespace {

// grid (n_q), block (128): one row per block, so lse_a[h] is read by all threads
// before thread 0 overwrites it.
__global__ void merge_kernel(float* out_a, float* lse_a, const float* __restrict__ out_b,
                             const float* __restrict__ lse_b, int hd) {
  const int h = blockIdx.x;
  const float la = lse_a[h], lb = lse_b[h];
  if (lb == -INFINITY) return;
  float* oa = out_a + int64_t(h) * hd;
  const float* ob = out_b + int64_t(h) * hd;
  if (la == -INFINITY) {
    for (int d = threadIdx.x; d < hd; d += blockDim.x) oa[d] = ob[d];
    __syncthreads();
    if (threadIdx.x == 0) lse_a[h] = lb;
    return;
  }
  const float m = fmaxf(la, lb);
  const float ea = expf(la - m), eb = expf(lb - m);
  const float total = ea + eb;
  const float wa = ea / total, wb = eb / total;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) oa[d] = wa * oa[d] + wb * ob[d];
  __syncthreads();
  if (threadIdx.x == 0) lse_a[h] = m + logf(total);
}

}  // namespace

void merge_attention(float* out_a, float* lse_a, const float* out_b, const float* lse_b, int n_q, int hd,
                     cudaStream_t stream) {
  if (n_q <= 0 || hd <= 0) return;
  merge_kernel<<<unsigned(n_q), 128, 0, stream>>>(out_a, lse_a, out_b, lse_b, hd);
  CUDA_CHECK_LAUNCH("merge_kernel");
}

}  // namespace tome::cuda
