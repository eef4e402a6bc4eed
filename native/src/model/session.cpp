#include "model/session.h"

#include <chrono>
#include <cmath>
#include <initializer_list>
#include <string>
#include <thread>

#include "attention/causal_attention.h"
#include "attention/vec_kernels.h"
#include "common/error.h"
#include "common/fp16.h"
#include <cstdlib>
#include "cpu/matmul.h"
#include "cpu/quant.h"
#include "model/query_sample.h"
#include "retrieval/synthetic_workload.h"

namespace tome {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int resolve_threads(int n) {
  if (n > 0) return n;
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? int(hw) : 1;
}

void add_bias(float* y, const std::vector<float>& b, int64_t n_rows) {
  if (b.empty()) return;
  const size_t n = b.size();
  for (int64_t r = 0; r < n_rows; ++r) add_inplace(y + r * n, b.data(), int64_t(n));
}

// Standard normal numbers from a seeded SplitMix64 (Box-Muller).
struct SplitNormal {
  uint64_t s;
  explicit SplitNormal(uint64_t seed) : s(seed) {}
  float next() {
    auto u = [this] {
      uint64_t z = (s += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      return double((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0);
    };
    const double a = std::max(u(), 1e-300), b = u();
    return float(std::sqrt(-2.0 * std::log(a)) * std::cos(6.283185307179586 * b));
  }
};

}  // namespace

Session::Session(const Model& model, const SessionOptions& opts)
    : model_(model),
      opts_(opts),
      kv_(model.hparams().n_layer, model.hparams().n_head_kv, model.hparams().head_dim,
          opts.n_ctx > 0 ? opts.n_ctx : model.hparams().n_ctx_train),
      pool_(resolve_threads(opts.n_threads)) {
  if (opts_.n_batch <= 0) opts_.n_batch = 512;
  // without a budget no cache row ever leaves RAM: indexes read their keys there
  opts_.retrieval.share_cache_keys = !budget_set();
  given_query_level_ = opts_.retrieval.query_level;
  if (opts_.retrieval.mode != AttentionMode::FULL)
    sparse_ = std::make_unique<RetrievalAttention>(model.hparams(), opts_.retrieval, kv_);
  identity_ = make_store_identity();
}

void Session::plan_query_level(int64_t n) {
  if (!sparse_ || sparse_->active() || opts_.retrieval.mode != AttentionMode::RETRIEVAL || given_query_level_ > 0) return;
  if (store_ && !store_->index_settings().empty()) return;
  const HParams& hp = model_.hparams();
  const int64_t keys = std::max<int64_t>(0, sparse_->index_end(n) - opts_.retrieval.sinks);
  const int64_t wanted = training_queries_wanted(keys);
  // 9/8: the context the build sees also holds the question (and the sample is cut at random)
  const int level = query_level_for(n, sparse_->sample_stride(), hp.n_gqa(), wanted + wanted / 8);
  if (sparse_->set_query_level(level)) opts_.retrieval.query_level = level;
}

void Session::fill_synthetic(int64_t n, uint64_t seed) {
  const HParams& hp = model_.hparams();
  if (n <= n_past_ || n > kv_.n_ctx()) throw Error("BAD_ARGUMENT", "synthetic context must grow within --ctx");
  const int64_t m = n - n_past_, hd = hp.head_dim;
  const double sample = opts_.retrieval.query_sample;
  std::vector<uint16_t> h(static_cast<size_t>(m * hd));
  std::vector<float> q_rows;
  for (int l = 0; l < hp.n_layer; ++l)
    for (int g = 0; g < hp.n_head_kv; ++g) {
      OodWorkloadParams p;
      p.d = int(hd);
      p.n_keys = m;
      p.n_train = std::max<int64_t>(1, int64_t(double(m) * sample)) * hp.n_gqa();
      p.n_test = 1;
      p.seed = seed + uint64_t(l) * 1000 + uint64_t(g);
      Workload w = make_ood_workload(p);
      f32_to_f16_row(w.keys.data(), kv_.k(l, g) + size_t(n_past_) * hd, m * hd);
      SplitNormal rng(p.seed ^ 0x5bd1e995u);
      for (int64_t i = 0; i < m * hd; ++i) h[size_t(i)] = fp32_to_fp16(rng.next());
      std::copy(h.begin(), h.end(), kv_.v(l, g) + size_t(n_past_) * hd);
      if (sparse_) sparse_->add_queries(l, g, w.train.data(), p.n_train);
    }
  tokens_.resize(size_t(n), 0);
  n_past_ = n;
  settle_kv_pages();
}

// After the context grew: a sliding-window layer's rows its window has left go
// (release_swa_rows), and rows that never leave RAM (no budget, so no
// residency releasing them) are mapped with huge pages as they fill
// (KvCache::collapse_huge).
void Session::settle_kv_pages() {
  release_swa_rows();
  const bool swa_out = swa_release_on();
  if (!budget_set() && !residency_)
    kv_.collapse_huge(n_past_, [&](int l) { return swa_out && model_.hparams().is_swa(l); });
}

void Session::export_qk(int layer, int kv_head, std::vector<float>& keys, std::vector<float>& queries) const {
  const HParams& hp = model_.hparams();
  if (layer < 0 || layer >= hp.n_layer || kv_head < 0 || kv_head >= hp.n_head_kv)
    throw Error("BAD_ARGUMENT", "layer or KV head out of range");
  if (hp.is_swa(layer) && swa_released_ > 0)
    throw Error("BAD_ARGUMENT", "a sliding-window layer's rows before its window are in the KV store only");
  keys.resize(size_t(n_past_) * size_t(hp.head_dim));
  f16_to_f32_row(kv_.k(layer, kv_head), keys.data(), n_past_ * hp.head_dim);
  queries.clear();
  if (!sparse_) return;
  std::vector<uint16_t> q;
  read_spilled_queries(layer, kv_head, q);  // those committed to the store, then those in RAM
  const std::vector<uint16_t>& ram = sparse_->captured_queries(layer, kv_head);
  q.insert(q.end(), ram.begin(), ram.end());
  queries.resize(q.size());
  dequantize_row(GgmlType::BF16, q.data(), queries.data(), int64_t(q.size()));
}

void Session::truncate(int64_t n) {
  if (n < 0 || n > n_past_) throw Error("BAD_ARGUMENT", "truncate position out of range");
  guard_store([&] { truncate_now(n); });
}

void Session::truncate_now(int64_t n) {
  if (!swa_rows_kept(n))
    throw Error("PREFIX_SEALED", "cannot truncate to position " + std::to_string(n) +
                                     ": the KV store keeps the sliding-window layers' rows from position " +
                                     std::to_string(store_->dropped_below()) +
                                     " on (the document was sealed), and its window needs earlier ones; truncate to 0 "
                                     "and read the document again");
  load_swa_rows(n);  // first: a store that fails it leaves the session as it was
  // Keys cannot leave an index: rewinding into the indexed context drops the
  // indexes (the next long prefill captures queries and builds them again).
  if (sparse_ && sparse_->active()) {
    bool into_index = false;
    for (int l = 0; l < model_.hparams().n_layer; ++l) into_index = into_index || n < sparse_->indexed_end(l);
    // (a stored index stays: it is its build-time image, valid while n covers its build
    // point; KvStore::truncate drops it otherwise)
    if (into_index) {
      sparse_ = std::make_unique<RetrievalAttention>(model_.hparams(), opts_.retrieval, kv_);
      queries_persisted_.assign(queries_persisted_.size(), 0);
    }
  }
  if (sparse_) sparse_->forget_queries_from(n);
  if (store_) truncate_store(n);
  n_past_ = n;
  tokens_.resize(size_t(n));
  apply_budget();
}

double Session::build_index(const std::function<void(int done, int total)>& progress) {
  if (!sparse_ || !sparse_->ready_to_build(n_past_)) return 0;
  guard_store([&] { build_sparse_index(progress); });
  return stats_.index_build_ms;
}

const std::vector<float>& Session::eval(const std::vector<int32_t>& tokens, bool all_logits) {
  return evaluate(tokens, all_logits, true);
}

const std::vector<float>& Session::prefill(const std::vector<int32_t>& tokens) {
  return evaluate(tokens, false, false);
}

const std::vector<float>& Session::prefill_document(const std::vector<int32_t>& tokens, const PrefillControl& ctl) {
  const int64_t n1 = n_past_ + int64_t(tokens.size());
  const bool layer_major = store_ && tokens.size() > 1 && !(sparse_ && sparse_->active()) &&
                           (!sparse_ || sparse_->ready_to_build(n1));
  if (!layer_major) {
    prefill_token_major(tokens, ctl);
    return logits_;
  }
  guard_store([&] { prefill_layer_major(tokens, ctl); });
  return logits_;
}

namespace {
Error cancelled_error() { return Error("CANCELLED", "the document prefill was cancelled"); }
}  // namespace

// prefill() + build_index() in n_batch chunks (the chunks one prefill() call
// makes), reporting each; a cancel truncates back to where the call started.
// Once the context is indexed a prefill decodes sparsely and a truncate would
// drop the index: then it is one call, not cancellable part way.
void Session::prefill_token_major(const std::vector<int32_t>& tokens, const PrefillControl& ctl) {
  const int64_t n0 = n_past_, n = int64_t(tokens.size()), L = model_.hparams().n_layer;
  if (ctl.cancelled()) throw cancelled_error();
  if (sparse_active() || tokens.size() <= 1) {
    prefill(tokens);
    build_index();
    ctl.report(n * L, n * L);
    return;
  }
  check_tokens(tokens);
  const int64_t B = opts_.n_batch;
  for (int64_t c = 0; c < n; c += B) {
    if (ctl.cancelled()) {
      truncate(n0);
      throw cancelled_error();
    }
    const int64_t m = std::min(B, n - c);
    prefill(std::vector<int32_t>(tokens.begin() + c, tokens.begin() + c + m));
    if (c + m < n) ctl.report((c + m) * L, n * L);
  }
  build_index();
  ctl.report(n * L, n * L);
}

void Session::prefill_layer_major(const std::vector<int32_t>& tokens, const PrefillControl& ctl) {
  check_tokens(tokens);
  if (ctl.cancelled()) throw cancelled_error();
  if (store_committed_ < n_past_) flush_store_now(false);
  bring_back_queries();  // the layers' builds need [0, n0)'s queries in RAM
  const HParams& hp = model_.hparams();
  const Weights& w = model_.weights();
  const int E = hp.n_embd, G = hp.n_head_kv;
  const int64_t n0 = n_past_, n = int64_t(tokens.size()), n1 = n0 + n, B = opts_.n_batch;
  const int64_t total = n * hp.n_layer;
  stats_ = StepStats{};
  last_eval_single_ = false;
  const PhaseTimes before = times_;
  layer_major_peak_kv_ = 0;
  const bool indexed = sparse_ != nullptr;  // ready_to_build(n1) checked by the caller
  // what build_sparse_index() persists: the index kind's queries and indexes (streaming has none)
  const std::string index_kind_before = store_->index_settings();
  const bool keep = indexed && opts_.retrieval.mode != AttentionMode::STREAMING && store_index_is_ours(true);
  const bool queries = indexed && opts_.retrieval.mode == AttentionMode::RETRIEVAL && keep;
  // under a RAM budget, what may leave RAM once a layer is done: the units an
  // unlimited reopen's budget could evict (the residency's own rule)
  std::unique_ptr<KvResidency> rule;
  const int64_t sinks = opts_.retrieval.sinks;
  const int64_t window_start = next_window_start(n1);
  if (indexed && budget_set())
    rule = make_residency();

  // What undoing the call needs (a cancel or a failure before the commit): the
  // retrieval state of each layer whose indexes were built, the queries the
  // build freed (those of [0, n0): from the store when it holds them all, else
  // a copy), and the rows a budget released (read back from the store).
  const std::vector<size_t> persisted_before = queries_persisted_;
  std::vector<size_t> captured_before(size_t(hp.n_layer) * G, 0);
  std::vector<std::vector<bool>> had_index(size_t(hp.n_layer), std::vector<bool>(size_t(G), false));
  if (indexed)
    for (int l = 0; l < hp.n_layer; ++l)
      for (int g = 0; g < G; ++g) {
        captured_before[size_t(l) * G + size_t(g)] = sparse_->captured_values(l, g);
        had_index[size_t(l)][size_t(g)] = sparse_->has_index(l, g);
      }
  std::vector<std::vector<uint16_t>> saved_queries(size_t(hp.n_layer) * G);  // copies of what the store lacks
  int built_layers = 0;
  auto undo = [&] {
    n_past_ = n0;
    if (rule) rule->load_all((n0 + rule->unit_rows() - 1) / rule->unit_rows() * rule->unit_rows());
    if (indexed) {
      sparse_->forget_queries_from(n0);  // the layers not built: their rows of [n0, n1)
      std::vector<uint16_t> rows;
      for (int l = 0; l < built_layers; ++l) {
        sparse_->unbuild_layer(l, had_index[size_t(l)]);
        for (int g = 0; g < G; ++g) {
          const size_t pair = size_t(l) * G + size_t(g), want = captured_before[pair];
          if (want == 0 || sparse_->captured_values(l, g) == want) continue;  // not freed (a build that threw)
          if (saved_queries[pair].size() == want) {
            rows.swap(saved_queries[pair]);
          } else if (store_->read_queries(l, g, n0, hp.n_gqa(), rows) != n0 || rows.size() != want) {
            throw Error("STORE_CORRUPT", "the KV store's prefill queries failed verification while a cancelled "
                                         "prefill was undone");
          }
          sparse_->add_queries(l, g, rows.data(), int64_t(want / size_t(hp.head_dim)));
        }
      }
    }
    queries_persisted_ = persisted_before;
    try {
      store_->discard_uncommitted();
      // a store claimed for this index kind by the call holds nothing of it now
      if (index_kind_before.empty() && !store_->index_settings().empty()) store_->set_index_settings("");
    } catch (const Error&) {
      // a store that refuses the delete (full, read-only) keeps them: n_tokens bounds
      // the rows and queries, and indexes built past it are dropped when it is reopened
    }
  };
  auto undo_and_rethrow = [&](const std::string& code, const std::string& what) {
    try {
      undo();
    } catch (const std::exception& e) {
      // the context before the call cannot be had back from the store: this session is done with it
      store_damage_ = std::string(e.what()) + " (undoing a prefill that stopped: " + what +
                      "); this session can no longer use its KV store: reopen the document";
      throw Error("STORE_CORRUPT", store_damage_);
    }
    throw Error(code, what);
  };

  try {
    struct RestorePast {  // forward_layer reads positions from n_past_: chunk by chunk, put back on the way out
      int64_t& n;
      int64_t v;
      ~RestorePast() { n = v; }
    } restore{n_past_, n0};
    // hidden states of every token between layers                (n, E) f32
    std::vector<float> X(size_t(n) * E);
    for (int64_t i = 0; i < n; ++i) dequantize_matrix_row(w.token_embd, tokens[size_t(i)], X.data() + size_t(i) * E);
    scale_embeddings(X.data(), n);
    double build_ms = 0;
    for (int l = 0; l < hp.n_layer; ++l) {
      // all tokens through layer l, in the token-major chunks
      for (int64_t c = 0; c < n; c += B) {
        if (ctl.cancelled()) throw cancelled_error();
        const int64_t m = std::min(B, n - c);
        x_.assign(X.begin() + c * E, X.begin() + (c + m) * E);
        n_past_ = n0 + c;
        fill_rope(n_past_, m);
        // the last layer takes on only the prompt's last row, whose logits are asked
        const int64_t m_out = l + 1 < hp.n_layer ? m : c + m == n ? 1 : 0;
        forward_layer(l, m, m_out);
        std::copy(x_.begin(), x_.begin() + m_out * E, X.begin() + (c + m - m_out) * E);
        if (c + m < n) ctl.report(int64_t(l) * n + c + m, total);
      }
      n_past_ = n0;
      // layer l's K/V and the queries captured for its index, into the store (not committed yet)
      std::vector<QueryChunk> chunks;
      if (queries)
        for (int g = 0; g < G; ++g) {
          const size_t pair = size_t(l) * G + size_t(g);
          const std::vector<uint16_t>& q = sparse_->captured_queries(l, g);
          const size_t from = std::min(queries_persisted_[pair], q.size());
          chunks.push_back(QueryChunk{l, g, q.data() + from, int64_t((q.size() - from) / size_t(hp.head_dim))});
        }
      // (a sealed prefix's sliding-window layer: not its blocks that the commit drops)
      store_->put_layer(l, head_rows(), n0, n1, chunks, hp.is_swa(l) ? swa_drop_to(n1, n1) : 0);
      for (const QueryChunk& c : chunks)
        queries_persisted_[size_t(c.layer) * G + size_t(c.head)] += size_t(c.n_rows) * size_t(hp.head_dim);
      // its indexes, as build_index() at n1 builds them (then its queries are freed)
      if (indexed) {
        for (int g = 0; g < G; ++g) {  // the queries of [0, n0) the store lacks: kept to undo the build
          const size_t pair = size_t(l) * G + size_t(g);
          if (captured_before[pair] > persisted_before[pair]) {
            const std::vector<uint16_t>& q = sparse_->captured_queries(l, g);
            saved_queries[pair].assign(q.begin(), q.begin() + std::ptrdiff_t(captured_before[pair]));
          }
        }
        RetrievalAttention::IndexBuilt persist;
        if (keep) persist = [&](int ll, int g, const KeyIndex& index) { store_->put_index(ll, g, n1, index.serialize(false)); };
        const auto t = Clock::now();
        built_layers = l + 1;  // (a build that throws part way is undone too)
        sparse_->build_layer(l, n1, pool_, persist);
        build_ms += ms_since(t);
        // under a budget its indexes go out of RAM too, so that a document whose
        // indexes exceed RAM can be read (apply_budget() pages them back in
        // where the budget holds them)
        if (rule)
          for (int g = 0; g < G; ++g) page_out_index(l, g, true);
      }
      layer_major_peak_kv_ = std::max(layer_major_peak_kv_, kv_.resident_bytes());
      // a sliding-window layer's new rows before the window of n1, whole blocks of them
      // (those below n0 go once the call commits, as they would be needed to undo it)
      if (swa_release_on() && hp.is_swa(l))
        release_swa_layer(l, std::max(swa_released_, (n0 + KvCache::kBlockRows - 1) / KvCache::kBlockRows * KvCache::kBlockRows),
                          swa_keep_from(n1, n1));
      // its rows that need not stay in RAM: they are in the store (and its keys in its indexes)
      if (rule) {
        const int64_t ur = rule->unit_rows();
        for (int g = 0; g < G; ++g)
          for (int64_t p = 0; p < n1; p += ur)
            if (!rule->must_stay(p, sinks, window_start, n1)) rule->release(l, g, p);
      }
      ctl.report(int64_t(l + 1) * n, total);
    }
    // logits of the last token
    x_.assign(X.end() - E, X.end());
    chunk_logits(1);
    // every layer is in the store: the tokens are committed, then the indexes marked complete
    std::vector<int32_t> all = tokens_;
    all.insert(all.end(), tokens.begin(), tokens.end());
    store_->commit_tokens(all.data(), n0, n1, swa_layers(), swa_drop_to(n1, n1));
    store_committed_ = n1;
    tokens_.swap(all);
    n_past_ = n1;
    settle_kv_pages();
    restore.v = n1;
    if (indexed) {
      sparse_->finish_build();
      if (keep) store_->set_index_complete(n1);
      stats_.index_build_ms = build_ms;
    }
  } catch (const Error& e) {
    if (store_committed_ >= n1) throw;  // committed: nothing to undo
    undo_and_rethrow(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    if (store_committed_ >= n1) throw;
    undo_and_rethrow("OUT_OF_MEMORY", "out of memory");
  } catch (const std::exception& e) {
    if (store_committed_ >= n1) throw;
    undo_and_rethrow("INTERNAL", e.what());
  }
  if (rule) {  // the budget takes over from here, the released units marked unread
    residency_ = std::move(rule);
    residency_->start_unread(n1, sinks, window_start, n1);
    sparse_->set_row_guard(residency_.get());
  }
  apply_budget();
  stats_.tokens = n;
  stats_.matmul_ms = times_.matmul_ms - before.matmul_ms;
  stats_.other_ms = times_.other_ms - before.other_ms;
  stats_.full_attention_ms = times_.attention_ms - before.attention_ms;
}

const std::vector<float>& Session::evaluate(const std::vector<int32_t>& tokens, bool all_logits, bool build_first) {
  guard_store([&] { evaluate_now(tokens, all_logits, build_first); });
  return logits_;
}

void Session::check_tokens(const std::vector<int32_t>& tokens) const {
  const int n_vocab = model_.hparams().n_vocab;
  if (tokens.empty()) throw Error("BAD_ARGUMENT", "eval needs at least one token");
  for (int32_t t : tokens)
    if (t < 0 || t >= n_vocab)
      throw Error("BAD_TOKEN", "token id " + std::to_string(t) + " is out of range (vocab " + std::to_string(n_vocab) + ")");
  if (n_past_ + int64_t(tokens.size()) > kv_.n_ctx())
    throw Error("CTX_FULL", "context is full: " + std::to_string(n_past_) + " + " + std::to_string(tokens.size()) +
                                " tokens exceed --ctx " + std::to_string(kv_.n_ctx()));
}

void Session::evaluate_now(const std::vector<int32_t>& tokens, bool all_logits, bool build_first) {
  const int n_vocab = model_.hparams().n_vocab;
  check_tokens(tokens);
  stats_ = StepStats{};
  step_weighted_keys_ = 0;
  const PhaseTimes before = times_;
  const bool mid_answer = tokens.size() == 1 && last_eval_single_;
  last_eval_single_ = tokens.size() == 1;
  if (build_first && sparse_ && sparse_->ready_to_build(n_past_, mid_answer)) build_sparse_index();
  apply_budget();
  std::vector<float> all;
  if (all_logits) all.reserve(tokens.size() * size_t(n_vocab));
  for (size_t i = 0; i < tokens.size(); i += size_t(opts_.n_batch)) {
    const int64_t n = std::min<int64_t>(opts_.n_batch, int64_t(tokens.size() - i));
    const bool last_chunk = i + size_t(n) == tokens.size();
    forward_chunk(tokens.data() + i, n, all_logits ? n : last_chunk ? 1 : 0);
    if (all_logits) all.insert(all.end(), logits_.begin(), logits_.end());
    // a prefill commits chunk by chunk; single decoded tokens wait for flush_store()
    if (store_ && tokens.size() > 1) flush_store();
  }
  if (all_logits) logits_.swap(all);
  report_full_positions();
  stats_.tokens = int64_t(tokens.size());
  stats_.matmul_ms = times_.matmul_ms - before.matmul_ms;
  stats_.other_ms = times_.other_ms - before.other_ms;
  if (!sparse_active()) stats_.full_attention_ms = times_.attention_ms - before.attention_ms;
}

// n_out: the chunk's last rows whose logits are asked (0 .. n)
void Session::forward_chunk(const int32_t* tokens, int64_t n, int64_t n_out) {
  const HParams& hp = model_.hparams();
  embed_chunk(tokens, n);
  for (int l = 0; l < hp.n_layer; ++l) forward_layer(l, n, l + 1 == hp.n_layer ? n_out : n);
  if (n_out > 0) chunk_logits(n_out);
  tokens_.insert(tokens_.end(), tokens, tokens + n);
  n_past_ += n;
  settle_kv_pages();
  if (sparse_active())
    for (int64_t i = 0; i < n; ++i) sparse_->end_step();
}

// x = embed[token]   (n, E), and the chunk's rotations (positions n_past, ...)
void Session::embed_chunk(const int32_t* tokens, int64_t n) {
  const HParams& hp = model_.hparams();
  const Weights& w = model_.weights();
  const int E = hp.n_embd;
  const size_t N = size_t(n);
  x_.resize(N * E);
  auto t_other = Clock::now();
  for (int64_t i = 0; i < n; ++i) dequantize_matrix_row(w.token_embd, tokens[i], x_.data() + i * E);
  scale_embeddings(x_.data(), n);
  times_.other_ms += ms_since(t_other);
  fill_rope(n_past_, n);
}

// gemma3 scales the embeddings (n rows of n_embd) by sqrt(n_embd), as ggml_scale does.
void Session::scale_embeddings(float* x, int64_t n) const {
  const HParams& hp = model_.hparams();
  if (hp.embed_scale == 1.0f) return;
  for (float *p = x, *end = x + n * hp.n_embd; p < end; ++p) *p *= hp.embed_scale;
}

// rotations of positions [pos0, pos0 + n), shared by every layer (the factors by
// the session's context, as llama.cpp chooses LongRoPE's by its context size)
void Session::fill_rope(int64_t pos0, int64_t n) {
  const HParams& hp = model_.hparams();
  const std::vector<float>& factors = rope_factors_for(model_.weights(), hp, n_ctx());
  rope_.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) rope_[size_t(i)].fill(hp, factors, pos0 + i);
  if (!hp.has_swa()) return;
  HParams swa = hp;  // llama.cpp's per-layer base and scale for the sliding-window layers
  swa.rope_freq_base = hp.rope_freq_base_swa;
  swa.rope_freq_scale = hp.rope_freq_scale_swa;
  if (hp.swa_plain_rope) {  // olmo2: ext_factor 0, attn_factor 1 on its window layers
    swa.yarn_ext_factor = 0.0f;
    swa.rope_mscale = 1.0f;
  }
  rope_swa_.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) rope_swa_[size_t(i)].fill(swa, factors, pos0 + i);
}

// logits (rows, n_vocab) of the rows of x_ (rows, E)
void Session::chunk_logits(int64_t rows) {
  const HParams& hp = model_.hparams();
  const Weights& w = model_.weights();
  const int E = hp.n_embd;
  h_.resize(size_t(rows) * E);
  norm_rows(x_.data(), w.output_norm, h_.data(), rows);
  add_bias(h_.data(), w.output_norm_b, rows);
  logits_.resize(size_t(rows) * hp.n_vocab);
  auto t0 = Clock::now();
  matmul(w.output, h_.data(), rows, logits_.data(), pool_, mm_scratch_);
  times_.matmul_ms += ms_since(t0);
  add_bias(logits_.data(), w.output_b, rows);  // phimoe
  if (hp.logit_factor != 0.0f)  // granite, cohere2: ggml_scale
    for (float& v : logits_) v *= hp.logit_factor;
  if (hp.final_logit_softcap > 0) {  // ggml_scale, ggml_tanh, ggml_scale
    const float c = hp.final_logit_softcap, inv = 1.0f / c;
    for (float& v : logits_) v = std::tanh(v * inv) * c;
  }
}

// One layer over the chunk x_ (n, E) at positions [n_past, n_past + n): its
// K/V go to the cache; x_ becomes the layer's output for the chunk's last n_out
// rows (n_out, E): n_out < n only in the last layer, before the logits.
void Session::forward_layer(int l, int64_t n, int64_t n_out) {
  const HParams& hp = model_.hparams();
  const Weights& w = model_.weights();
  const int E = hp.n_embd, Q = hp.q_dim(), KV = hp.kv_dim(), F = hp.n_ff, hd = hp.head_dim;
  const size_t N = size_t(n);
  h_.resize(N * E); q_.resize(N * Q); k_.resize(N * KV); v_.resize(N * KV);
  att_.resize(N * Q); tmp_.resize(N * E);
  if (!hp.is_moe_layer(l)) {
    gate_.resize(N * F);
    up_.resize(N * F);
  }

  auto mm = [&](const WeightMatrix& W, const float* in, int64_t rows, float* out) {
    auto t0 = Clock::now();
    matmul(W, in, rows, out, pool_, mm_scratch_);
    times_.matmul_ms += ms_since(t0);
  };
  // several matrices of one input in one pool run (one activation conversion)
  auto mm_multi = [&](std::initializer_list<MatmulTarget> targets, const float* in, int64_t rows) {
    auto t0 = Clock::now();
    matmul_multi(targets.begin(), int(targets.size()), in, rows, pool_, mm_scratch_);
    times_.matmul_ms += ms_since(t0);
  };

  std::vector<const uint16_t*>& k_heads = k_heads_;
  std::vector<const uint16_t*>& v_heads = v_heads_;
  k_heads.resize(size_t(hp.n_head_kv));
  v_heads.resize(size_t(hp.n_head_kv));
  const float scale = hp.kq_scale(), q_scale = hp.q_scale();

  const LayerWeights& L = w.layers[size_t(l)];
  auto t_other = Clock::now();
  pre_norm(L.attn_norm, n);
  add_bias(h_.data(), L.attn_norm_b, n);
  times_.other_ms += ms_since(t_other);
  // q (n, n_head, hd), k v (n, n_head_kv, hd)
  mm_multi({{&L.wq, q_.data()}, {&L.wk, k_.data()}, {&L.wv, v_.data()}}, h_.data(), n);
  t_other = Clock::now();
  add_bias(q_.data(), L.bq, n);
  add_bias(k_.data(), L.bk, n);
  add_bias(v_.data(), L.bv, n);
  // each head's Q and K RMS-normed (qwen3 and others before RoPE, hunyuan-dense after), or
  // each token's whole Q and K (olmo2)
  auto qk_norm = [&](int64_t i0, int64_t rows) {
    const bool whole = hp.qk_norm_whole();
    rms_norm(q_.data() + i0 * Q, L.q_norm.data(), q_.data() + i0 * Q, whole ? rows : rows * hp.n_head,
             whole ? Q : hd, hp.rms_eps);
    rms_norm(k_.data() + i0 * KV, L.k_norm.data(), k_.data() + i0 * KV, whole ? rows : rows * hp.n_head_kv,
             whole ? KV : hd, hp.rms_eps);
  };
  const bool norm_after_rope = hp.qk_norm_after_rope();
  if (!L.q_norm.empty() && !norm_after_rope) qk_norm(0, n);
  const bool swa = hp.is_swa(l), rotate = hp.rotates(l);
  const std::vector<RopeTable>& rope = swa ? rope_swa_ : rope_;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t pos = n_past_ + i;
    if (rotate) {
      apply_rope(q_.data() + i * Q, hp.n_head, hd, hp.n_rot, hp.rope_style, rope[size_t(i)]);
      apply_rope(k_.data() + i * KV, hp.n_head_kv, hd, hp.n_rot, hp.rope_style, rope[size_t(i)]);
    }
    if (!L.q_norm.empty() && norm_after_rope) qk_norm(i, 1);
    if (q_scale != 1.0f)
      for (float* q = q_.data() + i * Q, *end = q + Q; q < end; ++q) *q *= q_scale;
    if (hp.has_attn_temp())  // mistral3: ggml_mul of Q by the position's temperature
      for (float *q = q_.data() + i * Q, *end = q + Q, t = hp.attn_temp(pos); q < end; ++q) *q *= t;
    for (int g = 0; g < hp.n_head_kv; ++g) {
      f32_to_f16_row(k_.data() + i * KV + g * hd, kv_.k(l, g) + size_t(pos) * hd, hd);
      f32_to_f16_row(v_.data() + i * KV + g * hd, kv_.v(l, g) + size_t(pos) * hd, hd);
    }
  }
  times_.other_ms += ms_since(t_other);

  auto t_att = Clock::now();
  for (int g = 0; g < hp.n_head_kv; ++g) {
    k_heads[size_t(g)] = kv_.k(l, g);
    v_heads[size_t(g)] = kv_.v(l, g);
  }
  const float* sinks = L.attn_sinks.empty() ? nullptr : L.attn_sinks.data();  // gpt-oss
  if (sparse_active() && !sparse_->indexed_layer(l)) {
    // a sliding-window layer once sparse: its window exactly, over the cache rows from the
    // chunk's first window start on (its masks, relative to positions, cut the later
    // queries' windows), so a step reads n_swa keys, not the context
    const int64_t lo = std::max<int64_t>(0, n_past_ + 1 - hp.n_swa);
    for (int g = 0; g < hp.n_head_kv; ++g) {
      k_heads[size_t(g)] += size_t(lo) * hd;
      v_heads[size_t(g)] += size_t(lo) * hd;
    }
    CausalAttentionArgs args{q_.data(), att_.data(), n, n_past_ - lo, hp.n_head, hp.n_head_kv, hd, scale,
                             k_heads.data(), v_heads.data(), size_t(hd), opts_.retrieval.numerics};
    args.window = hp.n_swa;
    args.sinks = sinks;
    causal_attention(args, pool_);
  } else if (sparse_active()) {
    // RetrievalAttention: static set + retrieved keys, token by token (causal)
    for (int64_t i = 0; i < n; ++i)
      sparse_->attend_layer(l, q_.data() + i * Q, n_past_ + i, att_.data() + i * Q, stats_, pool_, sinks);
  } else {
    CausalAttentionArgs args{q_.data(), att_.data(), n, n_past_, hp.n_head, hp.n_head_kv, hd, scale,
                             k_heads.data(), v_heads.data(), size_t(hd), opts_.retrieval.numerics};
    if (swa) args.window = hp.n_swa;
    args.sinks = sinks;
    // a decode step reports where it looked, as a sparse step does (a sliding-window
    // layer sees only its window, which a sparse step's positions leave out too)
    const bool weigh = n == 1 && !swa;
    if (weigh) {
      group_key_weights_.resize(size_t(hp.n_head_kv) * size_t(n_past_ + 1));
      args.key_weights = group_key_weights_.data();
    }
    causal_attention(args, pool_);
    if (weigh) add_layer_key_weights(n_past_ + 1);
    if (sparse_) sparse_->capture_queries(l, q_.data(), n_past_, n);
  }
  times_.attention_ms += ms_since(t_att);

  mm(L.wo, att_.data(), n, tmp_.data());
  // llama.cpp's inp_out_ids: past the last layer's attention output only the chunk's
  // last n_out rows go on (those whose logits are asked; none in a prompt's earlier
  // chunks), so its FFN runs on them alone, with the products' row groups llama.cpp's
  if (n_out < n) {
    const size_t skip = size_t(n - n_out) * E, keep = size_t(n_out) * E;
    std::copy(tmp_.begin() + std::ptrdiff_t(skip), tmp_.begin() + std::ptrdiff_t(skip + keep), tmp_.begin());
    std::copy(x_.begin() + std::ptrdiff_t(skip), x_.begin() + std::ptrdiff_t(skip + keep), x_.begin());
    if (hp.parallel_block())  // the FFN's input too
      std::copy(h_.begin() + std::ptrdiff_t(skip), h_.begin() + std::ptrdiff_t(skip + keep), h_.begin());
    x_.resize(keep);
    if (n_out == 0) return;
  }
  const int64_t m = n_out;  // the rows that go on       (m, E)
  t_other = Clock::now();
  add_bias(tmp_.data(), L.bo, m);
  if (hp.parallel_block()) {
    // cohere2: the FFN takes the attention's normed input (h_); x + FFN, then + attention
    attn_out_.assign(tmp_.begin(), tmp_.begin() + std::ptrdiff_t(m * E));
  } else {
    if (!L.attn_post_norm.empty()) rms_norm(tmp_.data(), L.attn_post_norm.data(), tmp_.data(), m, E, hp.rms_eps);
    scale_residual(tmp_.data(), m);
    add_inplace(x_.data(), tmp_.data(), m * E);
    pre_norm(L.ffn_norm, m);
    add_bias(h_.data(), L.ffn_norm_b, m);
  }
  times_.other_ms += ms_since(t_other);
  if (hp.is_moe_layer(l)) {
    t_other = Clock::now();
    double matmul_ms = 0;
    moe_.forward(L, hp, h_.data(), m, tmp_.data(), pool_, mm_scratch_, matmul_ms);
    times_.matmul_ms += matmul_ms;
    times_.other_ms += ms_since(t_other) - matmul_ms;
  } else if (hp.ffn_relu_sqr()) {  // arcee: ggml_relu, ggml_sqr (exact, any order)
    mm(L.w_up, h_.data(), m, up_.data());
    t_other = Clock::now();
    for (float *p = up_.data(), *end = p + m * F; p < end; ++p) *p = *p > 0.0f ? *p * *p : 0.0f;
    times_.other_ms += ms_since(t_other);
    mm(L.w_down, up_.data(), m, tmp_.data());
  } else {
    mm_multi({{&L.w_gate, gate_.data()}, {&L.w_up, up_.data()}}, h_.data(), m);
    t_other = Clock::now();
    for (int64_t i = 0; i < m; ++i) {  // per row, as ggml chunks it
      if (hp.arch == Arch::GEMMA3) geglu(gate_.data() + i * F, up_.data() + i * F, F);
      else swiglu(gate_.data() + i * F, up_.data() + i * F, F);
    }
    times_.other_ms += ms_since(t_other);
    mm(L.w_down, gate_.data(), m, tmp_.data());
  }
  if (!L.ffn_post_norm.empty()) rms_norm(tmp_.data(), L.ffn_post_norm.data(), tmp_.data(), m, E, hp.rms_eps);
  scale_residual(tmp_.data(), m);
  add_inplace(x_.data(), tmp_.data(), m * E);
  if (hp.parallel_block()) add_inplace(x_.data(), attn_out_.data(), m * E);
}

// h_ = the attention's or the FFN's input: x_ (n, E) normed by `gains`, or x_ itself
// where the model has no such norm (exaone4)
void Session::pre_norm(const std::vector<float>& gains, int64_t n) {
  const HParams& hp = model_.hparams();
  if (gains.empty()) std::copy(x_.begin(), x_.begin() + n * hp.n_embd, h_.begin());
  else norm_rows(x_.data(), gains, h_.data(), n);
}

// The model's norm over n rows of n_embd: RMSNorm, or LayerNorm without a bias (cohere2)
void Session::norm_rows(const float* x, const std::vector<float>& gains, float* out, int64_t n) const {
  const HParams& hp = model_.hparams();
  if (hp.layer_norm) layer_norm(x, gains.data(), out, n, hp.n_embd, hp.rms_eps, llama_cvar_lanes());
  else rms_norm(x, gains.data(), out, n, hp.n_embd, hp.rms_eps);
}

// granite: a layer's attention or FFN output (n, E) scaled before its residual add (ggml_scale)
void Session::scale_residual(float* x, int64_t n) const {
  const HParams& hp = model_.hparams();
  if (hp.residual_scale == 0.0f) return;
  for (float *p = x, *end = x + n * hp.n_embd; p < end; ++p) *p *= hp.residual_scale;
}

void Session::add_layer_key_weights(int64_t n_keys) {
  const int G = model_.hparams().n_head_kv;
  if (step_weighted_keys_ != n_keys) {
    step_key_weights_.assign(size_t(n_keys), 0.0f);
    step_weighted_keys_ = n_keys;
  }
  float* sum = step_key_weights_.data();
  for (int g = 0; g < G; ++g) {
    const float* row = group_key_weights_.data() + size_t(g) * size_t(n_keys);
    for (int64_t j = 0; j < n_keys; ++j) sum[j] += row[j];
  }
}

void Session::report_full_positions() {
  const int64_t n = step_weighted_keys_;
  if (n == 0) return;
  step_weighted_keys_ = 0;
  const int64_t lo = std::min<int64_t>(opts_.retrieval.sinks, n), hi = std::max<int64_t>(lo, n - opts_.retrieval.window);
  stats_.add_position_run(int32_t(lo), step_key_weights_.data() + lo, size_t(hi - lo));
}

}  // namespace tome
