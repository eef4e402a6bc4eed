#include "model/retrieval_attention.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include "attention/partial_attention.h"
#include "attention/vec_kernels.h"
#include "attention/vector_exp.h"
#include "common/error.h"
#include "cpu/quant.h"
#include "cpu/thread_pool.h"
#include "model/query_sample.h"
#include "model/retrieval_step.h"
#include "retrieval/dot_kernels.h"
#include "retrieval/flat_index.h"
#include "retrieval/ivf_index.h"
#include "retrieval/roar_graph.h"

namespace tome {

namespace {
using Clock = std::chrono::steady_clock;

// Smallest context (beyond sinks + window) worth an index; below it attention stays exact.
constexpr int64_t kMinIndexedKeys = 256;

}  // namespace

// ---- the static set on the CPU ------------------------------------------------

void CpuStaticSet::attend(int layer, int group, const float* q, int n_q, int64_t pos, int sinks, int window,
                          float scale, float* out, float* lse) {
  thread_local std::vector<float> scratch, o2, l2;
  const KvRows rows = kv_.rows(layer, group);
  const int64_t n_sink = std::min<int64_t>(sinks, pos + 1);
  const int64_t w0 = std::max<int64_t>(n_sink, pos + 1 - window);  // first window position
  attend_rows(q, n_q, rows, n_sink, hd_, scale, out, lse, scratch, numerics_);
  o2.resize(size_t(n_q) * hd_);
  l2.resize(size_t(n_q));
  KvRows win{rows.k + size_t(w0) * rows.stride, rows.v + size_t(w0) * rows.stride, rows.stride};
  attend_rows(q, n_q, win, pos + 1 - w0, hd_, scale, o2.data(), l2.data(), scratch, numerics_);
  merge_partial(out, lse, o2.data(), l2.data(), n_q, hd_);
}

// ---- RetrievalAttention ---------------------------------------------------------

RetrievalAttention::RetrievalAttention(const HParams& hp, const RetrievalSettings& s, const KvCache& kv)
    : hp_(hp), s_(s), kv_(kv), static_set_(new CpuStaticSet(kv, hp.head_dim, s.numerics)) {
  if (s_.sinks < 0 || s_.window < 1 || s_.top_k < 1)
    throw Error("BAD_ARGUMENT", "retrieval settings need sinks >= 0, window >= 1, top-k >= 1");
  if (!(s_.query_sample > 0 && s_.query_sample <= 1)) throw Error("BAD_ARGUMENT", "query sample must be in (0, 1]");
  if (s_.query_level < 0 || s_.query_level > kMaxQueryLevel) throw Error("BAD_ARGUMENT", "query level out of range");
  sample_stride_ = std::max<int64_t>(1, int64_t(std::llround(1.0 / s_.query_sample)));
  keep_threshold_ = query_threshold(s_.query_level);
  const size_t pairs = size_t(hp_.n_layer) * size_t(hp_.n_head_kv);
  index_.resize(pairs);
  queries_.resize(pairs);
  spilled_.assign(pairs, 0);
  indexed_end_.assign(size_t(hp_.n_layer), 0);
  for (int l = 0; l < hp_.n_layer; ++l) {
    layer_rank_.push_back(hp_.is_swa(l) ? -1 : n_indexed_layers_);
    if (!hp_.is_swa(l)) ++n_indexed_layers_;
  }
}

RetrievalAttention::~RetrievalAttention() = default;

bool RetrievalAttention::ready_to_build(int64_t n_past, bool mid_answer) const {
  if (s_.mode == AttentionMode::FULL || active_) return false;
  const int64_t keys = n_past - s_.sinks - s_.window;  // what the index would hold
  if (keys < kMinIndexedKeys) return false;
  return s_.full_below == 0 || (!mid_answer && keys >= s_.full_below);
}

void RetrievalAttention::capture_queries(int layer, const float* q, int64_t pos0, int64_t n) {
  if (!keeps_queries(layer)) return;
  const int hd = hp_.head_dim, n_gqa = hp_.n_gqa();
  for (int64_t i = 0; i < n; ++i) {
    if (!query_position_kept(pos0 + i, sample_stride_, keep_threshold_)) continue;
    for (int h = 0; h < hp_.n_head; ++h) {
      std::vector<uint16_t>& dst = queries_[size_t(layer) * hp_.n_head_kv + size_t(h / n_gqa)];
      const size_t at = dst.size();
      dst.resize(at + size_t(hd));
      quantize_row(GgmlType::BF16, q + (size_t(i) * hp_.n_head + size_t(h)) * hd, dst.data() + at, hd);
    }
  }
}

void RetrievalAttention::add_queries(int layer, int kv_head, const uint16_t* q, int64_t n) {
  if (!keeps_queries(layer)) return;
  std::vector<uint16_t>& dst = queries_[size_t(layer) * hp_.n_head_kv + size_t(kv_head)];
  dst.insert(dst.end(), q, q + n * hp_.head_dim);
}

void RetrievalAttention::add_queries(int layer, int kv_head, const float* q, int64_t n) {
  if (!keeps_queries(layer)) return;
  std::vector<uint16_t>& dst = queries_[size_t(layer) * hp_.n_head_kv + size_t(kv_head)];
  const size_t at = dst.size();
  dst.resize(at + size_t(n) * size_t(hp_.head_dim));
  quantize_row(GgmlType::BF16, q, dst.data() + at, n * hp_.head_dim);
}

double RetrievalAttention::build(int64_t n_past, ThreadPool& pool, const IndexBuilt& on_built,
                                 const std::function<void(int layer)>& before_layer) {
  auto t0 = Clock::now();
  for (int l = 0; l < hp_.n_layer; ++l) {
    if (before_layer) before_layer(l);
    build_layer(l, n_past, pool, on_built);
  }
  active_ = true;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

bool RetrievalAttention::restored_for(size_t pair, int64_t n_past) const {
  return index_[pair] && index_[pair]->size() == index_end(n_past) - s_.sinks;
}

bool RetrievalAttention::layer_restored(int l, int64_t n_past) const {
  for (int g = 0; g < hp_.n_head_kv; ++g)
    if (!restored_for(pair_of(l, g), n_past)) return false;
  return true;
}

void RetrievalAttention::build_layer(int l, int64_t n_past, ThreadPool& pool, const IndexBuilt& on_built) {
  if (!indexed_layer(l)) return;  // a sliding-window layer attends its window exactly (the session's)
  const int hd = hp_.head_dim;
  const int64_t end = index_end(n_past);
  const int64_t n = end - s_.sinks;
  for (int g = 0; g < hp_.n_head_kv; ++g)
    if (spilled_[pair_of(l, g)] > 0) throw Error("INTERNAL", "an index build found its queries still in the KV store");
  std::vector<float> keys(size_t(n) * hd);
  for (int g = 0; g < hp_.n_head_kv; ++g) {
    const size_t pair = size_t(l) * hp_.n_head_kv + size_t(g);
    if (restored_for(pair, n_past)) {  // kept: restored from the store at this build point
      std::vector<uint16_t>().swap(queries_[pair]);
      schedule_reconnect(pair);
      continue;
    }
    f16_to_f32_row(kv_.k(l, g) + size_t(s_.sinks) * hd, keys.data(), n * hd);
    switch (s_.mode) {
      case AttentionMode::RETRIEVAL: {
        GraphBuildParams p;
        p.M = s_.degree;
        p.R = s_.degree + s_.degree / 2;
        // training queries: 3/10 as many as keys, at least 4096, at most 32K. Half as
        // many as keys reached the recall of all of them at half the kNN cost (d 128,
        // bench_index); fewer keep the build within 10% of a 32K prefill as the prefill
        // gets faster (War and Peace, smol, 32K: 746.8 s of prefill and 78.8 s of build
        // with n / 2, 10.55%, once its attention read 64-key blocks; 587.1 and 62.8 s with
        // 2n / 5, 10.7%, once it ran on AVX-512). Each step costs up to a point of recall
        // at 32K keys (bench_index --workload ood --d 64 --n 32768 --cold 24, ef 300:
        // --train 16384 | 13107: 0.957 / 0.947; 13107 | 9830, seeds 1 and 3: 0.947 / 0.949
        // and 0.948 / 0.938; d 128: 0.979 / 0.976); from 107K keys on the cap applies as
        // before (recall@100 0.976 at 1.4% scanned over 128K keys)
        // (training_queries_wanted: seal_prefix sizes a read's query level by it)
        p.max_queries = training_queries_wanted(n);
        // the beam of the searches that link each key leaving the window:
        // 32 finds inserted keys as well as 48 (test_roar_graph's growing
        // graph: 0.977 vs 0.974 of them in the exact top-100) at 52.5 vs 58 us
        // an insert (bench_index --n 131072 --d 64 --inserts 5000 --ef-link
        // 32|48: recall 0.913 vs 0.914)
        p.ef_link = 32;
        if (s_.share_cache_keys && !guard_) p.shared_keys = kv_.k(l, g) + size_t(s_.sinks) * hd;
        std::vector<float> qs(queries_[pair].size());  // one pair's at a time
        dequantize_row(GgmlType::BF16, queries_[pair].data(), qs.data(), int64_t(qs.size()));
        auto graph = RoarGraphIndex::build(keys.data(), n, size_t(hd), hd, qs.data(), int64_t(qs.size() / hd),
                                           size_t(hd), p, &pool);
        index_[pair] = std::move(graph);
        schedule_reconnect(pair);
        break;
      }
      case AttentionMode::FLAT: {
        auto flat = std::make_unique<FlatIndex>(hd, nullptr);
        flat->add(keys.data(), n, size_t(hd));
        index_[pair] = std::move(flat);
        break;
      }
      case AttentionMode::IVF:
        index_[pair] = IvfIndex::build(keys.data(), n, size_t(hd), hd, IvfParams{}, &pool);
        break;
      default:
        break;
    }
    std::vector<uint16_t>().swap(queries_[pair]);
    if (on_built && index_[pair]) on_built(l, g, *index_[pair]);
  }
  indexed_end_[size_t(l)] = end;
}

void RetrievalAttention::unbuild_layer(int layer, const std::vector<bool>& kept) {
  if (active_) throw Error("BAD_ARGUMENT", "an index in use cannot be unbuilt");
  for (int g = 0; g < hp_.n_head_kv; ++g)
    if (!kept[size_t(g)]) index_[size_t(layer) * hp_.n_head_kv + size_t(g)].reset();
  indexed_end_[size_t(layer)] = 0;
}

void RetrievalAttention::set_index(int layer, int kv_head, std::unique_ptr<KeyIndex> index) {
  if (layer < 0 || layer >= hp_.n_layer || kv_head < 0 || kv_head >= hp_.n_head_kv)
    throw Error("BAD_ARGUMENT", "index for a layer or KV head out of range");
  index_[size_t(layer) * hp_.n_head_kv + size_t(kv_head)] = std::move(index);
}

// Spreads the indexes' reconnect points over reconnect_every inserts.
void RetrievalAttention::schedule_reconnect(size_t pair) {
  if (auto* graph = dynamic_cast<RoarGraphIndex*>(index_[pair].get()))
    graph->reconnect_every(s_.reconnect_every, int64_t(pair) * s_.reconnect_every / int64_t(index_.size()));
}

void RetrievalAttention::activate(int64_t built_at) {
  for (size_t pair = 0; pair < index_.size(); ++pair) {
    if (!indexed_layer(int(pair / size_t(hp_.n_head_kv)))) continue;
    if (!index_[pair]) throw Error("STORE_CORRUPT", "a restored retrieval index is missing");
    std::vector<uint16_t>().swap(queries_[pair]);
    schedule_reconnect(pair);
  }
  spilled_.assign(spilled_.size(), 0);
  for (int l = 0; l < hp_.n_layer; ++l) indexed_end_[size_t(l)] = indexed_layer(l) ? index_end(built_at) : 0;
  active_ = true;
}

void RetrievalAttention::forget_queries_from(int64_t n) {
  if (active_) return;
  const int64_t positions = count_kept_positions(n, sample_stride_, s_.query_level);  // kept p < n
  const size_t keep = size_t(positions) * size_t(hp_.n_gqa()) * size_t(hp_.head_dim);
  for (size_t pair = 0; pair < queries_.size(); ++pair) {
    std::vector<uint16_t>& q = queries_[pair];
    if (spilled_[pair] >= keep) {  // the cut falls among the store's rows
      spilled_[pair] = keep;
      std::vector<uint16_t>().swap(q);
    } else if (spilled_[pair] + q.size() > keep) {
      q.resize(keep - spilled_[pair]);
    }
  }
}

void RetrievalAttention::spill_queries(int layer, int kv_head) {
  const size_t pair = pair_of(layer, kv_head);
  spilled_[pair] += queries_[pair].size();
  std::vector<uint16_t>().swap(queries_[pair]);
}

void RetrievalAttention::note_spilled(int layer, int kv_head, size_t values) {
  const size_t pair = pair_of(layer, kv_head);
  if (active_ || !queries_[pair].empty() || spilled_[pair] != 0)
    throw Error("INTERNAL", "stored queries noted after others were captured");
  if (keeps_queries(layer)) spilled_[pair] = values;
}

void RetrievalAttention::unspill_queries(int layer, int kv_head, std::vector<uint16_t>&& front) {
  const size_t pair = pair_of(layer, kv_head);
  if (front.size() != spilled_[pair]) throw Error("INTERNAL", "stored queries brought back do not match those spilled");
  front.insert(front.end(), queries_[pair].begin(), queries_[pair].end());
  queries_[pair].swap(front);
  std::vector<uint16_t>().swap(front);
  spilled_[pair] = 0;
}

bool RetrievalAttention::any_spilled() const {
  return std::any_of(spilled_.begin(), spilled_.end(), [](size_t v) { return v > 0; });
}

size_t RetrievalAttention::query_ram_bytes() const {
  size_t bytes = 0;
  for (const std::vector<uint16_t>& q : queries_) bytes += q.capacity() * sizeof(uint16_t);
  return bytes;
}

bool RetrievalAttention::set_query_level(int level) {
  if (level < 0 || level > kMaxQueryLevel) throw Error("BAD_ARGUMENT", "query level out of range");
  if (active_ || any_spilled()) return false;
  for (const std::vector<uint16_t>& q : queries_)
    if (!q.empty()) return false;
  s_.query_level = level;
  keep_threshold_ = query_threshold(level);
  return true;
}

void RetrievalAttention::insert_until(int layer, int64_t end) {
  int64_t& cur = indexed_end_[size_t(layer)];
  if (end <= cur) return;
  for (int g = 0; g < hp_.n_head_kv; ++g) insert_group_until(layer, g, cur, end, true);
  cur = end;
}

void RetrievalAttention::insert_group_until(int layer, int g, int64_t begin, int64_t end, bool own_epochs) {
  KeyIndex* idx = index_[size_t(layer) * hp_.n_head_kv + size_t(g)].get();
  if (!idx) return;
  const int hd = hp_.head_dim;
  std::vector<uint16_t> k_row, v_row;
  for (int64_t row = begin; row < end; ++row) {
    if (guard_) {  // after a restore, keys past the build point may sit in released blocks
      // (a serial catch-up copies each row out in a new epoch, so the hundreds
      // of keys a reopen's first step inserts need no room together)
      if (own_epochs) guard_->begin_epoch();
      const int32_t r = int32_t(row);
      k_row.resize(size_t(hd));
      v_row.resize(size_t(hd));
      guard_->gather_rows(layer, g, &r, 1, k_row.data(), v_row.data());
      idx->insert_f16(k_row.data());
      continue;
    }
    idx->insert_f16(kv_.k(layer, g) + size_t(row) * hd);
  }
}

bool RetrievalAttention::monitored(int layer, int g) const {
  if (s_.monitor_every <= 0 || step_ % s_.monitor_every != 0) return false;
  // A rotating sample of the indexed layers' (layer, group) pairs, monitor_heads per sampled step.
  const int64_t pairs = int64_t(n_indexed_layers_) * hp_.n_head_kv;
  if (pairs == 0 || layer_rank_[size_t(layer)] < 0) return false;
  const int64_t first = (step_ / s_.monitor_every) * s_.monitor_heads % pairs;
  const int64_t idx = int64_t(layer_rank_[size_t(layer)]) * hp_.n_head_kv + g;
  const int64_t off = (idx - first + pairs) % pairs;
  return off < std::min<int64_t>(s_.monitor_heads, pairs);
}

// The monitor, for a sampled KV group's n_q query heads: exact scores over the
// whole context; per head, recall@k of the attended keys among the exact top-k
// of the indexed span, and the share of the softmax mass on attended keys
// (static set + the group's retrieved rows). Its cost grows with the context
// (at 128K keys one group's scan is 16 MB of keys and 3 x 128K exps), so the
// scan is split into chunks of the context that the step's threads share
// (monitor_scores), then each head's softmax and top-k is a task of its own
// (monitor_head); its time is a phase of its own in the step stats.

// Scores q . k (unscaled) of the group's n_q heads for context rows [c0, c1)
// into s (n_q rows of n_ctx). Keys in three runs of rows: indexed keys through
// the index (the same f16 values; under a RAM budget its own copy, so the
// monitor reads no released block); the rest from the cache. The kernel flat's
// scan uses (f16 rows widened in registers).
void RetrievalAttention::monitor_scores(int layer, int g, const float* q, int n_q, int64_t n_ctx, int64_t c0,
                                        int64_t c1, float* s) const {
  const int hd = hp_.head_dim;
  const KeyIndex* idx = index_[size_t(layer) * hp_.n_head_kv + size_t(g)].get();
  const KvRows kv = kv_.rows(layer, g);
  const int64_t idx_begin = s_.sinks, idx_end = indexed_end_[size_t(layer)];
  const int64_t i0 = idx ? std::min(idx_begin, n_ctx) : n_ctx, i1 = idx ? std::min(idx_end, n_ctx) : n_ctx;
  // (an index paged out under the budget: each sub-chunk's indexed keys copied
  // out of its records once, for all heads)
  const bool in_ram = !idx || idx->keys_in_ram();
  thread_local std::vector<uint16_t> paged_rows;
  int64_t p0 = 0;
  auto rows_at = [&](int64_t j) {
    if (j < i0 || j >= i1) return kv.k + size_t(j) * kv.stride;
    return in_ram ? idx->key_rows().row(j - i0) : paged_rows.data() + size_t(j - p0) * size_t(hd);
  };
  constexpr int64_t kSub = 1024;  // 128 KB of keys at head dim 64: stays in L2 while every head scores it
  for (int64_t a0 = c0; a0 < c1; a0 += kSub) {
    const int64_t a1 = std::min(c1, a0 + kSub);
    p0 = std::max(a0, i0);
    const int64_t p1 = std::min(a1, i1);
    if (!in_ram && p1 > p0) {
      paged_rows.resize(size_t(p1 - p0) * size_t(hd));
      idx->copy_keys(p0 - i0, p1 - p0, paged_rows.data());
    }
    for (int h = 0; h < n_q; ++h)
      for (int64_t a = a0; a < a1;) {  // the sub-chunk's part in each run
        const int64_t b = a < i0 ? std::min(a1, i0) : a < i1 ? std::min(a1, i1) : a1;
        const size_t stride = a >= i0 && a < i1 ? size_t(hd) : kv.stride;
        dots_rows_h(q + size_t(h) * hd, rows_at(a), stride, b - a, hd, s + size_t(h) * n_ctx + a);
        a = b;
      }
  }
}

// One head's recall and mass from its row of scores sh (n_ctx, scaled in place).
void RetrievalAttention::monitor_head(int layer, float* sh, int64_t n_ctx, const std::vector<int32_t>& rows,
                                      HeadResult& r) const {
  const float scale = hp_.kq_scale();
  const int64_t idx_begin = s_.sinks, idx_end = indexed_end_[size_t(layer)];
  thread_local std::vector<float> e;
  e.resize(size_t(n_ctx));
  for (int64_t j = 0; j < n_ctx; ++j) sh[j] *= scale;
  const float m = max_f32(sh, n_ctx);
  const double total = softmax_exp(sh, n_ctx, m, e.data());
  double kept = 0;  // the static set: [0, sinks) and [indexed end, n_ctx); then the retrieved rows
  for (int64_t j = 0; j < std::min(idx_begin, n_ctx); ++j) kept += e[size_t(j)];
  for (int64_t j = std::max(idx_begin, std::min(idx_end, n_ctx)); j < n_ctx; ++j) kept += e[size_t(j)];
  for (int32_t p : rows) kept += e[size_t(p)];  // all in the indexed span
  r.sampled = true;
  r.mass = kept / total;
  r.recall = 1.0;
  const int64_t n_idx = std::max<int64_t>(0, std::min(idx_end, n_ctx) - idx_begin);
  const int k = int(std::min<int64_t>(s_.top_k, n_idx));
  if (k <= 0) return;
  thread_local TopK top;
  top.reset(k);
  for (int64_t j = idx_begin; j < idx_begin + n_idx; ++j)
    if (sh[j] > top.threshold()) top.push(sh[j], int32_t(j));  // ids rise: an equal score never enters
  int64_t hit = 0;
  for (int i = 0; i < top.size(); ++i) hit += std::binary_search(rows.begin(), rows.end(), top.at(i).id);  // rows: ascending
  r.recall = double(hit) / double(k);
}

void RetrievalAttention::set_row_guard(KvRowGuard* guard) {
  if (guard)
    for (const auto& idx : index_)
      if (idx) idx->own_keys();
  guard_ = guard;
}

size_t RetrievalAttention::index_bytes() const {
  size_t b = 0;
  for (const auto& idx : index_)
    if (idx) b += idx->bytes();
  return b;
}

}  // namespace tome
