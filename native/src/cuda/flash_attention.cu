// Prefill attention kernels.
//
// Tensor-core kernel (FlashAttention-2 forward): a block owns 64 query rows of
// one head (4 warps x 16 rows) and walks the key blocks (64 keys) it can see;
// K and V blocks stream into shared memory with cp.async, two stages deep.
// Per warp and key block:
//   S (16x64)  = Q (16xHD, registers, loaded once) . K^T   ldmatrix on K rows
//   online softmax on S in registers (rows g and g+8 of each lane's quad)
//   O (16xHD) += P . V   P reused from S's accumulators as A fragments,
//                        V through ldmatrix.trans
// Scores are kept in log2 units (scale * log2 e folded in) for exp2f.
#include <cmath>
#include <string>

#include "common/error.h"
#include "cuda/cuda_check.h"
#include "cuda/device_common.cuh"
#include "cuda/flash_attention.h"
#include "cuda/mma.cuh"

namespace tome::cuda {

namespace {

constexpr int kBR = 64;   // query rows per block
constexpr int kBC = 64;   // keys per block
constexpr int kThreadsTC = 128;

struct TcParams {
  const float* q;
  float* out;
  const void* k;
  const void* v;
  int64_t head_stride, row_stride;
  int64_t n_tokens, pos0;
  int n_head, n_gqa;
  float scale_log2;
};

template <int HD>
constexpr int smem_bytes_tc() {
  return 2 /*stages*/ * 2 /*K,V*/ * kBC * (HD + 8) * 2;
}

template <int HD, class T>
__global__ void __launch_bounds__(kThreadsTC) flash_tc_kernel(TcParams a) {
  constexpr int LD = HD + 8;  // row pitch (elements): rows start 16 bytes apart mod 128, no bank conflicts
  extern __shared__ __align__(16) uint8_t smem[];
  T* Ks = reinterpret_cast<T*>(smem);  // [2][kBC][LD]
  T* Vs = Ks + 2 * kBC * LD;           // [2][kBC][LD]

  const int h = blockIdx.y, g_kv = h / a.n_gqa;
  // Heaviest tiles (latest queries, most keys) first.
  const int64_t q0 = int64_t(gridDim.x - 1 - blockIdx.x) * kBR;
  const int tid = threadIdx.x, warp = tid / kWarp, lane = tid % kWarp, g = lane / 4, t = lane % 4;
  const T* K = static_cast<const T*>(a.k) + g_kv * a.head_stride;
  const T* V = static_cast<const T*>(a.v) + g_kv * a.head_stride;

  // Rows of this lane: r0 = q0 + 16 warp + g and r1 = r0 + 8.
  const int64_t r0 = q0 + 16 * warp + g, r1 = r0 + 8;
  uint32_t qf[HD / 16][4];
  {
    auto qpair = [&](int64_t row, int d) {
      if (row >= a.n_tokens) return pack2<T>(0.0f, 0.0f);
      const float2 v = *reinterpret_cast<const float2*>(a.q + (row * a.n_head + h) * HD + d);
      return pack2<T>(v.x, v.y);
    };
#pragma unroll
    for (int kt = 0; kt < HD / 16; ++kt) {
      qf[kt][0] = qpair(r0, 16 * kt + 2 * t);
      qf[kt][1] = qpair(r1, 16 * kt + 2 * t);
      qf[kt][2] = qpair(r0, 16 * kt + 8 + 2 * t);
      qf[kt][3] = qpair(r1, 16 * kt + 8 + 2 * t);
    }
  }

  const int64_t q_last = min(q0 + kBR, a.n_tokens) - 1;
  const int64_t kv_end = a.pos0 + q_last + 1;  // keys any row of the tile sees
  const int n_blocks = int(ceil_div(kv_end, kBC));

  // K and V block jb into stage st: 16-byte chunks, rows past kv_end zero-filled
  // (masked later; zeros keep them finite).
  auto load_kv = [&](int jb, int st) {
    constexpr int kChunksPerRow = HD / 8;
#pragma unroll
    for (int c = tid; c < kBC * kChunksPerRow; c += kThreadsTC) {
      const int r = c / kChunksPerRow, col = 8 * (c % kChunksPerRow);
      const int64_t j = int64_t(jb) * kBC + r;
      const bool valid = j < kv_end;
      const int64_t off = valid ? j * a.row_stride + col : 0;
      cp_async_16(Ks + (st * kBC + r) * LD + col, K + off, valid);
      cp_async_16(Vs + (st * kBC + r) * LD + col, V + off, valid);
    }
    cp_async_commit();
  };

  float o[HD / 8][4];
#pragma unroll
  for (int i = 0; i < HD / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.0f;
  float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.0f, l1 = 0.0f;  // rows r0, r1 (l: this lane's part)

  load_kv(0, 0);
  for (int jb = 0; jb < n_blocks; ++jb) {
    if (jb + 1 < n_blocks) {
      load_kv(jb + 1, (jb + 1) & 1);
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    const T* Kst = Ks + (jb & 1) * kBC * LD;
    const T* Vst = Vs + (jb & 1) * kBC * LD;

    // S = Q K^T: n-tile nt covers keys 8 nt .. 8 nt + 7 of the block.
    float s[8][4];
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
    for (int kt = 0; kt < HD / 16; ++kt)
#pragma unroll
      for (int np = 0; np < 4; ++np) {
        uint32_t r[4];
        ldmatrix_x4(r, Kst + (16 * np + lane % 8 + 8 * (lane / 16)) * LD + 16 * kt + 8 * ((lane / 8) % 2));
        const uint32_t b0[2] = {r[0], r[1]}, b1[2] = {r[2], r[3]};
        mma_16816<T>(s[2 * np], qf[kt], b0);
        mma_16816<T>(s[2 * np + 1], qf[kt], b1);
      }

    // scale, causal mask (only blocks reaching past this warp's first row need it)
    const int64_t kbase = int64_t(jb) * kBC;
    const bool need_mask = kbase + kBC - 1 > a.pos0 + q0 + 16 * warp;
    float mx0 = -INFINITY, mx1 = -INFINITY;
#pragma unroll
    for (int nt = 0; nt < 8; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float v = s[nt][e] * a.scale_log2;
        if (need_mask) {
          const int64_t key = kbase + 8 * nt + 2 * t + (e % 2);
          const int64_t qpos = a.pos0 + (e < 2 ? r0 : r1);
          if (key > qpos) v = -INFINITY;
        }
        s[nt][e] = v;
        if (e < 2) mx0 = fmaxf(mx0, v);
        else mx1 = fmaxf(mx1, v);
      }
    // the quad (4 lanes) shares rows r0, r1
    mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1));
    mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
    mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1));
    mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
    const float mn0 = fmaxf(m0, mx0), mn1 = fmaxf(m1, mx1);
    const float base0 = mn0 == -INFINITY ? 0.0f : mn0, base1 = mn1 == -INFINITY ? 0.0f : mn1;
    const float corr0 = exp2f(m0 - base0), corr1 = exp2f(m1 - base1);  // 0 on the first block
    m0 = mn0;
    m1 = mn1;
    float ls0 = 0.0f, ls1 = 0.0f;
#pragma unroll
    for (int nt = 0; nt < 8; ++nt) {
      s[nt][0] = exp2f(s[nt][0] - base0);
      s[nt][1] = exp2f(s[nt][1] - base0);
      s[nt][2] = exp2f(s[nt][2] - base1);
      s[nt][3] = exp2f(s[nt][3] - base1);
      ls0 += s[nt][0] + s[nt][1];
      ls1 += s[nt][2] + s[nt][3];
    }
    l0 = l0 * corr0 + ls0;
    l1 = l1 * corr1 + ls1;
#pragma unroll
    for (int i = 0; i < HD / 8; ++i) {
      o[i][0] *= corr0;
      o[i][1] *= corr0;
      o[i][2] *= corr1;
      o[i][3] *= corr1;
    }

    // O += P V: key k-tile kk (16 keys) = S n-tiles 2kk, 2kk+1 as an A fragment.
#pragma unroll
    for (int kk = 0; kk < kBC / 16; ++kk) {
      const uint32_t pa[4] = {pack2<T>(s[2 * kk][0], s[2 * kk][1]), pack2<T>(s[2 * kk][2], s[2 * kk][3]),
                              pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                              pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
      for (int dp = 0; dp < HD / 16; ++dp) {
        uint32_t r[4];  // matrices (keys +0/+8, dims +0/+8): b0,b1 of d-tile 2dp, then of 2dp+1
        ldmatrix_x4_trans(r, Vst + (16 * kk + lane % 8 + 8 * ((lane / 8) % 2)) * LD + 16 * dp + 8 * (lane / 16));
        const uint32_t b0[2] = {r[0], r[1]}, b1[2] = {r[2], r[3]};
        mma_16816<T>(o[2 * dp], pa, b0);
        mma_16816<T>(o[2 * dp + 1], pa, b1);
      }
    }
    __syncthreads();  // stage jb & 1 is refilled by the next iteration's load
  }

  l0 += __shfl_xor_sync(0xffffffffu, l0, 1);
  l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
  l1 += __shfl_xor_sync(0xffffffffu, l1, 1);
  l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
  const float inv0 = l0 > 0.0f ? 1.0f / l0 : 0.0f, inv1 = l1 > 0.0f ? 1.0f / l1 : 0.0f;
#pragma unroll
  for (int i = 0; i < HD / 8; ++i) {
    const int d = 8 * i + 2 * t;
    if (r0 < a.n_tokens)
      *reinterpret_cast<float2*>(a.out + (r0 * a.n_head + h) * HD + d) = make_float2(o[i][0] * inv0, o[i][1] * inv0);
    if (r1 < a.n_tokens)
      *reinterpret_cast<float2*>(a.out + (r1 * a.n_head + h) * HD + d) = make_float2(o[i][2] * inv1, o[i][3] * inv1);
  }
}

// --- f32 kernel: one warp per (query, head) --------------------------------------
constexpr int kWarpsF32 = 4;
constexpr int kMaxHdF32 = 256;

template <class E>
__global__ void __launch_bounds__(kWarpsF32* kWarp)
    attention_f32_kernel(const float* __restrict__ q, float* __restrict__ out, const uint16_t* __restrict__ K,
                         const uint16_t* __restrict__ V, int64_t head_stride, int64_t row_stride, int64_t n_tokens,
                         int64_t pos0, int n_head, int n_gqa, int hd, float scale) {
  __shared__ float qs[kWarpsF32][kMaxHdF32];
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t tok = int64_t(blockIdx.x) * kWarpsF32 + warp;
  const int h = blockIdx.y;
  if (tok >= n_tokens) return;  // whole warp leaves together
  const float* qv = q + (tok * n_head + h) * hd;
  for (int d = lane; d < hd; d += kWarp) qs[warp][d] = E::round(qv[d]);  // as the CPU: q in the K type
  __syncwarp();
  const uint16_t* Kh = K + int64_t(h / n_gqa) * head_stride;
  const uint16_t* Vh = V + int64_t(h / n_gqa) * head_stride;
  const int64_t n = pos0 + tok + 1;  // keys this query sees
  const int nd = hd / kWarp;         // dims per lane: d = lane + 32 i
  float o[kMaxHdF32 / kWarp] = {};
  float m = -INFINITY, l = 0.0f;
  for (int64_t kb = 0; kb < n; kb += kWarp) {
    const int64_t j = kb + lane;  // lane's key: full dot product over its row
    float s = -INFINITY;
    if (j < n) {
      const uint16_t* kr = Kh + j * row_stride;
      float dot = 0.0f;
      for (int d = 0; d < hd; d += 8) {
        float kf[8];
        load8_to_float<E>(kr + d, kf);
#pragma unroll
        for (int e = 0; e < 8; ++e) dot += qs[warp][d + e] * kf[e];
      }
      s = dot * scale;
    }
    const float mn = fmaxf(m, warp_max(s));
    const float corr = expf(m - mn);  // m = -inf on the first block: 0
    const float p = j < n ? expf(s - mn) : 0.0f;
    l = l * corr + warp_sum(p);
    m = mn;
#pragma unroll
    for (int i = 0; i < kMaxHdF32 / kWarp; ++i) o[i] *= corr;
    const int cnt = n - kb < kWarp ? int(n - kb) : kWarp;
    for (int jj = 0; jj < cnt; ++jj) {
      const float pj = __shfl_sync(0xffffffffu, p, jj);
      const uint16_t* vr = Vh + (kb + jj) * row_stride;
#pragma unroll
      for (int i = 0; i < kMaxHdF32 / kWarp; ++i)
        if (i < nd) o[i] += pj * E::to_float(vr[lane + kWarp * i]);
    }
  }
  float* ov = out + (tok * n_head + h) * hd;
#pragma unroll
  for (int i = 0; i < kMaxHdF32 / kWarp; ++i)
    if (i < nd) ov[lane + kWarp * i] = o[i] / l;
}

template <int HD, class T>
void launch_tc(const PrefillAttentionArgs& a, cudaStream_t s) {
  constexpr int smem = smem_bytes_tc<HD>();
  // Over 48 KB of dynamic shared memory must be allowed per function (and device);
  // the call is cheap next to a prefill chunk.
  void (*kernel)(TcParams) = flash_tc_kernel<HD, T>;
  CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  TcParams p{a.q, a.out, a.kv.k, a.kv.v, a.kv.head_stride, a.kv.row_stride, a.n_tokens, a.pos0,
             a.n_head, a.n_head / a.n_head_kv, a.scale * 1.4426950408889634f};
  const dim3 grid(unsigned(ceil_div(a.n_tokens, kBR)), unsigned(a.n_head));
  kernel<<<grid, kThreadsTC, smem, s>>>(p);
  CUDA_CHECK_LAUNCH("flash_tc_kernel");
}

}  // namespace

void flash_attention(const PrefillAttentionArgs& a, AttentionCompute compute, cudaStream_t stream) {
  if (a.n_head <= 0 || a.n_head_kv <= 0 || a.n_head % a.n_head_kv != 0)
    throw Error("BAD_ARGUMENT", "CUDA flash_attention: n_head must be a multiple of n_head_kv");
  if (a.kv.row_stride % 8 != 0 || a.kv.head_stride % 8 != 0 || reinterpret_cast<uintptr_t>(a.kv.k) % 16 != 0 ||
      reinterpret_cast<uintptr_t>(a.kv.v) % 16 != 0)
    throw Error("BAD_ARGUMENT", "CUDA flash_attention: K/V need 16-byte aligned rows");
  if (a.n_tokens <= 0) return;
  if (a.n_tokens > int64_t(65535) * kBR || a.n_head > 65535)
    throw Error("BAD_ARGUMENT", "CUDA flash_attention: too many tokens or heads in one call");
  const bool bf16 = a.kv.type == KvType::BF16;
  if (compute == AttentionCompute::TensorCores) {
    if (a.hd == 64) return bf16 ? launch_tc<64, __nv_bfloat16>(a, stream) : launch_tc<64, __half>(a, stream);
    if (a.hd == 128) return bf16 ? launch_tc<128, __nv_bfloat16>(a, stream) : launch_tc<128, __half>(a, stream);
    throw Error("BAD_ARGUMENT", "CUDA flash_attention: tensor-core head_dim must be 64 or 128, not " + std::to_string(a.hd));
  }
  if (a.hd <= 0 || a.hd % kWarp != 0 || a.hd > kMaxHdF32)
    throw Error("BAD_ARGUMENT", "CUDA flash_attention: f32 head_dim must be a multiple of 32 up to 256");
  const dim3 grid(unsigned(ceil_div(a.n_tokens, kWarpsF32)), unsigned(a.n_head));
  auto* K = static_cast<const uint16_t*>(a.kv.k);
  auto* V = static_cast<const uint16_t*>(a.kv.v);
  const int n_gqa = a.n_head / a.n_head_kv;
  if (bf16)
    attention_f32_kernel<BF16><<<grid, kWarpsF32 * kWarp, 0, stream>>>(a.q, a.out, K, V, a.kv.head_stride,
                                                                      a.kv.row_stride, a.n_tokens, a.pos0, a.n_head,
                                                                      n_gqa, a.hd, a.scale);
  else
    attention_f32_kernel<F16><<<grid, kWarpsF32 * kWarp, 0, stream>>>(a.q, a.out, K, V, a.kv.head_stride,
                                                                     a.kv.row_stride, a.n_tokens, a.pos0, a.n_head,
                                                                     n_gqa, a.hd, a.scale);
  CUDA_CHECK_LAUNCH("attention_f32_kernel");
}

}  // namespace tome::cuda
