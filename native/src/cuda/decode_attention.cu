// Flash-decoding. Kernel 1, grid (chunks, n_head_kv), 128 threads:
//   a K/V row is read by HD/8 consecutive threads, 8 dims (16 bytes) each; the
//   block covers 128 / (HD/8) rows at a time ("row slots").
//   pass 1: scores of the chunk for every head of the group -> shared (n_gqa, chunk)
//   softmax per head (one warp per head): max, exp, sum
//   pass 2: each thread sums p * v over its row slot's keys for its 8 dims,
//           then the row slots are added in shared memory (tree)
//   -> partial out (normalized) and lse of the chunk.
// Kernel 2, grid (n_head): merges the chunks' (out, lse) exactly.
#include <string>

#include "common/error.h"
#include "cuda/cuda_check.h"
#include "cuda/decode_attention.h"
#include "cuda/device_common.cuh"

namespace tome::cuda {

namespace {

constexpr int kThreads = 128;
constexpr int kMaxChunk = 256;
constexpr int kMaxGqa = 8;
constexpr int kUnroll = 4;  // rows loaded before use, per thread

template <int HD, class E>
__global__ void __launch_bounds__(kThreads)
    decode_chunk_kernel(const float* __restrict__ q, const uint16_t* __restrict__ K, const uint16_t* __restrict__ V,
                        int64_t head_stride, int64_t row_stride, int64_t n, int chunk, int n_gqa, float scale,
                        float* __restrict__ part_out, float* __restrict__ part_lse, int n_head) {
  constexpr int kTpr = HD / 8;             // threads per row
  constexpr int kSlots = kThreads / kTpr;  // rows at a time
  __shared__ float scores[kMaxGqa][kMaxChunk];
  __shared__ float red[kSlots / 2][kMaxGqa][HD];
  __shared__ float row_max[kMaxGqa], row_sum[kMaxGqa];

  const int g = blockIdx.y, split = blockIdx.x;
  const int tid = threadIdx.x, slot = tid / kTpr, part = tid % kTpr, warp = tid / kWarp, lane = tid % kWarp;
  const int64_t j0 = int64_t(split) * chunk;
  const int L = int(min(int64_t(chunk), n - j0));
  const uint16_t* Kg = K + g * head_stride + 8 * part;
  const uint16_t* Vg = V + g * head_stride + 8 * part;

  // this thread's 8 dims of each head's query, rounded to the K type (as the CPU)
  float qr[kMaxGqa][8];
#pragma unroll
  for (int hh = 0; hh < kMaxGqa; ++hh)
#pragma unroll
    for (int e = 0; e < 8; ++e) qr[hh][e] = hh < n_gqa ? E::round(q[(int64_t(g) * n_gqa + hh) * HD + 8 * part + e]) : 0.0f;

  // pass 1: scores. Trip counts are uniform over the block (shuffles need whole warps).
  for (int jb = 0; jb < L; jb += kSlots * kUnroll) {
    float kf[kUnroll][8];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int jj = jb + u * kSlots + slot;
      if (jj < L) {
        load8_to_float<E>(Kg + (j0 + jj) * row_stride, kf[u]);
      } else {
#pragma unroll
        for (int e = 0; e < 8; ++e) kf[u][e] = 0.0f;
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int jj = jb + u * kSlots + slot;
#pragma unroll
      for (int hh = 0; hh < kMaxGqa; ++hh) {
        if (hh >= n_gqa) break;
        float d = 0.0f;
#pragma unroll
        for (int e = 0; e < 8; ++e) d += qr[hh][e] * kf[u][e];
        d = group_sum<kTpr>(d);
        if (part == 0 && jj < L) scores[hh][jj] = d * scale;
      }
    }
  }
  __syncthreads();

  // softmax of each head's chunk: one warp per head
  for (int hh = warp; hh < n_gqa; hh += kThreads / kWarp) {
    float mx = -INFINITY;
    for (int jj = lane; jj < L; jj += kWarp) mx = fmaxf(mx, scores[hh][jj]);
    mx = warp_max(mx);
    float sum = 0.0f;
    for (int jj = lane; jj < L; jj += kWarp) {
      const float p = expf(scores[hh][jj] - mx);
      scores[hh][jj] = p;
      sum += p;
    }
    sum = warp_sum(sum);
    if (lane == 0) {
      row_max[hh] = mx;
      row_sum[hh] = sum;
    }
  }
  __syncthreads();

  // pass 2: o[hh][8 dims] over this slot's keys
  float o[kMaxGqa][8];
#pragma unroll
  for (int hh = 0; hh < kMaxGqa; ++hh)
#pragma unroll
    for (int e = 0; e < 8; ++e) o[hh][e] = 0.0f;
  for (int jb = 0; jb < L; jb += kSlots * kUnroll) {
    float vf[kUnroll][8];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int jj = jb + u * kSlots + slot;
      if (jj < L) {
        load8_to_float<E>(Vg + (j0 + jj) * row_stride, vf[u]);
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int jj = jb + u * kSlots + slot;
      if (jj >= L) continue;
#pragma unroll
      for (int hh = 0; hh < kMaxGqa; ++hh) {
        if (hh >= n_gqa) break;
        const float p = scores[hh][jj];
#pragma unroll
        for (int e = 0; e < 8; ++e) o[hh][e] += p * vf[u][e];
      }
    }
  }

  // add the row slots: upper half writes, lower half adds, halving each round
  for (int half = kSlots / 2; half >= 1; half /= 2) {
    if (slot >= half && slot < 2 * half)
#pragma unroll
      for (int hh = 0; hh < kMaxGqa; ++hh) {
        if (hh >= n_gqa) break;
#pragma unroll
        for (int e = 0; e < 8; ++e) red[slot - half][hh][8 * part + e] = o[hh][e];
      }
    __syncthreads();
    if (slot < half)
#pragma unroll
      for (int hh = 0; hh < kMaxGqa; ++hh) {
        if (hh >= n_gqa) break;
#pragma unroll
        for (int e = 0; e < 8; ++e) o[hh][e] += red[slot][hh][8 * part + e];
      }
    __syncthreads();
  }

  if (slot == 0)
#pragma unroll
    for (int hh = 0; hh < kMaxGqa; ++hh) {
      if (hh >= n_gqa) break;
      const int h = g * n_gqa + hh;
      const float inv = 1.0f / row_sum[hh];  // >= 1: the chunk's max contributes exp(0)
      float* dst = part_out + (int64_t(split) * n_head + h) * HD + 8 * part;
#pragma unroll
      for (int e = 0; e < 8; ++e) dst[e] = o[hh][e] * inv;
      if (part == 0) part_lse[int64_t(split) * n_head + h] = row_max[hh] + logf(row_sum[hh]);
    }
}

// grid (n_head), block (128): out[h] = sum_s w_s out_s[h] / sum_s w_s, w_s = exp(lse_s - max).
__global__ void decode_combine_kernel(const float* __restrict__ part_out, const float* __restrict__ part_lse,
                                      int n_splits, int n_head, int hd, float* __restrict__ out,
                                      float* __restrict__ lse) {
  const int h = blockIdx.x;
  float mx = -INFINITY;
  for (int s = 0; s < n_splits; ++s) mx = fmaxf(mx, part_lse[int64_t(s) * n_head + h]);
  if (mx == -INFINITY) {  // no keys (or no finite score): the merge identity
    for (int d = threadIdx.x; d < hd; d += blockDim.x) out[int64_t(h) * hd + d] = 0.0f;
    if (threadIdx.x == 0) lse[h] = -INFINITY;
    return;
  }
  float wsum = 0.0f;
  for (int s = 0; s < n_splits; ++s) wsum += expf(part_lse[int64_t(s) * n_head + h] - mx);
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float acc = 0.0f;
    for (int s = 0; s < n_splits; ++s)
      acc += expf(part_lse[int64_t(s) * n_head + h] - mx) * part_out[(int64_t(s) * n_head + h) * hd + d];
    out[int64_t(h) * hd + d] = acc / wsum;
  }
  if (threadIdx.x == 0) lse[h] = mx + logf(wsum);
}

int multiprocessors() {
  int dev = 0, sms = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  return sms;
}

template <int HD, class E>
void launch(const DecodeAttentionArgs& a, int chunk, int n_splits, float* part_out, float* part_lse, cudaStream_t s) {
  const dim3 grid(unsigned(n_splits), unsigned(a.n_head_kv));
  decode_chunk_kernel<HD, E><<<grid, kThreads, 0, s>>>(
      a.q, static_cast<const uint16_t*>(a.kv.k), static_cast<const uint16_t*>(a.kv.v), a.kv.head_stride,
      a.kv.row_stride, a.n, chunk, a.n_head / a.n_head_kv, a.scale, part_out, part_lse, a.n_head);
  CUDA_CHECK_LAUNCH("decode_chunk_kernel");
}

}  // namespace

int decode_attention_chunk(int64_t n, int n_head_kv) {
  // Enough blocks to fill the device about twice, chunks of 64..256 keys.
  static thread_local int sms = 0;
  if (sms == 0) sms = multiprocessors();
  const int64_t want_blocks = 2 * int64_t(sms);
  int64_t chunk = ceil_div(n * (n_head_kv > 0 ? n_head_kv : 1), want_blocks);
  chunk = ceil_div(chunk, 32) * 32;
  if (chunk < 64) chunk = 64;
  if (chunk > kMaxChunk) chunk = kMaxChunk;
  return int(chunk);
}

size_t decode_attention_scratch_bytes(int64_t n, int n_head, int n_head_kv, int hd) {
  if (n <= 0) return 0;
  const int64_t splits = ceil_div(n, decode_attention_chunk(n, n_head_kv));
  return size_t(splits) * size_t(n_head) * size_t(hd + 1) * sizeof(float) + 16;
}

void decode_attention(const DecodeAttentionArgs& a, void* scratch, size_t scratch_bytes, cudaStream_t stream) {
  if (a.n_head <= 0 || a.n_head_kv <= 0 || a.n_head % a.n_head_kv != 0 || a.n_head / a.n_head_kv > kMaxGqa)
    throw Error("BAD_ARGUMENT", "CUDA decode_attention: n_head must be 1..8 times n_head_kv");
  if (a.hd != 64 && a.hd != 128)
    throw Error("BAD_ARGUMENT", "CUDA decode_attention: head_dim must be 64 or 128, not " + std::to_string(a.hd));
  if (a.kv.row_stride % 8 != 0 || a.kv.head_stride % 8 != 0 || reinterpret_cast<uintptr_t>(a.kv.k) % 16 != 0 ||
      reinterpret_cast<uintptr_t>(a.kv.v) % 16 != 0)
    throw Error("BAD_ARGUMENT", "CUDA decode_attention: K/V need 16-byte aligned rows");
  int n_splits = 0;
  float* part_out = nullptr;
  float* part_lse = nullptr;
  if (a.n > 0) {
    const int chunk = decode_attention_chunk(a.n, a.n_head_kv);
    n_splits = int(ceil_div(a.n, chunk));
    if (n_splits > 65535) throw Error("BAD_ARGUMENT", "CUDA decode_attention: static set too long for one call");
    if (!scratch || scratch_bytes < decode_attention_scratch_bytes(a.n, a.n_head, a.n_head_kv, a.hd))
      throw Error("BAD_ARGUMENT", "CUDA decode_attention: scratch smaller than decode_attention_scratch_bytes()");
    part_out = static_cast<float*>(scratch);
    part_lse = part_out + int64_t(n_splits) * a.n_head * a.hd;
    const bool bf16 = a.kv.type == KvType::BF16;
    if (a.hd == 64) {
      if (bf16) launch<64, BF16>(a, chunk, n_splits, part_out, part_lse, stream);
      else launch<64, F16>(a, chunk, n_splits, part_out, part_lse, stream);
    } else {
      if (bf16) launch<128, BF16>(a, chunk, n_splits, part_out, part_lse, stream);
      else launch<128, F16>(a, chunk, n_splits, part_out, part_lse, stream);
    }
  }
  decode_combine_kernel<<<unsigned(a.n_head), 128, 0, stream>>>(part_out, part_lse, n_splits, a.n_head, a.hd, a.out,
                                                                a.lse);
  CUDA_CHECK_LAUNCH("decode_combine_kernel");
}

}  // namespace tome::cuda
