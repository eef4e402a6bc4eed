// Mat-mat: block tile 128 weight rows x 64 tokens, k-steps of 32; 8 warps in a
// 4 (rows) x 2 (tokens) grid, each owning a 32x32 output tile = 2x4 mma tiles.
// Two shared-memory stages: while the warps multiply stage s, every thread
// already holds the next k-step's decoded weights and converted x in registers,
// and stores them into stage s^1 after the multiply (one barrier per k-step).
#include <string>

#include "common/error.h"
#include "cuda/cuda_check.h"
#include "cuda/matmul.h"
#include "cuda/matvec.h"
#include "cuda/mma.cuh"
#include "cuda/quant_device.cuh"

namespace tome::cuda {

namespace {

constexpr int kBM = 128, kBN = 64, kBK = 32;
constexpr int kLds = kBK + 8;  // row pitch in elements: 80 bytes, ldmatrix rows hit distinct banks
constexpr int kThreads = 256;

template <class Fmt, class T>
__global__ void __launch_bounds__(kThreads)
    matmul_kernel(const uint8_t* __restrict__ w, size_t row_bytes, int64_t rows, int cols,
                  const float* __restrict__ x, int64_t n_tokens, float* __restrict__ y) {
  __shared__ __align__(16) T As[2][kBM][kLds];  // weights (rows, k)
  __shared__ __align__(16) T Bs[2][kBN][kLds];  // x (tokens, k)
  const int tid = threadIdx.x, lane = tid % kWarp, warp = tid / kWarp;
  const int wm = warp % 4, wn = warp / 4;
  const int64_t m0 = int64_t(blockIdx.x) * kBM, n0 = int64_t(blockIdx.y) * kBN;

  // This thread's share of a k-step: 2 groups of 8 weights, 1 group of 8 x values.
  //   weight group gi = tid + 256 i: row gi / 4, k offset 8 (gi % 4)
  //   x group: token tid / 4, k offset 8 (tid % 4)
  float a_reg[2][8], b_reg[8];
  auto load = [&](int kt) {
    const int k0 = kt * kBK;
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int gi = tid + kThreads * i;
      const int64_t row = m0 + gi / 4;
      if (row < rows) {
        Fmt::dequant8(w + row * row_bytes, k0 + 8 * (gi % 4), a_reg[i]);
      } else {
#pragma unroll
        for (int e = 0; e < 8; ++e) a_reg[i][e] = 0.0f;
      }
    }
    const int64_t tok = n0 + tid / 4;
    if (tok < n_tokens) {
      const float4* p = reinterpret_cast<const float4*>(x + tok * cols + k0 + 8 * (tid % 4));
      const float4 u = p[0], v = p[1];
      b_reg[0] = u.x; b_reg[1] = u.y; b_reg[2] = u.z; b_reg[3] = u.w;
      b_reg[4] = v.x; b_reg[5] = v.y; b_reg[6] = v.z; b_reg[7] = v.w;
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) b_reg[e] = 0.0f;
    }
  };
  auto store = [&](int s) {
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int gi = tid + kThreads * i;
      const uint4 v = make_uint4(pack2<T>(a_reg[i][0], a_reg[i][1]), pack2<T>(a_reg[i][2], a_reg[i][3]),
                                 pack2<T>(a_reg[i][4], a_reg[i][5]), pack2<T>(a_reg[i][6], a_reg[i][7]));
      *reinterpret_cast<uint4*>(&As[s][gi / 4][8 * (gi % 4)]) = v;
    }
    const uint4 v = make_uint4(pack2<T>(b_reg[0], b_reg[1]), pack2<T>(b_reg[2], b_reg[3]),
                               pack2<T>(b_reg[4], b_reg[5]), pack2<T>(b_reg[6], b_reg[7]));
    *reinterpret_cast<uint4*>(&Bs[s][tid / 4][8 * (tid % 4)]) = v;
  };

  float acc[2][4][4];
#pragma unroll
  for (int mt = 0; mt < 2; ++mt)
#pragma unroll
    for (int nt = 0; nt < 4; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[mt][nt][e] = 0.0f;

  const int n_k = cols / kBK;
  load(0);
  store(0);
  __syncthreads();
  for (int kt = 0; kt < n_k; ++kt) {
    const int s = kt & 1;
    if (kt + 1 < n_k) load(kt + 1);  // global loads in flight during the multiply
#pragma unroll
    for (int ks = 0; ks < kBK / 16; ++ks) {
      uint32_t af[2][4], bf[4][2];
#pragma unroll
      for (int mt = 0; mt < 2; ++mt)  // rows 16 mt + lane%16, k 16 ks + 8 (lane/16)
        ldmatrix_x4(af[mt], &As[s][32 * wm + 16 * mt + lane % 16][16 * ks + 8 * (lane / 16)]);
#pragma unroll
      for (int np = 0; np < 2; ++np) {  // tokens of n-tiles 2np, 2np+1; matrices (n-tile, k half)
        uint32_t r[4];
        ldmatrix_x4(r, &Bs[s][32 * wn + 16 * np + lane % 8 + 8 * (lane / 16)][16 * ks + 8 * ((lane / 8) % 2)]);
        bf[2 * np][0] = r[0];
        bf[2 * np][1] = r[1];
        bf[2 * np + 1][0] = r[2];
        bf[2 * np + 1][1] = r[3];
      }
#pragma unroll
      for (int mt = 0; mt < 2; ++mt)
#pragma unroll
        for (int nt = 0; nt < 4; ++nt) mma_16816<T>(acc[mt][nt], af[mt], bf[nt]);
    }
    if (kt + 1 < n_k) store(s ^ 1);
    __syncthreads();
  }

  // C fragment: element e of tile (mt, nt) is row g + 8 (e / 2), token 2t + e % 2.
  const int g = lane / 4, t = lane % 4;
#pragma unroll
  for (int mt = 0; mt < 2; ++mt)
#pragma unroll
    for (int nt = 0; nt < 4; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int64_t m = m0 + 32 * wm + 16 * mt + g + 8 * (e / 2);
        const int64_t n = n0 + 32 * wn + 8 * nt + 2 * t + e % 2;
        if (m < rows && n < n_tokens) y[n * rows + m] = acc[mt][nt][e];
      }
}

template <class Fmt, class T>
void launch(const void* w, int64_t rows, int64_t cols, const float* x, int64_t n_tokens, float* y, size_t row_bytes,
            cudaStream_t s) {
  const dim3 grid(unsigned(ceil_div(rows, kBM)), unsigned(ceil_div(n_tokens, kBN)));
  matmul_kernel<Fmt, T><<<grid, kThreads, 0, s>>>(static_cast<const uint8_t*>(w), row_bytes, rows, int(cols), x,
                                                  n_tokens, y);
  CUDA_CHECK_LAUNCH("matmul_kernel");
}

}  // namespace

bool matmul_supports(GgmlType t) { return matvec_supports(t); }

void matmul(GgmlType type, const void* w, int64_t rows, int64_t cols, const float* x, int64_t n_tokens, float* y,
            cudaStream_t stream) {
  if (!matmul_supports(type))
    throw Error("UNSUPPORTED_TYPE", std::string("CUDA matmul: no kernel for ") + ggml_type_name(uint32_t(type)));
  const int64_t block = type == GgmlType::Q4_K || type == GgmlType::Q6_K ? 256 : 32;
  if (cols <= 0 || cols % block != 0 || cols > (int64_t(1) << 30))
    throw Error("BAD_ARGUMENT", "CUDA matmul: cols " + std::to_string(cols) + " is not a multiple of " +
                                    std::to_string(block) + " for " + ggml_type_name(uint32_t(type)));
  if (reinterpret_cast<uintptr_t>(w) % 16 != 0 || reinterpret_cast<uintptr_t>(x) % 16 != 0)
    throw Error("BAD_ARGUMENT", "CUDA matmul: W and x must be 16-byte aligned");
  if (rows <= 0 || n_tokens <= 0) return;
  if (ceil_div(n_tokens, kBN) > 65535) throw Error("BAD_ARGUMENT", "CUDA matmul: too many tokens in one call");
  const size_t rb = weight_row_bytes(type, cols);
  switch (type) {
    case GgmlType::F16: return launch<FmtF16, __half>(w, rows, cols, x, n_tokens, y, rb, stream);
    case GgmlType::BF16: return launch<FmtBF16, __nv_bfloat16>(w, rows, cols, x, n_tokens, y, rb, stream);
    case GgmlType::Q8_0: return launch<FmtQ8_0, __half>(w, rows, cols, x, n_tokens, y, rb, stream);
    case GgmlType::Q4_K: return launch<FmtQ4_K, __half>(w, rows, cols, x, n_tokens, y, rb, stream);
    case GgmlType::Q6_K: return launch<FmtQ6_K, __half>(w, rows, cols, x, n_tokens, y, rb, stream);
    default: return;
  }
}

}  // namespace tome::cuda
