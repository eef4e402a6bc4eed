// Mat-vec: one warp per row, lanes stride over the row's "units" (a fixed run of
// blocks), so a warp's loads cover a contiguous stretch of the row.
//   unit      F16/BF16: 8 weights (16 B)   Q8_0: one block (32)
//             Q4_K: a 64-weight chunk (32 B of nibbles + scales)   Q6_K: a 128-weight half
// Integer formats use int8 activations: xq (cols) and per block of 32 xds = (d, d*sum(q)).
#include <string>

#include "common/error.h"
#include "cuda/cuda_check.h"
#include "cuda/matvec.h"
#include "cuda/quant_device.cuh"

namespace tome::cuda {

namespace {

constexpr int kRowsPerBlock = 4;  // warps per block, one row each

// x (n_blocks * 32) -> xq int8, xds (d, d * sum q): one warp per block of 32.
__global__ void quantize_x_kernel(const float* __restrict__ x, int n_blocks, int8_t* __restrict__ xq,
                                  float2* __restrict__ xds) {
  const int b = blockIdx.x * (blockDim.x / kWarp) + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (b >= n_blocks) return;
  const float v = x[int64_t(b) * 32 + lane];
  const float amax = warp_max(fabsf(v));
  const float d = amax / 127.0f;
  const int q = amax == 0.0f ? 0 : __float2int_rn(v / d);
  xq[int64_t(b) * 32 + lane] = int8_t(q);
  const float sum = warp_sum(float(q));  // exact: |sum| <= 32 * 127
  if (lane == 0) xds[b] = make_float2(d, d * sum);
}

// Activations as seen by a unit.
struct Act {
  const int8_t* xq;
  const float2* xds;
  const float* x;
};

__device__ __forceinline__ void load_x8(const int8_t* xq, int block, int out[8]) {
  const int4* p = reinterpret_cast<const int4*>(xq + int64_t(block) * 32);
  const int4 a = p[0], b = p[1];
  out[0] = a.x; out[1] = a.y; out[2] = a.z; out[3] = a.w;
  out[4] = b.x; out[5] = b.y; out[6] = b.z; out[7] = b.w;
}

template <class E>
struct UnitFloat {  // F16 / BF16: 8 weights
  static constexpr int kElems = 8;
  __device__ static float dot(const uint8_t* row, int u, const Act& a) {
    float w[8];
    load8_to_float<E>(reinterpret_cast<const uint16_t*>(row) + 8 * u, w);
    const float4 x0 = reinterpret_cast<const float4*>(a.x)[2 * u];
    const float4 x1 = reinterpret_cast<const float4*>(a.x)[2 * u + 1];
    return w[0] * x0.x + w[1] * x0.y + w[2] * x0.z + w[3] * x0.w + w[4] * x1.x + w[5] * x1.y + w[6] * x1.z +
           w[7] * x1.w;
  }
};

struct UnitQ8_0 {  // one 34-byte block
  static constexpr int kElems = 32;
  __device__ static float dot(const uint8_t* row, int u, const Act& a) {
    const uint8_t* b = row + u * FmtQ8_0::kBytes;
    const float d = half_bits_to_float(*reinterpret_cast<const uint16_t*>(b));
    int x[8];
    load_x8(a.xq, u, x);
    int sum = 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) sum = __dp4a(load_i32_a2(b + 2 + 4 * i), x[i], sum);
    return d * a.xds[u].x * float(sum);
  }
};

struct UnitQ4_K {  // chunk c of super-block sb: sub-blocks 2c (low nibbles) and 2c+1 (high)
  static constexpr int kElems = 64;
  __device__ static float dot(const uint8_t* row, int u, const Act& a) {
    const int sb = u / 4, c = u % 4;
    const uint8_t* b = row + sb * FmtQ4_K::kBytes;
    const uint32_t dd = *reinterpret_cast<const uint32_t*>(b);
    const float d = half_bits_to_float(uint16_t(dd)), dmin = half_bits_to_float(uint16_t(dd >> 16));
    int sc0, m0, sc1, m1;
    q4k_scale_min(2 * c, b + 4, sc0, m0);
    q4k_scale_min(2 * c + 1, b + 4, sc1, m1);
    const int4* qp = reinterpret_cast<const int4*>(b + 16 + 32 * c);
    const int4 qa = qp[0], qb = qp[1];
    const int q[8] = {qa.x, qa.y, qa.z, qa.w, qb.x, qb.y, qb.z, qb.w};
    const int xb = sb * 8 + 2 * c;
    int x0[8], x1[8];
    load_x8(a.xq, xb, x0);
    load_x8(a.xq, xb + 1, x1);
    int dot0 = 0, dot1 = 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      dot0 = __dp4a(q[i] & 0x0F0F0F0F, x0[i], dot0);
      dot1 = __dp4a((q[i] >> 4) & 0x0F0F0F0F, x1[i], dot1);
    }
    const float2 s0 = a.xds[xb], s1 = a.xds[xb + 1];
    // sum w x = sum (d sc q - dmin m) dx qx = d sc dx dot - dmin m (dx sum qx)
    return d * (float(sc0) * s0.x * float(dot0) + float(sc1) * s1.x * float(dot1)) -
           dmin * (float(m0) * s0.y + float(m1) * s1.y);
  }
};

struct UnitQ6_K {  // half h of super-block sb: 128 weights = 4 activation blocks
  static constexpr int kElems = 128;
  __device__ static float dot(const uint8_t* row, int u, const Act& a) {
    const int sb = u / 2, h = u % 2;
    const uint8_t* b = row + sb * FmtQ6_K::kBytes;
    const uint8_t* ql = b + 64 * h;
    const uint8_t* qh = b + 128 + 32 * h;
    const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192 + 8 * h);
    const float d = half_bits_to_float(*reinterpret_cast<const uint16_t*>(b + 208));
    int L[2][8], H[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      L[0][i] = load_i32_a2(ql + 4 * i);
      L[1][i] = load_i32_a2(ql + 32 + 4 * i);
      H[i] = load_i32_a2(qh + 4 * i);
    }
    float acc = 0.0f;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int xb = sb * 8 + 4 * h + k;
      int x[8];
      load_x8(a.xq, xb, x);
      int lo_sum = 0, hi_sum = 0;  // weights l < 16 and l >= 16 (two scales)
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const int low4 = k < 2 ? (L[k & 1][i] & 0x0F0F0F0F) : ((L[k & 1][i] >> 4) & 0x0F0F0F0F);
        const int high2 = ((H[i] >> (2 * k)) & 0x03030303) << 4;
        const int q = int(__vsub4(uint32_t(low4 | high2), 0x20202020u));  // bytewise q - 32, in [-32, 31]
        if (i < 4) lo_sum = __dp4a(q, x[i], lo_sum);
        else hi_sum = __dp4a(q, x[i], hi_sum);
      }
      acc += a.xds[xb].x * (float(sc[2 * k]) * float(lo_sum) + float(sc[2 * k + 1]) * float(hi_sum));
    }
    return d * acc;
  }
};

// grid (ceil(rows / kRowsPerBlock)), block (32, kRowsPerBlock)
template <class U>
__global__ void __launch_bounds__(kWarp* kRowsPerBlock)
    matvec_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int units, Act a,
                  float* __restrict__ y) {
  const int64_t row = int64_t(blockIdx.x) * kRowsPerBlock + threadIdx.y;
  if (row >= rows) return;
  const uint8_t* r = w + row * row_bytes;
  float acc = 0.0f;
  for (int u = threadIdx.x; u < units; u += kWarp) acc += U::dot(r, u, a);
  acc = warp_sum(acc);
  if (threadIdx.x == 0) y[row] = acc;
}

template <class U>
void launch(const void* w, size_t row_bytes, int64_t rows, int64_t cols, const Act& a, float* y, cudaStream_t s) {
  const dim3 block(kWarp, kRowsPerBlock);
  const dim3 grid(unsigned(ceil_div(rows, kRowsPerBlock)));
  matvec_kernel<U><<<grid, block, 0, s>>>(static_cast<const uint8_t*>(w), row_bytes, rows, int(cols / U::kElems), a, y);
  CUDA_CHECK_LAUNCH("matvec_kernel");
}

size_t align16(size_t n) { return (n + 15) & ~size_t(15); }

}  // namespace

bool matvec_supports(GgmlType t) {
  return t == GgmlType::F16 || t == GgmlType::BF16 || t == GgmlType::Q8_0 || t == GgmlType::Q4_K ||
         t == GgmlType::Q6_K;
}

size_t weight_row_bytes(GgmlType type, int64_t cols) {
  switch (type) {
    case GgmlType::F16:
    case GgmlType::BF16: return size_t(cols) * 2;
    case GgmlType::Q8_0: return size_t(cols / 32) * FmtQ8_0::kBytes;
    case GgmlType::Q4_K: return size_t(cols / 256) * FmtQ4_K::kBytes;
    case GgmlType::Q6_K: return size_t(cols / 256) * FmtQ6_K::kBytes;
    default: return 0;
  }
}

size_t matvec_scratch_bytes(GgmlType type, int64_t cols) {
  if (type == GgmlType::F16 || type == GgmlType::BF16) return 0;
  return align16(size_t(cols / 32) * sizeof(float2)) + align16(size_t(cols));
}

void matvec(GgmlType type, const void* w, int64_t rows, int64_t cols, const float* x, float* y, void* scratch,
            cudaStream_t stream) {
  if (!matvec_supports(type))
    throw Error("UNSUPPORTED_TYPE", std::string("CUDA matvec: no kernel for ") + ggml_type_name(uint32_t(type)));
  const int64_t block = type == GgmlType::Q4_K || type == GgmlType::Q6_K ? 256 : type == GgmlType::Q8_0 ? 32 : 8;
  if (cols <= 0 || cols % block != 0)
    throw Error("BAD_ARGUMENT", "CUDA matvec: cols " + std::to_string(cols) + " is not a multiple of " +
                                    std::to_string(block) + " for " + ggml_type_name(uint32_t(type)));
  if (reinterpret_cast<uintptr_t>(w) % 16 != 0 || reinterpret_cast<uintptr_t>(x) % 16 != 0)
    throw Error("BAD_ARGUMENT", "CUDA matvec: W and x must be 16-byte aligned");
  if (rows <= 0) return;
  const size_t row_bytes = weight_row_bytes(type, cols);
  Act a{nullptr, nullptr, x};
  if (type != GgmlType::F16 && type != GgmlType::BF16) {
    if (!scratch || reinterpret_cast<uintptr_t>(scratch) % 16 != 0)
      throw Error("BAD_ARGUMENT", "CUDA matvec: a 16-byte aligned scratch of matvec_scratch_bytes() is needed");
    const int n_blocks = int(cols / 32);
    float2* xds = static_cast<float2*>(scratch);
    int8_t* xq = static_cast<int8_t*>(scratch) + align16(size_t(n_blocks) * sizeof(float2));
    constexpr int kWarpsPerBlock = 8;
    quantize_x_kernel<<<unsigned(ceil_div(n_blocks, kWarpsPerBlock)), kWarpsPerBlock * kWarp, 0, stream>>>(x, n_blocks,
                                                                                                      xq, xds);
    CUDA_CHECK_LAUNCH("quantize_x_kernel");
    a.xq = xq;
    a.xds = xds;
  }
  switch (type) {
    case GgmlType::F16: return launch<UnitFloat<F16>>(w, row_bytes, rows, cols, a, y, stream);
    case GgmlType::BF16: return launch<UnitFloat<BF16>>(w, row_bytes, rows, cols, a, y, stream);
    case GgmlType::Q8_0: return launch<UnitQ8_0>(w, row_bytes, rows, cols, a, y, stream);
    case GgmlType::Q4_K: return launch<UnitQ4_K>(w, row_bytes, rows, cols, a, y, stream);
    case GgmlType::Q6_K: return launch<UnitQ6_K>(w, row_bytes, rows, cols, a, y, stream);
    default: return;
  }
}

}  // namespace tome::cuda
