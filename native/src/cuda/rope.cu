#include <cmath>
#include <string>

#include "common/error.h"
#include "cuda/cuda_check.h"
#include "cuda/device_common.cuh"
#include "cuda/rope.h"

namespace tome::cuda {

namespace {

// One thread per rotated pair: grid (ceil(n_heads * half / 128), n_tokens).
__global__ void rope_kernel(float* x, int n_heads, int head_dim, int64_t token_stride, int64_t pos0, int half,
                            bool neox, float theta_scale, float freq_scale, const float* __restrict__ factors) {
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= n_heads * half) return;
  const int head = idx / half, i = idx % half;
  const int64_t tok = blockIdx.y;
  float theta = float(pos0 + tok);
  for (int k = 0; k < i; ++k) theta *= theta_scale;  // as the CPU: theta_scale^i by repeated products
  const float factor = factors ? factors[i] : 1.0f;
  const float th = freq_scale * (theta / factor);
  float s, c;
  sincosf(th, &s, &c);
  float* v = x + tok * token_stride + int64_t(head) * head_dim;
  const int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
  const float x0 = v[a], x1 = v[b];
  v[a] = x0 * c - x1 * s;
  v[b] = x0 * s + x1 * c;
}

}  // namespace

void rope(float* x, int64_t n_tokens, int n_heads, int head_dim, int64_t token_stride, int64_t pos0,
          const RopeParams& p, cudaStream_t stream) {
  if (p.n_rot <= 0 || p.n_rot % 2 != 0 || p.n_rot > head_dim)
    throw Error("BAD_ARGUMENT", "CUDA rope: n_rot " + std::to_string(p.n_rot) + " for head_dim " + std::to_string(head_dim));
  if (n_tokens <= 0 || n_heads <= 0) return;
  if (n_tokens > 65535) throw Error("BAD_ARGUMENT", "CUDA rope: more than 65535 tokens in one call");
  const int half = p.n_rot / 2;
  const float theta_scale = std::pow(p.freq_base, -2.0f / float(p.n_rot));  // the CPU's expression
  constexpr int kThreads = 128;
  const dim3 grid(unsigned(ceil_div(int64_t(n_heads) * half, kThreads)), unsigned(n_tokens));
  rope_kernel<<<grid, kThreads, 0, stream>>>(x, n_heads, head_dim, token_stride, pos0, half,
                                             p.style == RopeStyle::NEOX, theta_scale, p.freq_scale, p.freq_factors);
  CUDA_CHECK_LAUNCH("rope_kernel");
}

}  // namespace tome::cuda
