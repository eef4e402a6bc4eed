#include "attention/partial_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "attention/batch_kernels.h"
#include "attention/sum_order.h"
#include "attention/vec_kernels.h"
#include "attention/vector_exp.h"
#include "common/fp16.h"

namespace tome {

void round_to_f16(const float* src, float* dst, int64_t n) {
  uint16_t h[64];
  for (int64_t i = 0; i < n; i += 64) {
    const int64_t m = std::min<int64_t>(64, n - i);
    f32_to_f16_row(src + i, h, m);
    f16_to_f32_row(h, dst + i, m);
  }
}

void exp_in_place(float* s, int64_t n, float& m, double& sum) {
  m = max_f32(s, n);
  sum = softmax_exp(s, n, m, s);
}

void probabilities_f16(float* e, int64_t n, float inv_sum) {
  // e * inv_sum in f32, then the (vectorized, exactly rounding) f16 round trip
  for (int64_t i = 0; i < n; i += 64) {
    const int64_t m = std::min<int64_t>(64, n - i);
    scale_f32(e + i, inv_sum, m);
    round_to_f16(e + i, e + i, m);
  }
}

namespace {

constexpr int64_t kRowBlock = 256;  // rows converted to f32 at a time (a multiple of every lane count)

// Gathered rows (retrieved keys: random positions in a context of up to 1M
// rows, so each is a cache miss) are requested this many rows ahead of their
// conversion, so that the misses overlap instead of waiting one by one.
// Measured (smol, 4K context, 26K retrieved rows per token over its 90
// groups): retrieved attention 2.6 -> 1.2 ms/token.
constexpr int64_t kPrefetchRows = 12;
// The most rows whose V rows the K pass requests ahead of the V pass (their
// V rows, 512 KB at head dim 64, stay in a core's L2 until it comes).
constexpr int64_t kPrefetchVRowsMax = 4096;
inline void prefetch_row(const uint16_t* r, int hd) {
  for (int b = 0; b < hd * 2; b += 64) __builtin_prefetch(reinterpret_cast<const char*>(r) + b);
}

// Shared body: row(j) gives the context row index of the j-th key.
// With llama.cpp's numerics on an AVX2+FMA CPU, blocks of rows go through the
// several-keys kernels (batch_kernels.h: the same sums, bit for bit), reading
// the f16 rows directly when they are Contiguous, else gathered and converted;
// otherwise row by row through AttentionMath and OrderedAccumulator.
template <bool Contiguous, class RowOf>
void attend(const float* q, int n_q, const KvRows& kv, int64_t n, int hd, float scale, float* out,
            float* lse, std::vector<float>& scratch, RowOf row, float* probs, AttentionNumerics numerics) {
  if (n <= 0) {
    std::fill(out, out + size_t(n_q) * hd, 0.0f);
    std::fill(lse, lse + n_q, -std::numeric_limits<float>::infinity());
    return;
  }
  const AttentionMath math(numerics, 1);  // one query token
  const int fast = numerics == AttentionNumerics::LLAMA_CPP ? fast_lanes(math.v_order(), hd) : 0;
  const BatchKernels& bk = batch_kernels();  // the build fast_lanes() clears for (batch_kernels.h)
  const int64_t block = fast ? kRowBlock : 1;
  // scratch: scores (n_q, n) | rows as f32 (block, hd) | q as scored (n_q, hd)
  scratch.resize(size_t(n_q) * size_t(n) + size_t(hd) * size_t(block + n_q));
  float* scores = scratch.data();
  float* blk = scores + size_t(n_q) * size_t(n);
  float* qh = blk + size_t(block) * hd;
  math.prepare_q(q, qh, int64_t(n_q) * hd);
  const bool direct = fast && Contiguous;
  // keys j0 .. j0 + nb of base (K or V), widened into blk. The K pass also
  // requests each row's V row: the V pass follows the softmax over every key,
  // and by then a retrieved group's V rows (a few hundred: ~40 KB at head dim
  // 64) wait in this core's caches, their misses overlapped with the K pass's
  // instead of waited for a second time. Measured (smol, retrieval, blocks of
  // 16 alternating with and without, 10 each): retrieved attention 1.81
  // against 2.25 ms/token at 128K (synthetic), 1.04 against 1.06 at 4K; in a
  // slow hour of the host (every phase ~40% slower) 2.77 against 2.75 and
  // 1.59 against 1.67, the same within its noise.
  const bool prefetch_v = n <= kPrefetchVRowsMax;
  auto gather_rows = [&](const uint16_t* base, int64_t j0, int64_t nb) {
    for (int64_t j = 0; j < nb; ++j) {
      if (j0 + j + kPrefetchRows < n) {
        const size_t at = size_t(row(j0 + j + kPrefetchRows)) * kv.stride;
        prefetch_row(base + at, hd);
        if (prefetch_v && base == kv.k) prefetch_row(kv.v + at, hd);
      }
      f16_to_f32_row(base + size_t(row(j0 + j)) * kv.stride, blk + j * hd, hd);
    }
  };
  for (int64_t j0 = 0; j0 < n; j0 += block) {
    const int64_t nb = std::min(block, n - j0);
    if (!direct) gather_rows(kv.k, j0, nb);
    for (int h = 0; h < n_q; ++h) {
      float* s = scores + size_t(h) * n + j0;
      if (direct) {
        bk.dots_h(qh + size_t(h) * hd, kv.k + size_t(j0) * kv.stride, kv.stride, nb, hd, fast, scale, s);
        continue;
      }
      if (fast) {
        bk.dots(qh + size_t(h) * hd, blk, nb, hd, fast, scale, s);
        continue;
      }
      for (int64_t j = 0; j < nb; ++j) s[j] = scale * math.dot(qh + size_t(h) * hd, blk + j * hd, hd);
    }
  }
  for (int h = 0; h < n_q; ++h) lse[h] = math.softmax(scores + size_t(h) * n, n);
  if (probs) std::copy(scores, scores + size_t(n_q) * size_t(n), probs);
  thread_local std::vector<OrderedAccumulator> acc;
  if (acc.size() < size_t(n_q)) acc.resize(size_t(n_q));
  for (int h = 0; h < n_q; ++h) acc[size_t(h)].reset(math.v_order(), hd);
  const int64_t v_block = direct ? n : block;  // direct: one call, a lane's accumulators kept in registers
  for (int64_t j0 = 0; j0 < n; j0 += v_block) {
    const int64_t nb = std::min(v_block, n - j0);
    if (!direct) gather_rows(kv.v, j0, nb);
    for (int h = 0; h < n_q; ++h) {
      const float* p = scores + size_t(h) * n + j0;
      if (direct) {  // j0 is a multiple of the lanes: key j0 + j is on lane j % lanes
        bk.pv_cols_h(acc[size_t(h)].lane_rows(), p, kv.v + size_t(j0) * kv.stride, kv.stride, nb, hd, fast, 0, hd);
        continue;
      }
      if (fast) {  // j0 is a multiple of the lanes: key j0 + j is on lane j % lanes
        bk.pv(acc[size_t(h)].lane_rows(), p, blk, nb, hd, fast);
        continue;
      }
      for (int64_t j = 0; j < nb; ++j) acc[size_t(h)].add(j0 + j, p[j], blk + j * hd);
    }
  }
  for (int h = 0; h < n_q; ++h) acc[size_t(h)].finish(out + size_t(h) * hd);
}

}  // namespace

void attend_rows(const float* q, int n_q, const KvRows& kv, int64_t n, int hd, float scale, float* out,
                 float* lse, std::vector<float>& scratch, AttentionNumerics numerics) {
  attend<true>(q, n_q, kv, n, hd, scale, out, lse, scratch, [](int64_t j) { return j; }, nullptr, numerics);
}

void attend_gather(const float* q, int n_q, const KvRows& kv, const int32_t* idx, int64_t n, int hd,
                   float scale, float* out, float* lse, std::vector<float>& scratch, float* probs,
                   AttentionNumerics numerics) {
  attend<false>(q, n_q, kv, n, hd, scale, out, lse, scratch, [idx](int64_t j) { return int64_t(idx[j]); }, probs,
                numerics);
}

void merge_partial(float* out_a, float* lse_a, const float* out_b, const float* lse_b, int n_q, int hd) {
  for (int h = 0; h < n_q; ++h) {
    const float la = lse_a[h], lb = lse_b[h];
    if (lb == -std::numeric_limits<float>::infinity()) continue;
    float* oa = out_a + size_t(h) * hd;
    const float* ob = out_b + size_t(h) * hd;
    if (la == -std::numeric_limits<float>::infinity()) {
      std::copy(ob, ob + hd, oa);
      lse_a[h] = lb;
      continue;
    }
    const float m = std::max(la, lb);
    const float ea = std::exp(la - m), eb = std::exp(lb - m);
    const float total = ea + eb;
    const float wa = ea / total, wb = eb / total;
    for (int d = 0; d < hd; ++d) oa[d] = wa * oa[d] + wb * ob[d];
    lse_a[h] = m + std::log(total);
  }
}

}  // namespace tome
