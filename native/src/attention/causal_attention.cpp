#include "attention/causal_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "attention/batch_kernels.h"
#include "attention/sum_order.h"
#include "attention/vec_kernels.h"
#include "attention/vector_exp.h"
#include "cpu/parallel.h"
#include "cpu/thread_pool.h"

namespace tome {

namespace {

constexpr int kMaxQueryTile = 16;          // queries per tile (x n_gqa heads)
// Keys converted to f32 at a time for the scores: a block (16 KiB at head dim 64, 32 at
// 128) stays in L1 while every query row of the tile reads it. A multiple of every lane
// count (64). Measured (2-core VM, 2 threads, prefill, logits bit for bit the same): smol
// 4K attention 16.0 / 14.2 / 13.1 s with blocks of 256 / 128 / 64, smol 8K 61.5 / 49.2 s
// (256 / 64), 1b 3K 13.9 / 11.9 s (256 / 64).
constexpr int kKeyBlock = 64;
// Keys converted at a time for p . V: each row's accumulators (a lane's row of hd
// floats per lane) are loaded and stored once a block, so a longer block than the
// scores' pays off: at 64 keys a lane sees 4 keys between its loads and stores.
// Measured (Zen 4, one thread, smol's heads, ns a (query, key, head), the same bits):
// from position 0 at 3K, blocks of 64 / 128 / 256 / 512 / 1024 keys 5.5 / 5.3 / 4.8 /
// 5.0 / 5.4; a chunk of 256 queries after 64K keys 6.42 with 64 and 1M floats of
// scores, 5.70 with 256, 4.97 with 256 and the 8M floats below (after 32K keys: 6.18
// against 4.53).
constexpr int kPvKeyBlock = 256;
constexpr int kVBlock = 2048;              // decode p . V keys per kernel call (a multiple of every lane count)
// Floats of scores one tile may hold (32 MiB a thread). Past it a tile holds fewer
// queries, and each converted key block serves fewer rows: with 1M floats a tile at 32K
// keys held 10 queries, at 128K 2.
constexpr int64_t kScoreBudget = int64_t(1) << 23;
constexpr int64_t kSplitKeysFrom = 2048;     // decode: keys from which threads split them

// Columns [d0, d1) of n f16 rows (stride apart) into dst (n, hd) f32. Rows that
// lie back to back (stride == hd, the KV cache's layout) go in one call with
// every column: a call per row costs more than the extra columns.
void convert_rows(const uint16_t* src, size_t stride, int64_t n, int hd, int d0, int d1, float* dst) {
  if (stride == size_t(hd)) return f16_to_f32_row(src, dst, n * hd);
  for (int64_t j = 0; j < n; ++j) f16_to_f32_row(src + size_t(j) * stride + d0, dst + j * hd + d0, d1 - d0);
}

// A sliding window's masked keys, j <= pos - window: score -inf (row s from key 0).
void mask_before_window(const CausalAttentionArgs& a, int64_t pos, float* s, int64_t j0 = 0, int64_t j1 = -1) {
  if (a.window <= 0) return;
  const int64_t end = std::max<int64_t>(0, pos + 1 - a.window);
  for (int64_t j = j0, stop = j1 < 0 ? end : std::min(end, j1); j < stop; ++j) s[j] = -std::numeric_limits<float>::infinity();
}

// The first key the query at position pos may see, rounded down to a whole
// kKeyBlock (CausalAttentionArgs::skip_masked); 0 without a window or the skip.
int64_t first_unmasked_block(const CausalAttentionArgs& a, int64_t pos) {
  if (a.window <= 0 || !a.skip_masked) return 0;
  return std::max<int64_t>(0, pos + 1 - a.window) / kKeyBlock * kKeyBlock;
}

// Keys [j0, j1) of row g of key_weights: the probabilities of group g's n_gqa
// heads summed, S holding a head's row every `stride` floats from head 0's.
void sum_group_probs(const float* S, size_t stride, int n_gqa, int64_t j0, int64_t j1, float* row) {
  for (int64_t j = j0; j < j1; ++j) row[j] = S[j];
  for (int hh = 1; hh < n_gqa; ++hh) {
    const float* s = S + size_t(hh) * stride;
    for (int64_t j = j0; j < j1; ++j) row[j] += s[j];
  }
}

bool wants_key_weights(const CausalAttentionArgs& a) { return a.key_weights && a.n_tokens == 1 && a.window <= 0; }

// One tile: queries [i0, i1) of KV group g, all n_gqa heads of the group.
void tile(const CausalAttentionArgs& a, int g, int64_t i0, int64_t i1, std::vector<float>& buf,
          std::vector<OrderedAccumulator>& acc) {
  const int hd = a.hd, n_gqa = a.n_head / a.n_head_kv;
  const AttentionMath math(a.numerics, a.n_tokens);
  const int64_t rows = (i1 - i0) * n_gqa;  // (query, head) pairs, r = (i - i0) * n_gqa + hh
  const int64_t n_keys = a.pos0 + i1;      // the last query sees keys [0, pos0 + i1)
  // buf: kv block (kPvKeyBlock, hd) | q rounded (rows, hd) | scores (rows, n_keys)
  buf.resize(size_t(kPvKeyBlock * hd + rows * hd + rows * n_keys));
  float* blk = buf.data();
  float* qh = blk + kPvKeyBlock * hd;
  float* S = qh + rows * hd;
  for (int64_t i = i0; i < i1; ++i)
    math.prepare_q(a.q + (size_t(i) * a.n_head + size_t(g) * n_gqa) * hd, qh + (i - i0) * n_gqa * hd, int64_t(n_gqa) * hd);
  const uint16_t* K = a.k_heads[g];
  const uint16_t* V = a.v_heads[g];
  // keys j0 .. j0 + nb - 1 of one head as f32 rows (nb, hd)
  auto convert_block = [&](const uint16_t* src, int64_t j0, int64_t nb) {
    convert_rows(src + size_t(j0) * a.stride, a.stride, nb, hd, 0, hd, blk);
  };
  auto visible = [&](int64_t i, int64_t j0, int64_t nb) { return std::min<int64_t>(nb, a.pos0 + i - j0 + 1); };
  // llama.cpp's sum orders with AVX2: several keys per pass, same results (batch_kernels.h)
  const int fast = a.numerics == AttentionNumerics::LLAMA_CPP ? fast_lanes(math.v_order(), hd) : 0;
  const BatchKernels& bk = batch_kernels();  // the build fast_lanes() clears for (batch_kernels.h)
  // One query (decode): the kernels read the f16 rows directly (widened in
  // registers). Several queries share each converted block instead.
  const bool direct = fast && i1 - i0 == 1;

  // keys before `first` are masked for every query of the tile (its first sees the fewest)
  const int64_t first = first_unmasked_block(a, a.pos0 + i0);

  // pass 1: scores
  for (int64_t j0 = first; j0 < n_keys; j0 += kKeyBlock) {
    const int64_t nb = std::min<int64_t>(kKeyBlock, n_keys - j0);
    if (!direct) convert_block(K, j0, nb);
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t nv = visible(i, j0, nb);
      for (int hh = 0; hh < n_gqa; ++hh) {
        const int64_t r = (i - i0) * n_gqa + hh;
        if (direct && nv > 0) {
          bk.dots_h(qh + r * hd, K + size_t(j0) * a.stride, a.stride, nv, hd, fast, a.scale, S + r * n_keys + j0);
          continue;
        }
        if (fast && nv > 0) {
          bk.dots(qh + r * hd, blk, nv, hd, fast, a.scale, S + r * n_keys + j0);
          continue;
        }
        for (int64_t j = 0; j < nv; ++j)
          S[r * n_keys + j0 + j] = a.scale * math.dot(qh + r * hd, blk + j * hd, hd);
      }
    }
  }
  // softmax over each query's visible keys, probabilities rounded to f16
  for (int64_t i = i0; i < i1; ++i)
    for (int hh = 0; hh < n_gqa; ++hh) {
      float* s = S + ((i - i0) * n_gqa + hh) * n_keys;
      const int64_t n = a.pos0 + i + 1;
      mask_before_window(a, a.pos0 + i, s, first);
      if (a.sinks) math.softmax_with_sink(s + first, n - first, a.sinks[g * n_gqa + hh]);
      else math.softmax(s + first, n - first);
    }
  if (wants_key_weights(a)) sum_group_probs(S, size_t(n_keys), n_gqa, 0, n_keys, a.key_weights + size_t(g) * size_t(n_keys));
  if (acc.size() < size_t(rows)) acc.resize(size_t(rows));
  for (int64_t r = 0; r < rows; ++r) acc[size_t(r)].reset(math.v_order(), hd);
  // pass 2: p . V, key by key in order (direct: longer blocks, see kVBlock)
  std::vector<float*> whole_acc(static_cast<size_t>(rows));
  std::vector<const float*> whole_p(static_cast<size_t>(rows));
  const int64_t v_block = direct ? kVBlock : kPvKeyBlock;
  for (int64_t j0 = first; j0 < n_keys; j0 += v_block) {
    const int64_t nb = std::min<int64_t>(v_block, n_keys - j0);
    if (!direct) convert_block(V, j0, nb);
    int n_whole = 0;  // rows that see the whole block: one pv_rows call for them all
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t nv = visible(i, j0, nb);
      for (int hh = 0; hh < n_gqa; ++hh) {
        const int64_t r = (i - i0) * n_gqa + hh;
        if (fast && !direct && nv == nb) {
          whole_acc[size_t(n_whole)] = acc[size_t(r)].lane_rows();
          whole_p[size_t(n_whole++)] = S + r * n_keys + j0;
          continue;
        }
        if (direct && nv > 0) {  // blocks start at multiples of the lanes: key j0 + j is on lane j % lanes
          bk.pv_cols_h(acc[size_t(r)].lane_rows(), S + r * n_keys + j0, V + size_t(j0) * a.stride, a.stride, nv,
                          hd, fast, 0, hd);
          continue;
        }
        if (fast && nv > 0) {  // blocks start at multiples of the lanes: key j0 + j is on lane j % lanes
          bk.pv(acc[size_t(r)].lane_rows(), S + r * n_keys + j0, blk, nv, hd, fast);
          continue;
        }
        for (int64_t j = 0; j < nv; ++j) acc[size_t(r)].add(j0 + j, S[r * n_keys + j0 + j], blk + j * hd);
      }
    }
    if (n_whole > 0) bk.pv_rows(whole_acc.data(), whole_p.data(), n_whole, blk, nb, hd, fast);
  }
  for (int64_t i = i0; i < i1; ++i)
    for (int hh = 0; hh < n_gqa; ++hh)
      acc[size_t((i - i0) * n_gqa + hh)].finish(a.out + (size_t(i) * a.n_head + size_t(g) * n_gqa + hh) * hd);
}

// One query (decode) over a long context: threads split the keys for the
// scores (then a global max and sum), and split (KV group, column range) jobs
// for p . V, so both cores stay busy with fewer KV groups than threads. Each
// output column of a head is its own chain over the keys in order (llama.cpp's
// dot of V^T's row with the probabilities), so splitting columns changes no sum.
// With the several-keys kernels (fast), the f16 rows are read directly.
void decode_split_keys(const CausalAttentionArgs& a, ThreadPool& pool) {
  const int hd = a.hd, n_gqa = a.n_head / a.n_head_kv, T = pool.size(), H = a.n_head;
  const int64_t n_keys = a.pos0 + 1;
  const AttentionMath math(a.numerics, 1);
  const int fast = a.numerics == AttentionNumerics::LLAMA_CPP ? fast_lanes(math.v_order(), hd) : 0;
  const BatchKernels& bk = batch_kernels();  // the build fast_lanes() clears for (batch_kernels.h)
  std::vector<float> qh(size_t(H) * hd), S(size_t(H) * n_keys);
  std::vector<float> tmax(size_t(T) * H);
  std::vector<double> tsum(size_t(T) * H);
  math.prepare_q(a.q, qh.data(), int64_t(H) * hd);
  // thread ranges start at multiples of 16 keys, so exp's lane chunks are ggml's
  // (a sliding window's masked blocks, before `first`, are left out of every range)
  const int64_t n_chunks = (n_keys + 15) / 16;
  const int64_t first = first_unmasked_block(a, a.pos0);
  auto range = [&](int t, int64_t& j0, int64_t& j1) {
    j0 = std::min(n_keys, n_chunks * t / T * 16);
    j1 = std::min(n_keys, n_chunks * (t + 1) / T * 16);
    j0 = std::min(j1, std::max(j0, first));
  };
  pool.run([&](int t) {
    int64_t j0, j1;
    range(t, j0, j1);
    std::vector<float> blk(fast ? 0 : size_t(kKeyBlock) * hd);  // rows as f32 (general path only)
    for (int g = 0; g < a.n_head_kv; ++g)
      for (int64_t b0 = j0; b0 < j1; b0 += kKeyBlock) {
        const int64_t nb = std::min<int64_t>(kKeyBlock, j1 - b0);
        const uint16_t* rows = a.k_heads[g] + size_t(b0) * a.stride;
        if (!fast) convert_rows(rows, a.stride, nb, hd, 0, hd, blk.data());
        for (int hh = 0; hh < n_gqa; ++hh) {
          const int h = g * n_gqa + hh;
          float* s = S.data() + size_t(h) * n_keys + b0;
          if (fast) {
            bk.dots_h(qh.data() + size_t(h) * hd, rows, a.stride, nb, hd, fast, a.scale, s);
            continue;
          }
          for (int64_t j = 0; j < nb; ++j) s[j] = a.scale * math.dot(qh.data() + size_t(h) * hd, blk.data() + j * hd, hd);
        }
      }
    for (int h = 0; h < H; ++h) {
      float* s = S.data() + size_t(h) * n_keys;
      mask_before_window(a, a.pos0, s, j0, j1);
      tmax[size_t(t) * H + h] = j1 > j0 ? max_f32(s + j0, j1 - j0) : -std::numeric_limits<float>::infinity();
    }
  });
  std::vector<float> m(static_cast<size_t>(H), -std::numeric_limits<float>::infinity());
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < H; ++h) m[size_t(h)] = std::max(m[size_t(h)], tmax[size_t(t) * H + h]);
  if (a.sinks)  // the sink joins the max, and its exp the sum below (AttentionMath::softmax_with_sink)
    for (int h = 0; h < H; ++h) m[size_t(h)] = std::max(m[size_t(h)], a.sinks[h]);
  pool.run([&](int t) {
    int64_t j0, j1;
    range(t, j0, j1);
    for (int h = 0; h < H; ++h) {
      float* s = S.data() + size_t(h) * n_keys;
      tsum[size_t(t) * H + h] = j1 > j0 ? math.exp_range(s + j0, j1 - j0, m[size_t(h)]) : 0.0;
    }
  });
  std::vector<float> inv(static_cast<size_t>(H));
  for (int h = 0; h < H; ++h) {
    double sum = 0;
    for (int t = 0; t < T; ++t) sum += tsum[size_t(t) * H + h];
    if (a.sinks) sum += double(std::exp(a.sinks[h] - m[size_t(h)]));
    inv[size_t(h)] = float(1.0 / sum);
  }
  pool.run([&](int t) {
    int64_t j0, j1;
    range(t, j0, j1);
    for (int h = 0; h < H; ++h) math.normalize(S.data() + size_t(h) * n_keys + j0, j1 - j0, inv[size_t(h)]);
    if (wants_key_weights(a))
      for (int g = 0; g < a.n_head_kv; ++g)
        sum_group_probs(S.data() + size_t(g) * n_gqa * n_keys, size_t(n_keys), n_gqa, j0, j1,
                        a.key_weights + size_t(g) * size_t(n_keys));
  });
  // p . V: jobs (group, column range); each column's keys in order on one thread
  const int n_col = fast ? std::max(1, std::min(hd / 8, (2 * T + a.n_head_kv - 1) / a.n_head_kv)) : 1;
  std::vector<OrderedAccumulator> acc(static_cast<size_t>(H));
  for (OrderedAccumulator& x : acc) x.reset(math.v_order(), hd);
  parallel_dynamic(&pool, int64_t(a.n_head_kv) * n_col, 1, [&](int64_t job, int) {
    const int g = int(job / n_col), c = int(job % n_col);
    const int d0 = fast ? hd / 8 * c / n_col * 8 : 0, d1 = fast ? hd / 8 * (c + 1) / n_col * 8 : hd;
    std::vector<float> blk(fast ? 0 : size_t(kKeyBlock) * hd);  // rows as f32 (general path only)
    // fast: blocks of kVBlock keys, so a lane's accumulators stay in registers
    // across many keys (loaded and stored once per block and lane)
    const int64_t block = fast ? kVBlock : kKeyBlock;
    for (int64_t b0 = first; b0 < n_keys; b0 += block) {
      const int64_t nb = std::min<int64_t>(block, n_keys - b0);
      const uint16_t* rows = a.v_heads[g] + size_t(b0) * a.stride;
      if (!fast) convert_rows(rows, a.stride, nb, hd, d0, d1, blk.data());
      for (int hh = 0; hh < n_gqa; ++hh) {
        const int h = g * n_gqa + hh;
        const float* p = S.data() + size_t(h) * n_keys + b0;
        if (fast) {  // b0 is a multiple of the lanes: key b0 + j is on lane j % lanes
          bk.pv_cols_h(acc[size_t(h)].lane_rows(), p, rows, a.stride, nb, hd, fast, d0, d1);
          continue;
        }
        for (int64_t j = 0; j < nb; ++j) acc[size_t(h)].add(b0 + j, p[j], blk.data() + j * hd);
      }
    }
  });
  for (int h = 0; h < H; ++h) acc[size_t(h)].finish(a.out + size_t(h) * hd);
}

}  // namespace

void causal_attention(const CausalAttentionArgs& a, ThreadPool& pool) {
  // Short contexts: one job per KV group (one pool sync); long ones: split the keys.
  if (a.n_tokens == 1 && pool.size() > 1 && a.pos0 + 1 >= kSplitKeysFrom) return decode_split_keys(a, pool);
  const int n_gqa = a.n_head / a.n_head_kv;
  const int64_t n_keys_max = a.pos0 + a.n_tokens;
  const int64_t q_tile = std::clamp<int64_t>(kScoreBudget / (int64_t(n_gqa) * n_keys_max), 1, kMaxQueryTile);
  const int64_t n_tiles = (a.n_tokens + q_tile - 1) / q_tile;
  const int64_t n_jobs = n_tiles * a.n_head_kv;
  // Jobs are (tile, group) pairs; later tiles see more keys, so interleave them
  // across threads instead of giving each thread a contiguous range.
  pool.run([&](int t) {
    std::vector<float> buf;
    std::vector<OrderedAccumulator> acc;
    for (int64_t job = t; job < n_jobs; job += pool.size()) {
      const int g = int(job % a.n_head_kv);
      const int64_t ti = job / a.n_head_kv;
      const int64_t i0 = ti * q_tile, i1 = std::min(a.n_tokens, i0 + q_tile);
      tile(a, g, i0, i1, buf, acc);
    }
  });
}

}  // namespace tome
