// Small device helpers shared by the kernels: warp reductions, half / bfloat16
// loads, launch arithmetic. Device code only (include from .cu files).
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace tome::cuda {

constexpr int kWarp = 32;

__host__ __device__ inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Sum / max over the 32 lanes of a warp; every lane gets the result.
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
// Sum over groups of `width` consecutive lanes (a power of two <= 32).
template <int width>
__device__ __forceinline__ float group_sum(float v) {
#pragma unroll
  for (int o = width / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Element types of K/V rows and activations, by their storage (16-bit words).
// round(x): x rounded to the type (queries are, before the dot products with
// keys of that type, as ggml converts q to the K cache's type).
struct F16 {
  using T = __half;
  __device__ static float round(float x) { return __half2float(__float2half_rn(x)); }
  __device__ static float to_float(uint16_t b) { return __half2float(__ushort_as_half(b)); }
  __device__ static float2 to_float2(uint32_t w) { return __half22float2(*reinterpret_cast<const __half2*>(&w)); }
};
struct BF16 {
  using T = __nv_bfloat16;
  __device__ static float round(float x) { return __bfloat162float(__float2bfloat16_rn(x)); }
  __device__ static float to_float(uint16_t b) { return __uint_as_float(uint32_t(b) << 16); }
  __device__ static float2 to_float2(uint32_t w) { return make_float2(__uint_as_float(w << 16), __uint_as_float(w & 0xffff0000u)); }
};

// 8 consecutive 16-bit values (one 16-byte load) to floats.
template <class E>
__device__ __forceinline__ void load8_to_float(const uint16_t* p, float out[8]) {
  const uint4 u = *reinterpret_cast<const uint4*>(p);
  const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = E::to_float2(w[i]);
    out[2 * i] = f.x;
    out[2 * i + 1] = f.y;
  }
}

// A 32-bit word from a 2-byte aligned address (blocks of Q8_0 and Q6_K are 34
// and 210 bytes long, so their fields are only half-word aligned).
__device__ __forceinline__ int load_i32_a2(const uint8_t* p) {
  const uint16_t* h = reinterpret_cast<const uint16_t*>(p);
  return int(uint32_t(h[0]) | (uint32_t(h[1]) << 16));
}
__device__ __forceinline__ int load_i32_a4(const uint8_t* p) { return *reinterpret_cast<const int*>(p); }

__device__ __forceinline__ float half_bits_to_float(uint16_t h) { return __half2float(__ushort_as_half(h)); }

}  // namespace tome::cuda
