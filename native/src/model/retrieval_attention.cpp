#include "model/retrieval_attention.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>

#include "attention/partial_attention.h"
#include "attention/vec_kernels.h"
#include "attention/vector_exp.h"
#include "common/error.h"
#include "cpu/quant.h"
#include "cpu/thread_pool.h"
#include "model/query_sample.h"
#include "retrieval/dot_kernels.h"
#include "retrieval/flat_index.h"
#include "retrieval/ivf_index.h"
#include "cpu/parallel.h"
#include "retrieval/roar_graph.h"

namespace tome {

namespace {
// An index's keys as rows in RAM: its own, or (a graph paged out under the
// budget that an exact scan reads: it fell below exact_below) a copy.
const KeyMatrix& keys_of(const KeyIndex& idx) {
  if (idx.keys_in_ram()) return idx.key_rows();
  thread_local KeyMatrix copy;
  copy = KeyMatrix(idx.dim());
  copy.storage().resize(size_t(idx.size()) * size_t(idx.dim()));
  idx.copy_keys(0, idx.size(), copy.storage().data());
  return copy;
}

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }
// Whole nanoseconds, for times tasks on several threads add up in an atomic
// (microseconds truncated a monitor task of a few us by up to a third).
int64_t ns_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

// Smallest context (beyond sinks + window) worth an index; below it attention stays exact.
constexpr int64_t kMinIndexedKeys = 256;

// Context rows per task of the monitor's exact scan (1 MB of keys at head dim
// 64): a 128K context is 16 tasks per sampled group, shared by the threads.
constexpr int64_t kMonitorChunk = 8192;

// Under a RAM budget, the most keys per index a layer inserts in parallel
// tasks, their rows held together in one epoch (a decode step inserts one).
constexpr int64_t kInsertsInTasks = 8;

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

// What one query head's share of a layer's step produced (see attend_layer).
struct RetrievalAttention::HeadResult {
  double static_ms = 0, search_ms = 0, retrieved_ms = 0, merge_ms = 0;
  int64_t scanned = 0, indexed = 0, retrieved = 0;
  float lse = 0;                 // static set's log-sum-exp, then the merged one
  SearchResult found;            // this head's search (kMean, kJoint: the group's, in its first head)
  std::vector<int32_t> positions;
  std::vector<float> weights;    // each retrieved key's weight in this head's merged softmax
  bool sampled = false;
  double recall = 0, mass = 0;
};

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
  indexed_end_.assign(size_t(hp_.n_layer), 0);
  for (int l = 0; l < hp_.n_layer; ++l) {
    layer_rank_.push_back(hp_.is_swa(l) ? -1 : n_indexed_layers_);
    if (!hp_.is_swa(l)) ++n_indexed_layers_;
  }
  inserted_.reset(new std::atomic<bool>[size_t(hp_.n_head_kv)]);
}

RetrievalAttention::~RetrievalAttention() = default;

bool RetrievalAttention::ready_to_build(int64_t n_past) const {
  return s_.mode != AttentionMode::FULL && !active_ && n_past >= s_.sinks + s_.window + kMinIndexedKeys;
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

double RetrievalAttention::build(int64_t n_past, ThreadPool& pool, const IndexBuilt& on_built) {
  auto t0 = Clock::now();
  for (int l = 0; l < hp_.n_layer; ++l) build_layer(l, n_past, pool, on_built);
  active_ = true;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void RetrievalAttention::build_layer(int l, int64_t n_past, ThreadPool& pool, const IndexBuilt& on_built) {
  if (!indexed_layer(l)) return;  // a sliding-window layer attends its window exactly (the session's)
  const int hd = hp_.head_dim;
  const int64_t end = index_end(n_past);
  const int64_t n = end - s_.sinks;
  std::vector<float> keys(size_t(n) * hd);
  for (int g = 0; g < hp_.n_head_kv; ++g) {
    const size_t pair = size_t(l) * hp_.n_head_kv + size_t(g);
    // restored from the store at this build point; one restored at an earlier
    // point (a build cut short, then more context) lacks keys: built again
    if (index_[pair] && index_[pair]->size() == n) {
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
  for (int l = 0; l < hp_.n_layer; ++l) indexed_end_[size_t(l)] = indexed_layer(l) ? index_end(built_at) : 0;
  active_ = true;
}

void RetrievalAttention::forget_queries_from(int64_t n) {
  if (active_) return;
  const int64_t positions = count_kept_positions(n, sample_stride_, s_.query_level);  // kept p < n
  const size_t keep = size_t(positions) * size_t(hp_.n_gqa()) * size_t(hp_.head_dim);
  for (std::vector<uint16_t>& q : queries_)
    if (q.size() > keep) q.resize(keep);
}

bool RetrievalAttention::set_query_level(int level) {
  if (level < 0 || level > kMaxQueryLevel) throw Error("BAD_ARGUMENT", "query level out of range");
  if (active_) return false;
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

// One layer of a decode step, in two parallel phases:
//   1. small tasks, so that a few KV groups (3 in SmolLM-like shapes) keep every
//      thread busy: each group's inserts (keys that left the window), the
//      searches (one per query head, or one per group with kMean / kJoint; a group's
//      wait for its inserts), then the static set of each group (its heads
//      together: rows converted once);
//   2. per KV group: its heads' attention over the group's retrieved rows (the
//      union of the group's searches, best first), merged into the static result;
//      then the monitor's scan of the sampled groups in chunks, and their heads.
// Between them the caller forms each group's rows and makes them resident.
// Each head's numbers do not depend on the split: the kernels treat heads
// independently.
void RetrievalAttention::attend_layer(int layer, const float* q, int64_t pos, float* out, StepStats& st,
                                      ThreadPool& pool) {
  if (guard_) guard_->begin_epoch();
  const int64_t insert_end = std::max<int64_t>(s_.sinks, pos + 1 - s_.window);
  // Keys that left the window join their group's index before that group's
  // searches: as phase-1 tasks, one per group, that the group's searches wait
  // for (each index sees the same inserts in the same order: the same result
  // as inserting serially). Under a RAM budget the rows come through the row
  // guard, which serves distinct (layer, KV head) pairs at once: a step's few
  // keys are copied out in the tasks, in this layer's epoch; a longer
  // catch-up (a reopen's first step) runs serially here, an epoch a key.
  const int64_t to_insert = insert_end - indexed_end_[size_t(layer)];
  const bool insert_tasks = to_insert > 0 && (!guard_ || to_insert <= kInsertsInTasks);
  double insert_ms = 0;
  if (!insert_tasks) {
    const auto t = Clock::now();
    insert_until(layer, insert_end);
    st.index_insert_ms += ms_since(t);
  }
  const int G = hp_.n_head_kv, H = hp_.n_head, n_gqa = hp_.n_gqa(), hd = hp_.head_dim;
  const float scale = hp_.kq_scale();
  const bool per_head = s_.group == GroupMode::kUnion || n_gqa == 1;
  heads_.resize(size_t(H));
  for (HeadResult& r : heads_) r = HeadResult{};
  auto index_of = [&](int g) { return index_[size_t(layer) * G + size_t(g)].get(); };
  // Search tasks: (group, head), head -1 = one search for the whole group: an
  // exact scan (an index below exact_below keys, counting this step's inserts:
  // under the crossover a scan of every key costs less than a graph search),
  // or the kMean / kJoint search. The group's first head holds a group search's result.
  const int64_t pending = insert_tasks ? insert_end - indexed_end_[size_t(layer)] : 0;
  group_exact_.assign(size_t(G), 0);
  search_tasks_.clear();
  for (int g = 0; g < G; ++g) {
    const KeyIndex* idx = index_of(g);
    // flat mode: every group by one scan (each key read once for its heads)
    group_exact_[size_t(g)] = idx && (s_.mode == AttentionMode::FLAT ||
                                      (s_.exact_below > 0 && idx->size() + pending < s_.exact_below));
    if (per_head && !group_exact_[size_t(g)])
      for (int i = 0; i < n_gqa; ++i) search_tasks_.push_back({g, g * n_gqa + i});
    else
      search_tasks_.push_back({g, -1});
  }
  // Under a RAM budget an index paged out serves its searches through one
  // record cache (and its lock): the groups' heads interleaved, so that the
  // threads search different indexes at once.
  if (guard_) {
    auto rank = [&](const std::pair<int, int>& t) { return t.second < 0 ? 0 : t.second - t.first * n_gqa; };
    std::stable_sort(search_tasks_.begin(), search_tasks_.end(),
                     [&](const std::pair<int, int>& a, const std::pair<int, int>& b) { return rank(a) < rank(b); });
  }
  const int n_search = int(search_tasks_.size());

  SearchParams p;
  p.ef = s_.ef > 0 ? s_.ef : 0;
  if (widen_steps_ > 0) p.widen = 2;
  p.nprobe = s_.nprobe;
  p.group = s_.group;

  // tasks: [inserts (G, when insert_tasks)] [searches (n_search)] [static sets (G)]
  const int n_insert = insert_tasks ? G : 0;
  std::atomic<bool>* const inserted = inserted_.get();
  for (int g = 0; g < G; ++g) inserted[g].store(!insert_tasks);
  std::atomic<int64_t> insert_ns{0};
  auto t0 = Clock::now();
  parallel_dynamic(&pool, n_insert + n_search + G, 1, [&](int64_t task, int) {
    if (task < n_insert) {
      const int g = int(task);
      const auto t = Clock::now();
      // (set even when the insert throws: the group's searches wait for it,
      // and the step then fails with the insert's error)
      struct Done {
        std::atomic<bool>& flag;
        ~Done() { flag.store(true, std::memory_order_release); }
      } done{inserted[size_t(g)]};
      insert_group_until(layer, g, indexed_end_[size_t(layer)], insert_end, false);
      insert_ns += ns_since(t);
      return;
    }
    task -= n_insert;
    if (task < n_search) {
      const int g = search_tasks_[size_t(task)].first, head = search_tasks_[size_t(task)].second;
      const int h = head >= 0 ? head : g * n_gqa;
      // Tasks are handed out in order, so this group's insert is already
      // running on another thread (or done): a short wait at most.
      while (!inserted[size_t(g)].load(std::memory_order_acquire)) std::this_thread::yield();
      const KeyIndex* idx = index_of(g);
      if (!idx || idx->size() == 0) return;
      HeadResult& r = heads_[size_t(h)];
      SearchParams ph = p;
      ph.k = int(std::min<int64_t>(s_.top_k, idx->size()));
      auto t = Clock::now();
      if (head >= 0) idx->search(q + size_t(h) * hd, ph, r.found);
      else if (group_exact_[size_t(g)]) exact_search_group(keys_of(*idx), q + size_t(h) * hd, n_gqa, ph.k, r.found);
      else idx->search_group(q + size_t(h) * hd, n_gqa, ph, r.found);
      r.search_ms += ms_since(t);
      r.scanned += r.found.keys_scanned;
      r.indexed += idx->size();
      return;
    }
    const int g = int(task - n_search);
    thread_local std::vector<float> lse;
    lse.resize(size_t(n_gqa));
    auto t = Clock::now();
    static_set_->attend(layer, g, q + size_t(g) * n_gqa * hd, n_gqa, pos, s_.sinks, s_.window, scale,
                        out + size_t(g) * n_gqa * hd, lse.data());
    for (int i = 0; i < n_gqa; ++i) heads_[size_t(g * n_gqa + i)].lse = lse[i];
    heads_[size_t(g * n_gqa)].static_ms += ms_since(t);
  });
  if (insert_tasks) indexed_end_[size_t(layer)] = insert_end;
  insert_ms = 1e-6 * double(insert_ns.load());

  // each group's retrieved rows: the union of its heads' results, ascending,
  // so that the attention pass reads the cache's rows in address order (rows
  // sharing a page or a line are read together) and sums them in context
  // order, as full attention does; the monitor looks positions up in it
  group_rows_.resize(size_t(G));
  for (int g = 0; g < G; ++g) {
    std::vector<int32_t>& rows = group_rows_[size_t(g)];
    rows.clear();
    const bool by_head = per_head && !group_exact_[size_t(g)];
    for (int i = 0; i < (by_head ? n_gqa : 1); ++i) {
      const SearchResult& f = heads_[size_t(g * n_gqa + i)].found;
      for (int32_t id : f.ids) rows.push_back(int32_t(s_.sinks + id));
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  }

  // Phase 2 per KV group: its heads attend to the group's rows in one pass, so
  // each retrieved K and V row is read from memory once, not once per head
  // (random rows: the pass is memory-bound). Heads are independent in the
  // kernel, so each head's numbers are what a pass of its own would give.
  // After the groups, the monitor's exact scan of this layer's sampled groups,
  // a chunk of the context a task (in one task a 128K context's scan held one
  // thread ~1.7 ms while the other waited); then each sampled head's softmax.
  monitor_groups_.clear();
  for (int g = 0; g < G; ++g)
    if (monitored(layer, g)) monitor_groups_.push_back(g);
  const int64_t n_ctx = pos + 1;
  const int64_t n_chunks = (n_ctx + kMonitorChunk - 1) / kMonitorChunk;
  const int64_t n_monitor = int64_t(monitor_groups_.size()) * n_chunks;
  if (monitor_scores_.size() < monitor_groups_.size()) monitor_scores_.resize(monitor_groups_.size());
  for (size_t i = 0; i < monitor_groups_.size(); ++i) monitor_scores_[i].resize(size_t(n_gqa) * size_t(n_ctx));
  std::atomic<int64_t> monitor_ns{0};
  parallel_dynamic(&pool, G + n_monitor, 1, [&](int64_t task, int) {
    if (task >= G) {
      const int64_t i = (task - G) / n_chunks, c0 = (task - G) % n_chunks * kMonitorChunk;
      const int g = monitor_groups_[size_t(i)];
      const auto t = Clock::now();
      monitor_scores(layer, g, q + size_t(g) * n_gqa * hd, n_gqa, n_ctx, c0, std::min(n_ctx, c0 + kMonitorChunk),
                     monitor_scores_[size_t(i)].data());
      monitor_ns += ns_since(t);
      return;
    }
    const int g = int(task), h0 = g * n_gqa;
    const std::vector<int32_t>& rows = group_rows_[size_t(g)];
    if (!rows.empty()) {
      thread_local std::vector<float> o_r, l_r, probs, scratch;
      const int64_t n = int64_t(rows.size());
      // under a RAM budget the rows are gathered, from RAM or read back, into a
      // contiguous copy (the groups' reads overlap); the kernel reads the same values
      thread_local std::vector<uint16_t> k_rows, v_rows;
      thread_local std::vector<int32_t> seq;
      KvRows kv = kv_.rows(layer, g);
      const int32_t* at = rows.data();
      if (guard_) {
        k_rows.resize(size_t(n) * hd);
        v_rows.resize(size_t(n) * hd);
        guard_->gather_rows(layer, g, rows.data(), n, k_rows.data(), v_rows.data());
        kv = KvRows{k_rows.data(), v_rows.data(), size_t(hd)};
        for (int64_t i = int64_t(seq.size()); i < n; ++i) seq.push_back(int32_t(i));
        at = seq.data();
      }
      o_r.resize(size_t(n_gqa) * hd);
      l_r.resize(size_t(n_gqa));
      probs.resize(size_t(n_gqa) * size_t(n));
      auto t = Clock::now();
      attend_gather(q + size_t(h0) * hd, n_gqa, kv, at, n, hd, scale, o_r.data(),
                    l_r.data(), scratch, probs.data(), s_.numerics);
      heads_[size_t(h0)].retrieved_ms += ms_since(t);
      heads_[size_t(h0)].retrieved += n;
      for (int i = 0; i < n_gqa; ++i) {
        HeadResult& r = heads_[size_t(h0 + i)];
        t = Clock::now();
        merge_partial(out + size_t(h0 + i) * hd, &r.lse, o_r.data() + size_t(i) * hd, &l_r[size_t(i)], 1, hd);
        const float w = std::exp(l_r[size_t(i)] - r.lse);  // the retrieved part's share of the merged softmax
        const float* p = probs.data() + size_t(i) * size_t(n);
        r.positions.assign(rows.begin(), rows.end());
        r.weights.resize(size_t(n));
        for (int64_t j = 0; j < n; ++j) r.weights[size_t(j)] = p[j] * w;
        r.merge_ms += ms_since(t);
      }
    }
  });
  // each sampled head's softmax, recall and mass, a task each
  parallel_dynamic(&pool, int64_t(monitor_groups_.size()) * n_gqa, 1, [&](int64_t task, int) {
    const int64_t i = task / n_gqa;
    const int g = monitor_groups_[size_t(i)], h = int(task % n_gqa);
    const auto t = Clock::now();
    monitor_head(layer, monitor_scores_[size_t(i)].data() + size_t(h) * size_t(n_ctx), n_ctx, group_rows_[size_t(g)],
                 heads_[size_t(g * n_gqa + h)]);
    monitor_ns += ns_since(t);
  });
  const double wall = ms_since(t0);

  // Phase times are per task on several threads; scale them so they add up to
  // the layer's wall time (the latency each phase is responsible for).
  const double monitor_ms = 1e-6 * double(monitor_ns.load());
  double busy = insert_ms + monitor_ms;
  for (const HeadResult& r : heads_) busy += r.static_ms + r.search_ms + r.retrieved_ms + r.merge_ms;
  const double f = busy > 0 ? wall / busy : 0;
  st.index_insert_ms += insert_ms * f;
  st.monitor_ms += monitor_ms * f;
  int sampled = 0;
  double recall = 0, mass = 0;
  for (int h = 0; h < H; ++h) {
    const HeadResult& r = heads_[size_t(h)];
    st.static_ms += r.static_ms * f;
    st.search_ms += r.search_ms * f;
    st.retrieved_ms += r.retrieved_ms * f;
    st.merge_ms += r.merge_ms * f;
    st.keys_scanned += r.scanned;
    st.keys_indexed += r.indexed;
    st.keys_retrieved += r.retrieved;
    st.add_position_weights(r.positions.data(), r.weights.data(), r.positions.size());
    if (r.sampled) {  // one sample per (layer, group): the mean over its heads
      if (h % n_gqa == 0) ++sampled;
      recall += r.recall / n_gqa;
      mass += r.mass / n_gqa;
    }
  }
  st.top_k = s_.top_k;
  if (sampled) {
    st.quality_samples += sampled;
    st.recall_sum += recall;
    st.mass_sum += mass;
    if (s_.widen_below > 0 && mass / sampled < s_.widen_below) {
      // the rest of this step and the next monitor_every steps (end_step()
      // counts this one down too), so the next monitor step measures the
      // widened beam and renews it while the mass stays low
      widen_steps_ = s_.monitor_every + 1;
      st.widened = true;
    }
  }
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
