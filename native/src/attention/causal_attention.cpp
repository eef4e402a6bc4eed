#include "attention/causal_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "attention/vec_kernels.h"
#include "cpu/thread_pool.h"

namespace tome {

namespace {

constexpr int kQueryTile = 16;  // queries per tile (x n_gqa heads)
constexpr int kKeyBlock = 64;   // keys converted to f32 at a time

// One tile: queries [i0, i1) of KV group g, all n_gqa heads of the group.
void tile(const CausalAttentionArgs& a, int g, int64_t i0, int64_t i1, std::vector<float>& buf) {
  const int hd = a.hd, n_gqa = a.n_head / a.n_head_kv;
  const int64_t rows = (i1 - i0) * n_gqa;  // (query, head) pairs
  // buf: kblock (kKeyBlock, hd) | vblock (kKeyBlock, hd) | acc (rows, hd) | m (rows) | l (rows) | s (kKeyBlock)
  buf.resize(size_t(2 * kKeyBlock * hd + rows * hd + 2 * rows + kKeyBlock));
  float* kb = buf.data();
  float* vb = kb + kKeyBlock * hd;
  float* acc = vb + kKeyBlock * hd;
  float* m = acc + rows * hd;
  float* l = m + rows;
  float* s = l + rows;
  std::fill(acc, acc + rows * hd, 0.0f);
  std::fill(m, m + rows, -std::numeric_limits<float>::infinity());
  std::fill(l, l + rows, 0.0f);
  const int64_t n_keys = a.pos0 + i1;  // the last query sees keys [0, pos0 + i1)
  const uint16_t* K = a.k_heads[g];
  const uint16_t* V = a.v_heads[g];
  for (int64_t j0 = 0; j0 < n_keys; j0 += kKeyBlock) {
    const int64_t nb = std::min<int64_t>(kKeyBlock, n_keys - j0);
    for (int64_t j = 0; j < nb; ++j) {
      f16_to_f32_row(K + size_t(j0 + j) * a.stride, kb + j * hd, hd);
      f16_to_f32_row(V + size_t(j0 + j) * a.stride, vb + j * hd, hd);
    }
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t last = a.pos0 + i;  // causal: keys <= last
      const int64_t nv = std::min<int64_t>(nb, last - j0 + 1);
      if (nv <= 0) continue;
      for (int hh = 0; hh < n_gqa; ++hh) {
        const int h = g * n_gqa + hh;
        const int64_t r = (i - i0) * n_gqa + hh;
        const float* qv = a.q + (size_t(i) * a.n_head + h) * hd;
        float bmax = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < nv; ++j) {
          s[j] = a.scale * dot_f32(qv, kb + j * hd, hd);
          bmax = std::max(bmax, s[j]);
        }
        float* ar = acc + r * hd;
        const float mnew = std::max(m[r], bmax);
        const float corr = std::exp(m[r] - mnew);  // exp(-inf) = 0 on the first block
        if (corr != 1.0f) scale_f32(ar, corr, hd);
        float bsum = 0;
        for (int64_t j = 0; j < nv; ++j) {
          const float p = std::exp(s[j] - mnew);
          bsum += p;
          axpy_f32(ar, p, vb + j * hd, hd);
        }
        l[r] = l[r] * corr + bsum;
        m[r] = mnew;
      }
    }
  }
  for (int64_t i = i0; i < i1; ++i)
    for (int hh = 0; hh < n_gqa; ++hh) {
      const int64_t r = (i - i0) * n_gqa + hh;
      float* o = a.out + (size_t(i) * a.n_head + g * n_gqa + hh) * hd;
      const float inv = 1.0f / l[r];
      for (int d = 0; d < hd; ++d) o[d] = acc[r * hd + d] * inv;
    }
}

}  // namespace

// One query (decode): every thread takes a slice of the keys of every group and
// the partial (out, lse) of the slices are merged; keeps both cores busy when
// there are fewer KV groups than threads or the context is long.
void decode_split_keys(const CausalAttentionArgs& a, ThreadPool& pool) {
  const int hd = a.hd, n_gqa = a.n_head / a.n_head_kv, T = pool.size();
  const int64_t n_keys = a.pos0 + 1;
  std::vector<float> outs(size_t(T) * a.n_head * hd), lses(size_t(T) * a.n_head);
  pool.run([&](int t) {
    const int64_t j0 = n_keys * t / T, j1 = n_keys * (t + 1) / T;
    std::vector<float> scratch;
    for (int g = 0; g < a.n_head_kv; ++g) {
      KvRows kv{a.k_heads[g] + size_t(j0) * a.stride, a.v_heads[g] + size_t(j0) * a.stride, a.stride};
      attend_rows(a.q + size_t(g) * n_gqa * hd, n_gqa, kv, j1 - j0, hd, a.scale,
                  outs.data() + (size_t(t) * a.n_head + g * n_gqa) * hd,
                  lses.data() + size_t(t) * a.n_head + g * n_gqa, scratch);
    }
  });
  for (int t = 1; t < T; ++t)
    merge_partial(outs.data(), lses.data(), outs.data() + size_t(t) * a.n_head * hd,
                  lses.data() + size_t(t) * a.n_head, a.n_head, hd);
  std::copy(outs.begin(), outs.begin() + size_t(a.n_head) * hd, a.out);
}

void causal_attention(const CausalAttentionArgs& a, ThreadPool& pool) {
  if (a.n_tokens == 1 && pool.size() > 1 && a.pos0 + 1 >= 2 * pool.size()) return decode_split_keys(a, pool);
  const int64_t n_tiles = (a.n_tokens + kQueryTile - 1) / kQueryTile;
  const int64_t n_jobs = n_tiles * a.n_head_kv;
  // Jobs are (tile, group) pairs; later tiles see more keys, so interleave them
  // across threads instead of giving each thread a contiguous range.
  pool.run([&](int t) {
    std::vector<float> buf;
    for (int64_t job = t; job < n_jobs; job += pool.size()) {
      const int g = int(job % a.n_head_kv);
      const int64_t ti = job / a.n_head_kv;
      const int64_t i0 = ti * kQueryTile, i1 = std::min(a.n_tokens, i0 + kQueryTile);
      tile(a, g, i0, i1, buf);
    }
  });
}

}  // namespace tome
