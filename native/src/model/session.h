// A session: one sequence of tokens through a Model, with its own KV cache,
// thread pool and scratch. eval() appends tokens (a prompt chunk or one decoded
// token) and returns the logits of the last one (or of all of them).
//
// Forward pass, per token row x (n_embd):
//   x = embed[token]
//   for each layer:
//     h = rms_norm(x) * attn_norm
//     q, k, v = h Wq (+bq), h Wk (+bk), h Wv (+bv)     (n_head|n_head_kv, head_dim)
//     rope(q), rope(k); cache k, v at their positions
//     x += causal_attention(q, cache) Wo
//     h = rms_norm(x) * ffn_norm
//     x += (silu(h Wgate) * (h Wup)) Wdown
//   logits = (rms_norm(x) * output_norm) Wout
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cpu/thread_pool.h"
#include "kvstore/kv_store.h"
#include "model/kv_cache.h"
#include "model/index_spill.h"
#include "model/kv_residency.h"
#include "model/layer_ops.h"
#include "model/model.h"
#include "model/moe_ffn.h"
#include "model/retrieval_attention.h"
#include "model/step_stats.h"

namespace tome {

struct SessionOptions {
  int64_t n_ctx = 2048;   // tokens the KV cache holds
  int n_threads = 0;      // 0: hardware concurrency
  int n_batch = 512;      // tokens per forward chunk during prefill
  RetrievalSettings retrieval;  // attention mode and its settings
  // RAM budget of the host tier (retrieval indexes + K/V rows, the static
  // set's included: they are RAM wherever it is attended; model/kv_residency.h),
  // in force while decoding sparsely with a KV store attached: bytes when > 0,
  // else a fraction of the unlimited host tier when in (0, 1], else none.
  uint64_t ram_budget_bytes = 0;
  double ram_budget_frac = 0;
  // Which pages are released first and which cached rows are reused first
  // (model/kv_residency.h). LFU: decode steps retrieve much the same keys again
  // and again, so the rows used most often are worth keeping (measured with the
  // page-granular cache of session 6: tome bench store, 4K smol at a budget
  // 0.85, LFU 163 ms/token and 196K units read, LRU 179 ms and 248K).
  EvictionPolicy eviction = EvictionPolicy::kLfu;
};

// Progress and cancel of a long call (prefill_document). progress(done, total)
// is called on the calling thread in token-layer units (a token through one
// layer is 1; total = tokens x n_layer), monotonic, last with done == total.
// cancel, when set, is polled between chunks: once true the call undoes what
// it did and throws CANCELLED.
struct PrefillControl {
  std::function<void(int64_t done, int64_t total)> progress;
  const std::atomic<bool>* cancel = nullptr;
  bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
  void report(int64_t done, int64_t total) const {
    if (progress) progress(done, total);
  }
};

// Milliseconds spent per phase since the last reset (for bench and stats).
struct PhaseTimes {
  double matmul_ms = 0, attention_ms = 0, other_ms = 0;
};

class Session {
 public:
  Session(const Model& model, const SessionOptions& opts);

  // Appends tokens; returns logits (n_vocab) of the last token, or of every
  // token when all_logits (then (n_tokens, n_vocab)). Throws tome::Error
  // CTX_FULL when the cache cannot hold them, BAD_TOKEN for ids out of range.
  const std::vector<float>& eval(const std::vector<int32_t>& tokens, bool all_logits = false);
  // eval() for a part of a document: it never builds the retrieval index first,
  // so a document prefilled in several calls (a resumed prefill) keeps
  // capturing queries until build_index() or the next eval(). Returns the
  // logits of the last token.
  const std::vector<float>& prefill(const std::vector<int32_t>& tokens);
  // What the last successful eval / prefill / prefill_document returned, until the next call.
  const std::vector<float>& logits() const { return logits_; }

  // The rest of a document: prefill(tokens) then build_index(), bit-identical
  // to them. With a KV store attached (and the context still growing without
  // an index) it runs layer-major: every token through layer l (in the same
  // n_batch chunks, so each layer's numbers are the token-major ones), layer
  // l's K/V and captured queries into the store, its indexes built and
  // persisted, then, under a RAM budget, its rows outside what must stay in
  // RAM released; then layer l + 1. The hidden states of all tokens stay in
  // RAM between layers (tokens x n_embd f32). The tokens are committed
  // (n_tokens) only once every layer of them is in the store: a kill before
  // that leaves the store at the previous commit, and a prefill resumed from
  // it starts again from there. Returns the logits of the last token.
  // ctl reports progress per (layer, chunk) and is polled for a cancel between
  // chunks. A call cancelled (or failed) part way leaves the session as it
  // was before it: n_past, tokens, the captured queries and no index (the
  // indexes built for its first layers dropped, the rows a budget released
  // read back from the store), and the store at its previous commit (the
  // rows, queries and index images put past it deleted); then it throws
  // CANCELLED (or the failure). Without a store it runs token-major, in
  // n_batch chunks, with the same progress and cancel (a cancel truncates
  // back); once the context is indexed it is one uninterruptible eval.
  const std::vector<float>& prefill_document(const std::vector<int32_t>& tokens, const PrefillControl& ctl = {});
  // Most bytes of the KV cache in RAM (mincore) seen during the last
  // layer-major prefill, sampled after each layer (before its release).
  uint64_t layer_major_peak_kv_bytes() const { return layer_major_peak_kv_; }

  // Forgets tokens from position n on (n <= n_past). In a sparse mode, going
  // back into the indexed context drops the indexes; they are built again from
  // the queries of the next long prefill. An attached store forgets them too.
  // Throws PREFIX_SEALED (the session unchanged) for a 0 < n whose window
  // needs sliding-window rows that seal_prefix() let the store drop.
  void truncate(int64_t n);

  // Positions [0, n) are final (a document): the caller will not truncate to
  // 0 < m < n. With a KV store and gemma3's sliding-window layers, their rows
  // that no window from position n on reads are then deleted from the store as
  // they are committed (five sixths of a Gemma-3 context's K/V, never read
  // again), so the store holds the global layers and one window of the local
  // ones. A truncate that would need dropped rows throws PREFIX_SEALED; one to
  // 0 (then reading the document again) is always possible. Without a store,
  // or without sliding-window layers, nothing is dropped. Call it before the
  // document is read, so the store never holds its rows at once; a later call
  // replaces the earlier.
  // In retrieval mode it also sizes the read's query sample (plan_query_level):
  // the prefill then keeps about the queries the indexes over n positions are
  // built from, not every sampled position's.
  void seal_prefix(int64_t n);

  // Builds the retrieval indexes now if the context is long enough (otherwise
  // the next eval() does). Returns milliseconds spent (0 when nothing to build).
  // progress, when given, hears (indexed layers built, indexed layers) before each
  // indexed layer's build and once at its end (the app's ETA of the build).
  double build_index(const std::function<void(int done, int total)>& progress = nullptr);

  // ---- the KV store (kvstore/kv_store.h; session_store.cpp) ----
  // What a store must match to serve this session: model and tokenizer
  // fingerprints, the shape of the cache and the settings that shape its
  // contents (numerics, attention mode, sinks, window, degree, query sample).
  const StoreIdentity& store_identity() const { return identity_; }
  // Binds a store to this (empty) session and restores what it holds, up to
  // n_ctx: the tokens, the K/V rows, the captured prefill queries (verified,
  // then left in the store until a build needs them) and the indexes. Only
  // verified data is used: a torn or corrupt block ends the
  // restored prefix there and the store is cut back to it. A sliding-window
  // layer's rows before its window stay in the store (release_swa_rows).
  // Under a RAM budget, a store holding this session's complete indexes is
  // restored lazily: only the rows that must stay in RAM (static set, the
  // last partial block) are read into the cache, and the index keys (each
  // index keeps its own f16 copy) are read block by block into the indexes;
  // every other K/V unit stays in the store, read (checksum verified) when a
  // step needs it. Such a block found damaged then throws STORE_CORRUPT: the
  // store is cut back to that block (so reopening resumes from there, or
  // rebuilds when the indexes covered it) and this session refuses further
  // work with the store. Any block found damaged during the lazy restore
  // itself makes it fall back to the full read (the same prefix rules). From then on every
  // eval() of more than one token commits its chunks, an index build commits
  // each index as it is built, and flush_store() commits decoded tokens. The
  // prefill queries a commit writes leave RAM (a short book on full attention
  // keeps none there while its conversation lasts); the build reads them back,
  // and a truncate keeps the store's rows below the cut (KvStore::truncate).
  // Returns the number of positions restored (n_past).
  int64_t attach_store(std::unique_ptr<KvStore> store);
  // Commits the positions not yet in the store (e.g. a turn's decoded tokens).
  void flush_store();
  KvStore* store() const { return store_.get(); }
  // The RAM budget's state (zeros when none is in force).
  ResidencyStats residency() const;
  // RAM the host tier holds now: the KV cache's resident pages (mincore), the
  // retrieval indexes and the prefill queries in RAM. For progress reports
  // during a long call (read on the thread running it): one mincore over the
  // cache, ~1 ms at 128K tokens of the smol shape, too dear for every step.
  uint64_t host_ram_bytes() const { return kv_.resident_bytes() + index_bytes() + query_ram_bytes(); }
  // Captured prefill queries held in RAM for an index still to be built
  // (with a store, only those not yet committed to it).
  size_t query_ram_bytes() const { return sparse_ ? sparse_->query_ram_bytes() : 0; }

  // What the last eval() did (phase times, keys scanned, monitor, positions).
  const StepStats& last_stats() const { return stats_; }
  const RetrievalSettings& retrieval() const { return opts_.retrieval; }
  // Bytes held by retrieval indexes (0 in full mode).
  size_t index_bytes() const { return sparse_ ? sparse_->index_bytes() : 0; }
  bool sparse_active() const { return sparse_ && sparse_->active(); }
  // Whether build_index() would build now (a sparse mode with no index yet, the
  // context past the static set and full_below).
  bool index_build_due() const { return sparse_ && sparse_->ready_to_build(n_past_); }
  // For benchmarks at contexts too long to prefill on a CPU: fills positions
  // [n_past, n) of every layer's KV cache with a synthetic workload (keys and
  // queries from different distributions, retrieval/synthetic_workload.h;
  // values N(0, 1)), captures its queries for the index, and advances n_past.
  // Decode steps after it cost what they would over a real cache of that length.
  void fill_synthetic(int64_t n, uint64_t seed);
  // For benchmarks: keys (n_past, hd) of (layer, KV head) as f32, and the prefill
  // queries captured for its index (retrieval mode, before the index is built).
  void export_qk(int layer, int kv_head, std::vector<float>& keys, std::vector<float>& queries) const;

  int64_t n_past() const { return n_past_; }
  int64_t n_ctx() const { return kv_.n_ctx(); }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  const Model& model() const { return model_; }
  const KvCache& kv() const { return kv_; }
  uint64_t kv_bytes() const { return kv_.bytes(); }
  int n_threads() const { return pool_.size(); }
  PhaseTimes& times() { return times_; }

 private:
  const std::vector<float>& evaluate(const std::vector<int32_t>& tokens, bool all_logits, bool build_first);
  void evaluate_now(const std::vector<int32_t>& tokens, bool all_logits, bool build_first);
  void truncate_now(int64_t n);
  void forward_chunk(const int32_t* tokens, int64_t n, int64_t n_out);
  void embed_chunk(const int32_t* tokens, int64_t n);
  void fill_rope(int64_t pos0, int64_t n);
  void scale_embeddings(float* x, int64_t n) const;
  void scale_residual(float* x, int64_t n) const;
  void pre_norm(const std::vector<float>& gains, int64_t n);
  void norm_rows(const float* x, const std::vector<float>& gains, float* out, int64_t n) const;
  void forward_layer(int layer, int64_t n, int64_t n_out);
  void chunk_logits(int64_t rows);
  // A full-attention decode step's layer: its key weights into step_key_weights_.
  void add_layer_key_weights(int64_t n_keys);
  // The step's key weights between the sinks and the window, as StepStats' positions.
  void report_full_positions();
  void prefill_layer_major(const std::vector<int32_t>& tokens, const PrefillControl& ctl);
  void prefill_token_major(const std::vector<int32_t>& tokens, const PrefillControl& ctl);
  void check_tokens(const std::vector<int32_t>& tokens) const;
  void build_sparse_index(const std::function<void(int done, int total)>& progress = nullptr);
  void restore_sparse_state(int64_t& n);
  bool restore_lazily(int64_t n);
  bool budget_set() const { return opts_.ram_budget_bytes > 0 || opts_.ram_budget_frac > 0; }
  // Runs fn; a store block found damaged when read on demand ends this session's use of the store.
  void guard_store(const std::function<void()>& fn);
  void truncate_store(int64_t n);
  // Commits [store_committed_, n_past_) with the new query rows; with spill,
  // the rows then in the store leave RAM (spill_persisted_queries).
  void flush_store_now(bool spill = true);
  // Captured query rows that are all in the store, freed from RAM (a short
  // book on full attention keeps them there until its context outgrows full_below).
  void spill_persisted_queries();
  // The spilled query rows of every layer (or of one) back into RAM from the
  // store, before a build; STORE_CORRUPT (nothing changed) when the store no
  // longer holds them intact.
  void bring_back_queries(int layer = -1);
  void read_spilled_queries(int layer, int kv_head, std::vector<uint16_t>& out) const;
  bool store_index_is_ours(bool claim);
  bool adopt_store_index_settings();
  void apply_budget();
  // A residency for this session's cache and store, told which layers read only their window.
  std::unique_ptr<KvResidency> make_residency();
  void settle_kv_pages();
  // ---- a sliding-window layer's rows before its window (session_swa.cpp) ----
  // gemma3's local layers read only their last n_swa positions. With a KV
  // store attached and no RAM budget (a budget's residency releases them with
  // the rest), their rows below the next step's window leave RAM once whole
  // store blocks hold them; a truncate, or a restore cut shorter than it
  // read, reads back from the store the rows its window needs.
  bool swa_release_on() const;
  // The first row the window of position n reads, rounded down to a store block.
  int64_t swa_window_floor(int64_t n) const;
  // Rows of a sliding-window layer that may leave RAM: below both the next
  // step's window and the last block whole in the store (an append rewrites
  // its partial block from RAM).
  int64_t swa_keep_from(int64_t n_past, int64_t committed) const;
  void release_swa_rows();
  void release_swa_layer(int layer, int64_t from, int64_t to);
  // Reads back rows [swa_window_floor(n), swa_released_) below n; a block that
  // fails verification cuts the store back to it and ends this session's use
  // of the store (STORE_CORRUPT), as a damaged block read on demand does.
  void load_swa_rows(int64_t n);
  // Where the store may drop the sliding-window layers' rows to in that state:
  // below both the sealed prefix's window and swa_keep_from() (0: nowhere).
  int64_t swa_drop_to(int64_t n_past, int64_t committed) const;
  std::vector<int> swa_layers() const;
  // Deletes their blocks below that from the store (KvStore::drop_rows_below).
  void drop_stored_swa_rows();
  // Whether a context cut to n (> 0) finds its window's sliding-window rows in the store.
  bool swa_rows_kept(int64_t n) const;
  // Pages the graph index of (layer, KV head) out to index_spill_ (made if need
  // be), and with codes its navigation codes to code_spill_; false when it
  // stays resident (no file, a write failed, too small).
  bool page_out_index(int layer, int kv_head, bool codes);
  // The budget's arithmetic (session_budget.cpp) at a context of n_past:
  // the next step's window start; the budget in bytes for a host tier whose
  // indexes take resident_indexes resident; the least the K/V rows need
  // (room for `layers` layers' rows, twice); whether paged indexes whose
  // floor with their codes in RAM is floor_with_codes leave them one layer's.
  int64_t next_window_start(int64_t n_past) const;
  uint64_t budget_bytes(const KvResidency& r, int64_t n_past, uint64_t resident_indexes) const;
  uint64_t kv_least_bytes(const KvResidency& r, int64_t n_past, int64_t committed, int layers) const;
  bool codes_fit(const KvResidency& r, uint64_t floor_with_codes, int64_t n_past, int64_t committed,
                 uint64_t budget) const;
  HeadRowsFn head_rows();
  StoreIdentity make_store_identity() const;
  // The query level (model/query_sample.h) that keeps about 9/8 of the training
  // queries a build over n positions uses, set while no query has been captured
  // and the store holds no index kind (whose level a session adopts): unless the
  // session was given a level.
  void plan_query_level(int64_t n);

  const Model& model_;
  SessionOptions opts_;
  KvCache kv_;
  ThreadPool pool_;
  int64_t n_past_ = 0;
  std::vector<int32_t> tokens_;
  std::vector<float> logits_;
  PhaseTimes times_;
  StepStats stats_;
  std::unique_ptr<RetrievalAttention> sparse_;
  std::unique_ptr<KvStore> store_;
  int64_t store_committed_ = 0;           // positions [0, n) are in the store
  std::vector<size_t> queries_persisted_;  // captured query floats in the store, per (layer, KV head)
  std::unique_ptr<KvResidency> residency_;  // while a RAM budget is in force
  int64_t swa_released_ = 0;  // rows [0, this) of every sliding-window layer are in the store only
  int64_t sealed_ = 0;        // seal_prefix()
  int given_query_level_ = 0;  // the options' query level (0: plan_query_level chooses)
  std::shared_ptr<IndexSpill> index_spill_;  // where paged graph indexes' records go (under a budget)
  std::shared_ptr<IndexSpill> code_spill_;   // and their navigation codes, under a tighter one
  std::string store_damage_;                // why the store can no longer serve this session ("" while it can)
  StoreIdentity identity_;  // store_identity(), made once at construction (it hashes the weights' edges)
  // scratch, grown to the chunk size
  std::vector<float> x_, h_, q_, k_, v_, att_, gate_, up_, tmp_;
  std::vector<float> attn_out_;  // cohere2: a layer's attention output, added after its FFN's  (n, E)
  MoeFfn moe_;  // a mixture of experts' FFN and its buffers
  std::vector<uint8_t> mm_scratch_;
  std::vector<RopeTable> rope_;      // (chunk tokens)
  std::vector<RopeTable> rope_swa_;  // (chunk tokens) sliding-window layers' (gemma3), else empty
  std::vector<const uint16_t*> k_heads_, v_heads_;
  // A full-attention decode step's key weights (CausalAttentionArgs::key_weights):
  // (n_head_kv, keys) for a layer, and summed over the step's layers (keys).
  std::vector<float> group_key_weights_, step_key_weights_;
  int64_t step_weighted_keys_ = 0;  // keys of step_key_weights_ this step filled (0: none)
  bool last_eval_single_ = false;   // the last evaluation was one token (a decode step)
  uint64_t layer_major_peak_kv_ = 0;  // most cache bytes in RAM during the last layer-major prefill
};

}  // namespace tome
