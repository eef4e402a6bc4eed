// Top-k keys. A block owns BQ queries (16 or 32) and streams all keys in tiles of
// 64 through shared memory:
//   scores: 256 threads as 16 (query rows) x 16 (key columns); a thread computes
//           QPT x 4 scores (queries tq*QPT.., keys tk + 16c), f32.
//   select: warp w takes queries w, w+8, ...; a ballot finds the scores above the
//           query's current k-th best, and each is inserted into the query's
//           sorted list in shared memory (position by a warp count, then shift).
// After the first tiles the threshold is high and few scores pass, so selection
// costs little next to the products.
#include <string>

#include "common/error.h"
#include "cuda/cuda_check.h"
#include "cuda/device_common.cuh"
#include "cuda/topk_keys.h"

namespace tome::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kBK = 64;
constexpr int kMaxK = 256;

struct Layout {  // dynamic shared memory, in bytes from the start
  int bq, hd, k;
  int key_pitch;  // halves per key row: hd + 2 (odd word count: rows hit distinct banks)
  __host__ __device__ size_t q_off() const { return 0; }
  __host__ __device__ size_t key_off() const { return q_off() + size_t(bq) * hd * 4; }
  __host__ __device__ size_t sc_off() const { return key_off() + ((size_t(kBK) * key_pitch * 2 + 15) & ~size_t(15)); }
  __host__ __device__ size_t ls_off() const { return sc_off() + size_t(bq) * kBK * 4; }
  __host__ __device__ size_t li_off() const { return ls_off() + size_t(bq) * k * 4; }
  __host__ __device__ size_t bytes() const { return li_off() + size_t(bq) * k * 4; }
};

__device__ void insert(float* ls, int* li, int k, float s, int j, int lane) {
  int cnt = 0;  // entries >= s stay ahead of it
  for (int i = lane; i < k; i += kWarp) cnt += ls[i] >= s;
  const int pos = __reduce_add_sync(0xffffffffu, cnt);
  float vs[kMaxK / kWarp];
  int vi[kMaxK / kWarp];
#pragma unroll
  for (int m = 0; m < kMaxK / kWarp; ++m) {
    const int i = lane + kWarp * m;
    if (i >= pos && i < k - 1) {
      vs[m] = ls[i];
      vi[m] = li[i];
    }
  }
  __syncwarp();
#pragma unroll
  for (int m = 0; m < kMaxK / kWarp; ++m) {
    const int i = lane + kWarp * m;
    if (i >= pos && i < k - 1) {
      ls[i + 1] = vs[m];
      li[i + 1] = vi[m];
    }
  }
  __syncwarp();
  if (lane == 0) {
    ls[pos] = s;
    li[pos] = j;
  }
  __syncwarp();
}

template <int QPT>
__global__ void __launch_bounds__(kThreads) topk_kernel(TopkKeysArgs a, Layout lay) {
  constexpr int BQ = 16 * QPT;
  extern __shared__ __align__(16) uint8_t smem[];
  float* qs = reinterpret_cast<float*>(smem + lay.q_off());         // (BQ, hd)
  uint16_t* ks = reinterpret_cast<uint16_t*>(smem + lay.key_off());  // (kBK, key_pitch)
  float* sc = reinterpret_cast<float*>(smem + lay.sc_off());        // (BQ, kBK)
  float* ls = reinterpret_cast<float*>(smem + lay.ls_off());        // (BQ, k) best scores
  int* li = reinterpret_cast<int*>(smem + lay.li_off());            // (BQ, k) their keys
  const int tid = threadIdx.x, lane = tid % kWarp, warp = tid / kWarp;
  const int hd = a.hd, k = a.k, pitch = lay.key_pitch;
  const int64_t q0 = int64_t(blockIdx.x) * BQ;

  for (int i = tid; i < BQ * hd; i += kThreads) {
    const int64_t row = q0 + i / hd;
    qs[i] = row < a.n_q ? a.q[row * a.q_stride + i % hd] : 0.0f;
  }
  for (int i = tid; i < BQ * k; i += kThreads) {
    ls[i] = -INFINITY;
    li[i] = -1;
  }
  const int tq = tid / 16, tk = tid % 16;
  for (int64_t kb = 0; kb < a.n_keys; kb += kBK) {
    __syncthreads();  // previous tile's selection done with sc; ks free
    for (int i = tid; i < kBK * (hd / 2); i += kThreads) {
      const int r = i / (hd / 2), c = 2 * (i % (hd / 2));
      const int64_t j = kb + r;
      const uint32_t v = j < a.n_keys ? *reinterpret_cast<const uint32_t*>(a.keys + j * a.key_stride + c) : 0u;
      *reinterpret_cast<uint32_t*>(ks + r * pitch + c) = v;
    }
    __syncthreads();
    float acc[QPT][4];
#pragma unroll
    for (int qq = 0; qq < QPT; ++qq)
#pragma unroll
      for (int c = 0; c < 4; ++c) acc[qq][c] = 0.0f;
    for (int d = 0; d < hd; d += 2) {
      float2 kf[4];
#pragma unroll
      for (int c = 0; c < 4; ++c) kf[c] = F16::to_float2(*reinterpret_cast<const uint32_t*>(ks + (tk + 16 * c) * pitch + d));
#pragma unroll
      for (int qq = 0; qq < QPT; ++qq) {
        const float2 qv = *reinterpret_cast<const float2*>(qs + (tq * QPT + qq) * hd + d);
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[qq][c] = fmaf(qv.y, kf[c].y, fmaf(qv.x, kf[c].x, acc[qq][c]));
      }
    }
#pragma unroll
    for (int qq = 0; qq < QPT; ++qq)
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        const int col = tk + 16 * c;
        sc[(tq * QPT + qq) * kBK + col] = kb + col < a.n_keys ? acc[qq][c] : -INFINITY;
      }
    __syncthreads();
    for (int qi = warp; qi < BQ; qi += kThreads / kWarp) {
      float* qls = ls + qi * k;
      int* qli = li + qi * k;
#pragma unroll
      for (int r = 0; r < kBK / kWarp; ++r) {
        const float s = sc[qi * kBK + kWarp * r + lane];
        const int j = int(kb) + kWarp * r + lane;
        unsigned mask = __ballot_sync(0xffffffffu, s > qls[k - 1]);
        while (mask) {
          const int b = __ffs(mask) - 1;
          mask &= mask - 1;
          const float cs = __shfl_sync(0xffffffffu, s, b);
          const int cj = __shfl_sync(0xffffffffu, j, b);
          if (cs > qls[k - 1]) insert(qls, qli, k, cs, cj, lane);  // threshold may have risen
        }
      }
    }
  }
  __syncthreads();
  for (int i = tid; i < BQ * k; i += kThreads) {
    const int64_t row = q0 + i / k;
    if (row < a.n_q) {
      a.idx[row * k + i % k] = li[i];
      a.score[row * k + i % k] = ls[i];
    }
  }
}

}  // namespace

void topk_keys(const TopkKeysArgs& a, cudaStream_t stream) {
  if (a.k < 1 || a.k > kMaxK) throw Error("BAD_ARGUMENT", "CUDA topk_keys: k must be 1..256, not " + std::to_string(a.k));
  if (a.hd < 2 || a.hd % 2 != 0 || a.hd > 256)
    throw Error("BAD_ARGUMENT", "CUDA topk_keys: head_dim must be even and <= 256");
  if (a.key_stride % 2 != 0 || reinterpret_cast<uintptr_t>(a.keys) % 4 != 0 || a.q_stride % 2 != 0 ||
      reinterpret_cast<uintptr_t>(a.q) % 8 != 0)
    throw Error("BAD_ARGUMENT", "CUDA topk_keys: rows must start 4-byte (keys) / 8-byte (queries) aligned");
  if (a.n_keys >= (int64_t(1) << 31)) throw Error("BAD_ARGUMENT", "CUDA topk_keys: more than 2^31 keys");
  if (a.n_q <= 0) return;
  int dev = 0, optin = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  Layout lay{32, a.hd, a.k, a.hd + 2};
  if (lay.bytes() > size_t(optin)) lay.bq = 16;
  if (lay.bytes() > size_t(optin)) throw Error("BAD_ARGUMENT", "CUDA topk_keys: k and head_dim too large for shared memory");
  const size_t smem = lay.bytes();
  if (lay.bq == 32) {
    void (*kernel)(TopkKeysArgs, Layout) = topk_kernel<2>;
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
    kernel<<<unsigned(ceil_div(a.n_q, 32)), kThreads, smem, stream>>>(a, lay);
  } else {
    void (*kernel)(TopkKeysArgs, Layout) = topk_kernel<1>;
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
    kernel<<<unsigned(ceil_div(a.n_q, 16)), kThreads, smem, stream>>>(a, lay);
  }
  CUDA_CHECK_LAUNCH("topk_kernel");
}

}  // namespace tome::cuda
