// RetrievalAttention for one session (arXiv 2409.10516): after the prefill, each
// decode step of each layer attends to
//   the static set   the first `sinks` and the last `window` tokens (kept in the
//                    device tier: on the CPU for now, see StaticSet), and
//   retrieved keys   the top-k keys of an index per (layer, KV head) over the
//                    positions in between,
// and merges the two partial results exactly through their log-sum-exp.
// The index is built once from the prefill's keys and (a sample of) its queries;
// each key that leaves the window is inserted, so generated text and later turns
// stay retrievable. Modes: retrieval (attention-aware graph), flat (exact top-k,
// every key scanned), ivf (k-means lists over keys), streaming (static set only).
//
// Positions: [0, sinks) static | [sinks, indexed_end) in the index (id = pos - sinks)
//            | [indexed_end, pos] window, indexed_end = max(sinks, pos + 1 - window).
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "model/attention_mode.h"
#include "model/hparams.h"
#include "model/kv_cache.h"
#include "model/kv_residency.h"
#include "model/step_stats.h"
#include "retrieval/key_index.h"
#include "retrieval/node_pager.h"

namespace tome {

class ThreadPool;

// The device tier: attention over the static set. The CPU implementation reads
// the session's KV cache; the CUDA backend keeps its own copy on the GPU.
class StaticSet {
 public:
  virtual ~StaticSet() = default;
  // q (n_q, hd) of KV group g at layer l, context [0, pos]: (out (n_q, hd), lse (n_q)).
  virtual void attend(int layer, int group, const float* q, int n_q, int64_t pos, int sinks, int window,
                      float scale, float* out, float* lse) = 0;
};

class CpuStaticSet : public StaticSet {
 public:
  CpuStaticSet(const KvCache& kv, int head_dim, AttentionNumerics numerics)
      : kv_(kv), hd_(head_dim), numerics_(numerics) {}
  void attend(int layer, int group, const float* q, int n_q, int64_t pos, int sinks, int window, float scale,
              float* out, float* lse) override;

 private:
  const KvCache& kv_;
  int hd_;
  AttentionNumerics numerics_;
};

class RetrievalAttention {
 public:
  RetrievalAttention(const HParams& hp, const RetrievalSettings& s, const KvCache& kv);
  ~RetrievalAttention();

  const RetrievalSettings& settings() const { return s_; }
  // True once the indexes exist: attention from then on goes through attend().
  bool active() const { return active_; }
  // True when the session should switch to sparse attention before evaluating
  // more tokens: the mode is sparse and the context outgrew the static set, and
  // full_below unless mid_answer (a decoded token after another: the build
  // waits for the next prompt, RetrievalSettings::full_below).
  bool ready_to_build(int64_t n_past, bool mid_answer = false) const;

  // During the (full-attention) prefill: keeps this chunk's queries of layer l,
  // q (n, n_head, hd) for positions [pos0, pos0 + n), sampled by query_sample
  // and query_level, as bf16 rows (the graph only needs each training query's
  // top-k keys: bf16 rows give the same graph, bench_index at 32K and 128K keys).
  void capture_queries(int layer, const float* q, int64_t pos0, int64_t n);
  // Adds n query rows (hd each; bf16, or f32 rounded to it) to the training set of (layer, KV head).
  void add_queries(int layer, int kv_head, const uint16_t* q, int64_t n);
  void add_queries(int layer, int kv_head, const float* q, int64_t n);
  // Builds every index over [sinks, n_past - window) from the captured queries
  // (which are then freed); pairs that already have one (set_index) are kept.
  // on_built, when given, sees each new index as soon as it exists (the KV
  // store persists it, so a killed build resumes where it stopped).
  // before_layer, when given, runs before each layer's build (the session
  // brings that layer's spilled queries back from its store there).
  // Returns seconds spent.
  using IndexBuilt = std::function<void(int layer, int kv_head, const KeyIndex& index)>;
  double build(int64_t n_past, ThreadPool& pool, const IndexBuilt& on_built = nullptr,
               const std::function<void(int layer)>& before_layer = nullptr);
  // build() one layer at a time (a layer-major prefill builds each layer's
  // indexes right after the layer); finish_build() once every layer is built.
  void build_layer(int layer, int64_t n_past, ThreadPool& pool, const IndexBuilt& on_built = nullptr);
  void finish_build() { active_ = true; }
  // Undoes build_layer(layer) before finish_build() (a layer-major prefill
  // cancelled part way): drops the layer's indexes except those of the KV
  // heads in kept (installed by set_index before it), and its indexed span.
  // The captured queries it freed are the caller's to give back (add_queries).
  void unbuild_layer(int layer, const std::vector<bool>& kept);
  bool has_index(int layer, int kv_head) const { return index_[size_t(layer) * hp_.n_head_kv + size_t(kv_head)] != nullptr; }
  // Whether layer l has indexes: every layer but a sliding-window one (gemma3's local
  // layers attend their last n_swa positions exactly, through the session, and keep no
  // queries, index or indexed span).
  bool indexed_layer(int l) const { return !hp_.is_swa(l); }
  int indexed_layers() const { return n_indexed_layers_; }
  // Whether every KV head of layer l holds an index restored for a build at
  // n_past (a reopen after a build cut short): build_layer() keeps them and
  // builds nothing for the layer.
  bool layer_restored(int l, int64_t n_past) const;

  // ---- restoring from the KV store ----
  // The end of the indexed span for an index built when the context held n_past tokens.
  int64_t index_end(int64_t n_past) const { return std::max<int64_t>(s_.sinks, n_past - s_.window); }
  // Installs a restored index for (layer, KV head) (before activate / build).
  void set_index(int layer, int kv_head, std::unique_ptr<KeyIndex> index);
  // All indexes restored, built when the context held built_at tokens: attention
  // goes sparse from now on; keys past index_end(built_at) are inserted as the
  // next steps need them, as they were after the original build.
  void activate(int64_t built_at);
  // Forgets the captured query rows of positions >= n (capture_queries only:
  // rows are kept per kept position, n_gqa rows each), spilled ones included.
  void forget_queries_from(int64_t n);
  // ---- captured queries that live in the KV store, not in RAM ----
  // A session with a store keeps a pair's captured rows there once committed
  // (a short book on full attention would otherwise hold them in RAM for the
  // whole conversation: ~300 MB for an 8B model at 12K tokens). The first
  // spilled_values(l, g) values of the pair's capture are then the store's;
  // captured_queries() holds the rest. build_layer() needs them all back first.
  //   spill_queries       frees the RAM rows (all of them in the store by now)
  //   note_spilled        a reopened store's rows, never brought into RAM
  //   unspill_queries     puts the store's rows (exactly spilled_values) back in front
  void spill_queries(int layer, int kv_head);
  void note_spilled(int layer, int kv_head, size_t values);
  void unspill_queries(int layer, int kv_head, std::vector<uint16_t>&& front);
  size_t spilled_values(int layer, int kv_head) const { return spilled_[pair_of(layer, kv_head)]; }
  // Captured values of (layer, KV head), spilled or in RAM.
  size_t captured_values(int layer, int kv_head) const {
    return spilled_[pair_of(layer, kv_head)] + queries_[pair_of(layer, kv_head)].size();
  }
  bool any_spilled() const;
  size_t query_ram_bytes() const;  // the captured rows in RAM
  // Keeps the queries of the positions this level keeps from now on
  // (model/query_sample.h). False, and nothing changes, once any query has
  // been captured or the indexes are active: the rows held follow one level.
  bool set_query_level(int level);

  // One token at position pos of layer l: q (n_head, hd) -> out (n_head, hd).
  // Inserts the keys that left the window first. Runs the layer's inserts,
  // searches and attention as tasks on pool's threads (retrieval_step.cpp).
  // sinks (gpt-oss, else nullptr): (n_head) each head's sink logit, merged last as one more
  // partial result with a zero value row.
  void attend_layer(int layer, const float* q, int64_t pos, float* out, StepStats& st, ThreadPool& pool,
                    const float* sinks = nullptr);

  // Under a RAM budget: rows are made resident through guard before they are
  // read outside the static set (nullptr: every row is always in RAM).
  // A guard may release cache rows: indexes reading shared K rows copy them first.
  void set_row_guard(KvRowGuard* guard);

  // Counts a finished decode step (drives the monitor's schedule).
  void end_step() {
    ++step_;
    if (widen_steps_ > 0) --widen_steps_;
  }
  int64_t sample_stride() const { return sample_stride_; }
  // Queries captured so far for (layer, KV head) and held in RAM, bf16 rows of
  // head_dim: those after the first spilled_values() (empty after build).
  const std::vector<uint16_t>& captured_queries(int layer, int kv_head) const { return queries_[pair_of(layer, kv_head)]; }
  // Bytes held by the indexes (now, paged ones with their caches).
  size_t index_bytes() const;

  // ---- paging the graph indexes under a RAM budget (retrieval_paging.cpp) ----
  // Pages out the (layer, KV head) graph index, pair p, to records
  // [p * capacity, (p + 1) * capacity) of file (capacity: the context's
  // length), unless it is paged already, not a graph or under min_keys keys.
  // False when a write failed (the index then stays resident).
  bool page_index(int layer, int kv_head, const std::shared_ptr<RecordFile>& file, int64_t capacity, int64_t min_keys);
  // Pages a paged graph index's navigation codes out too, to records of a
  // file of code rows laid out as above; false when a write failed.
  bool page_codes(int layer, int kv_head, const std::shared_ptr<RecordFile>& file, int64_t capacity);
  // Brings every index back in (its codes first).
  void page_in_indexes();
  void page_in_codes();
  bool any_paged() const;
  bool any_codes_paged() const;
  // Splits cache_bytes between the paged indexes' record caches, and their
  // code caches where codes are paged (at least one record each).
  void set_index_cache(uint64_t cache_bytes);
  // Bytes the indexes would hold resident (their keys their own): the host tier's share.
  size_t index_resident_bytes() const;
  // Bytes the indexes hold whatever their caches hold (paged ones with no
  // record cached); with codes_in_ram, as if every navigation code were resident.
  size_t index_floor_bytes(bool codes_in_ram = false) const;
  RecordCacheStats index_pager_stats() const;  // summed over the paged indexes' record caches
  RecordCacheStats code_pager_stats() const;   // and over their code caches
  size_t index_record_bytes() const;           // a graph index's record (0: no graph index)
  size_t code_record_bytes() const;            // a graph index's code row (0: no graph index)
  int64_t indexed_end(int layer) const { return indexed_end_[size_t(layer)]; }

 private:
  struct HeadResult;     // retrieval_step.h
  struct RowPart;
  struct GroupProgress;
  size_t pair_of(int layer, int kv_head) const { return size_t(layer) * size_t(hp_.n_head_kv) + size_t(kv_head); }
  // Whether pair's index was restored for a build at n_past: it holds every key of the
  // indexed span (one restored at an earlier point, a build cut short and then more
  // context, lacks keys and is built again).
  bool restored_for(size_t pair, int64_t n_past) const;
  // Whether layer l's prefill queries are kept (for a graph still to be built).
  bool keeps_queries(int layer) const { return s_.mode == AttentionMode::RETRIEVAL && !active_ && indexed_layer(layer); }
  void schedule_reconnect(size_t pair);
  void insert_until(int layer, int64_t end);
  // Keys [begin, end) of (layer, KV group g) into its index (indexed_end_
  // untouched). Under a RAM budget each key is copied out through the row
  // guard: with own_epochs, each in an epoch of its own (serial callers only).
  void insert_group_until(int layer, int g, int64_t begin, int64_t end, bool own_epochs);
  bool monitored(int layer, int g) const;
  void merge_sinks(const float* sinks, float* out);
  // attend_layer's pieces (retrieval_step.cpp). Group g's rows: the union of
  // its searches' results, ascending. A part: its heads' attention over its
  // share of those rows. The merge: its parts into the static result in out.
  void form_group_rows(int g, bool by_head);
  void attend_part(int layer, int g, int part, const float* q);
  void merge_group(int g, int n_parts, float* out);
  // The monitor (retrieval_attention.cpp). q: the group's n_q query heads;
  // s: their scores, n_q rows of n_ctx, those of rows [c0, c1) written.
  void monitor_scores(int layer, int g, const float* q, int n_q, int64_t n_ctx, int64_t c0, int64_t c1,
                      float* s) const;
  // sh: one head's n_ctx scores (scaled in place); rows: the group's retrieved
  // positions, ascending and distinct; r: its sampled, recall and mass set.
  void monitor_head(int layer, float* sh, int64_t n_ctx, const std::vector<int32_t>& rows, HeadResult& r) const;

  HParams hp_;
  RetrievalSettings s_;
  const KvCache& kv_;
  std::unique_ptr<StaticSet> static_set_;
  bool active_ = false;
  int64_t step_ = 0;
  int widen_steps_ = 0;                         // steps left with a widened beam
  std::vector<std::unique_ptr<KeyIndex>> index_;  // (n_layer * n_head_kv)
  std::vector<int64_t> indexed_end_;           // (n_layer)
  std::vector<int> layer_rank_;                // (n_layer) a layer's place among the indexed ones, -1: none
  int n_indexed_layers_ = 0;
  std::vector<std::vector<uint16_t>> queries_;  // captured (n_layer * n_head_kv): bf16 rows of hd, those in RAM
  std::vector<size_t> spilled_;                 // (n_layer * n_head_kv): leading captured values in the store only
  int64_t sample_stride_ = 1;
  uint64_t keep_threshold_ = ~uint64_t(0);  // query_threshold(s_.query_level)
  KvRowGuard* guard_ = nullptr;
  std::vector<HeadResult> heads_;                // attend_layer's per-head results (n_head)
  std::vector<std::vector<int32_t>> group_rows_;  // attend_layer: retrieved context rows per KV group, ascending, distinct
  std::vector<uint8_t> group_exact_;             // attend_layer: group searched by an exact scan
  std::unique_ptr<GroupProgress[]> progress_;       // attend_layer: (n_head_kv)
  std::vector<RowPart> parts_;                      // attend_layer: (n_head_kv * parts per group)
  std::vector<std::pair<int, int>> search_tasks_;  // attend_layer: (group, head or -1 for the group)
  std::vector<int> monitor_groups_;                // attend_layer: the KV groups the monitor samples
  std::vector<std::vector<float>> monitor_scores_;  // attend_layer: their heads' exact scores (n_gqa x n_ctx each)
};

}  // namespace tome
