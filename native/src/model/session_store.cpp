// Session <-> KvStore: restoring a context from its store and committing it as
// it grows. The store is written in the order a restore reads it back, and a
// restore uses only what verifies, so a process killed at any point leaves a
// store that restores a consistent prefix (see attach_store in session.h).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "model/fingerprint.h"
#include "model/query_sample.h"
#include "model/session.h"
#include "model/weights.h"
#include "retrieval/growth.h"
#include "retrieval/key_matrix.h"

namespace tome {

namespace {

// What shapes K/V: the attention numerics of the (always full) prefill, and for a
// LongRoPE model the factors its keys were rotated by (a session's context chooses
// them: a store of short-factor keys is no use to a long-context session).
std::string kv_settings_text(const RetrievalSettings& r, const Weights& w, const HParams& hp, int64_t n_ctx) {
  std::string s = std::string("numerics=") + (r.numerics == AttentionNumerics::EXACT ? "exact" : "llama");
  if (!w.rope_factors_long.empty() && w.rope_freq_factors.empty())
    s += &rope_factors_for(w, hp, n_ctx) == &w.rope_factors_long ? ";rope=long" : ";rope=short";
  return s;
}

// What shapes the queries kept and the indexes built: the index kind.
std::string index_settings_text(const RetrievalSettings& r) {
  std::string s = "mode=" + std::string(attention_mode_name(r.mode));
  s += ";sinks=" + std::to_string(r.sinks) + ";window=" + std::to_string(r.window);
  if (r.mode == AttentionMode::RETRIEVAL)
    s += ";degree=" + std::to_string(r.degree) + ";query_sample=" + std::to_string(r.query_sample);
  // (written only when set: the stores of reads that kept every sampled position keep their kind)
  if (r.mode == AttentionMode::RETRIEVAL && r.query_level > 0) s += ";query_level=" + std::to_string(r.query_level);
  return s;
}

}  // namespace

StoreIdentity Session::make_store_identity() const {
  const HParams& hp = model_.hparams();
  StoreIdentity id;
  id.model_fp = model_fingerprint(model_);
  id.tokenizer_fp = tokenizer_fingerprint(model_);
  id.settings = kv_settings_text(opts_.retrieval, model_.weights(), hp, kv_.n_ctx());
  id.n_layer = hp.n_layer;
  id.n_head_kv = hp.n_head_kv;
  id.head_dim = hp.head_dim;
  return id;
}

HeadRowsFn Session::head_rows() {
  return [this](int layer, int head, bool value) { return value ? kv_.v(layer, head) : kv_.k(layer, head); };
}

int64_t Session::attach_store(std::unique_ptr<KvStore> store) {
  if (!store) throw Error("BAD_ARGUMENT", "no store to attach");
  if (store_) throw Error("BAD_ARGUMENT", "this session already has a KV store");
  if (n_past_ != 0) throw Error("BAD_ARGUMENT", "a KV store attaches to an empty session");
  const HParams& hp = model_.hparams();
  int64_t n = std::min(store->n_tokens(), kv_.n_ctx());
  std::vector<int32_t> ids;
  n = std::min(n, store->read_tokens(n, ids));
  for (int64_t i = 0; i < n; ++i)
    if (ids[size_t(i)] < 0 || ids[size_t(i)] >= hp.n_vocab) n = i;  // cannot be: checksummed; never trusted either
  store_ = std::move(store);
  // a prefix whose window's sliding-window rows were dropped (its tokens cut
  // short by damage) cannot be resumed: the document is read again
  if (!swa_rows_kept(n)) n = 0;
  queries_persisted_.assign(size_t(hp.n_layer) * size_t(hp.n_head_kv), 0);
  const RetrievalSettings asked = opts_.retrieval;
  try {
    adopt_store_index_settings();
    if (!restore_lazily(n)) {
      // a sliding-window layer's rows before the window are left in the store
      const int64_t swa_out = swa_release_on() ? swa_keep_from(n, n) : 0;
      n = std::min(n, store_->read_kv(head_rows(), n, [&](int l) { return hp.is_swa(l) ? swa_out : 0; }));
      if (!swa_rows_kept(n)) n = 0;
      swa_released_ = std::min(swa_out, n);
      restore_sparse_state(n);
      load_swa_rows(n);  // a prefix cut shorter than read: the rows of its window
    }
    if (n < store_->n_tokens()) store_->truncate(n);
    store_->touch();
  } catch (...) {
    // A store SQLite itself finds damaged (STORE_CORRUPT from a page, not a
    // block's checksum), a disk that refuses the cut or the touch: the session
    // is left as it was, empty and without a store (the store closed, its lock
    // released), so the caller can delete the file and attach again, or read
    // on without one. Before, it stayed bound to the store it could not use.
    opts_.retrieval = asked;
    swa_released_ = 0;
    store_damage_.clear();
    if (sparse_) sparse_ = std::make_unique<RetrievalAttention>(hp, opts_.retrieval, kv_);
    residency_.reset();
    index_spill_.reset();
    code_spill_.reset();
    store_.reset();
    queries_persisted_.clear();
    throw;
  }
  ids.resize(size_t(n));
  tokens_ = std::move(ids);
  n_past_ = n;
  store_committed_ = n;
  apply_budget();
  return n;
}

// The lazy restore under a RAM budget (see attach_store in session.h): the
// store's complete indexes for positions [0, n), their keys read block by
// block straight into each index's key copy, and into the cache only the
// units that must stay in RAM; every other unit is left in the store, marked
// not resident. The result is what restore_sparse_state() gives over a full
// read: the same index images over the same key bytes. false (the session as
// it was, the eager path to follow) when the store has no usable complete
// index set of this kind, or when any block or index read fails verification.
bool Session::restore_lazily(int64_t n) {
  if (!sparse_ || !budget_set() || opts_.retrieval.mode == AttentionMode::STREAMING) return false;
  if (!store_index_is_ours(false)) return false;
  const int64_t built_at = store_->index_built_at();
  if (built_at < 0 || built_at > n || !(store_->index_complete() || built_at == n)) return false;
  const HParams& hp = model_.hparams();
  const int64_t hd = hp.head_dim, B = kStoreBlockTokens, sinks = opts_.retrieval.sinks;
  const int64_t end = sparse_->index_end(built_at);  // keys [sinks, end) are in the indexes
  // the static set of the next step (position n), as apply_budget() sets it
  const int64_t window_start = next_window_start(n);
  auto residency = make_residency();
  const int64_t ur = residency->unit_rows();
  auto stays = [&](int64_t p) { return residency->must_stay(p, sinks, window_start, n); };
  const size_t row_bytes = size_t(hd) * sizeof(uint16_t);
  std::vector<uint16_t> block_k;  // aligned copy of a block's K rows
  std::vector<uint8_t> image;
  bool ok = true, codes_at_reopen = false, codes_decided = false;
  for (int l = 0; ok && l < hp.n_layer; ++l)
    for (int g = 0; ok && g < hp.n_head_kv; ++g) {
      const bool indexed = sparse_->indexed_layer(l);  // a sliding-window layer: its rows that stay only
      KeyMatrix keys(static_cast<int>(hd));
      if (indexed) reserve_for(keys.storage(), size_t(end - sinks) * size_t(hd));  // the capacity one append of them all gives
      for (int64_t b = 0; ok && b * B < n; ++b) {
        const int64_t p0 = b * B, p1 = std::min(n, p0 + B);
        // this block's index keys
        const int64_t k0 = std::max(p0, sinks), k1 = indexed ? std::min(p1, end) : k0;
        bool rows = false;
        for (int64_t p = p0; p < p1; p += ur) rows = rows || stays(p);
        if (k1 <= k0 && !rows) continue;  // left in the store
        if (store_->dropped(l, b)) continue;  // a sliding-window layer's (a sealed prefix): its sinks are never read
        bool fits = true;
        ok = store_->read_block(l, g, b, [&](const uint8_t* k, const uint8_t* v, int64_t got) {
          if (got < p1 - p0) {
            fits = false;
            return;
          }
          if (k1 > k0) {
            block_k.resize(size_t(k1 - k0) * size_t(hd));
            std::memcpy(block_k.data(), k + size_t(k0 - p0) * row_bytes, size_t(k1 - k0) * row_bytes);
            keys.append_f16(block_k.data(), k1 - k0, size_t(hd));
          }
          for (int64_t p = p0; p < p1; p += ur) {
            if (!stays(p)) continue;
            const size_t at = size_t(p - p0) * row_bytes, bytes = size_t(std::min(p1, p + ur) - p) * row_bytes;
            std::memcpy(reinterpret_cast<uint8_t*>(kv_.k(l, g)) + size_t(p) * row_bytes, k + at, bytes);
            std::memcpy(reinterpret_cast<uint8_t*>(kv_.v(l, g)) + size_t(p) * row_bytes, v + at, bytes);
          }
        }) && fits;
      }
      if (!indexed) continue;
      if (ok) ok = store_->read_index(l, g, built_at, image);
      if (!ok) break;
      try {
        sparse_->set_index(l, g, deserialize_index(image.data(), image.size(), &keys));
      } catch (const Error& e) {
        if (e.code() != "RETRIEVAL_CORRUPT") throw;
        ok = false;
      }
      // paged out as soon as read, so the reopen never holds every index at
      // once; apply_budget() pages them back in where the budget holds them.
      // Their navigation codes too where the budget will not hold them, as
      // apply_budget() would find with every index like the first one.
      const bool first = ok && !codes_decided;  // the first index read
      codes_decided = codes_decided || first;
      if (first && page_out_index(l, g, false)) {
        const size_t pairs = size_t(sparse_->indexed_layers()) * size_t(hp.n_head_kv);
        const uint64_t budget = budget_bytes(*residency, n, sparse_->index_resident_bytes() * pairs);
        const uint64_t floor_with_codes = sparse_->index_floor_bytes(true) * pairs + index_spill_->table_bytes();
        codes_at_reopen = !codes_fit(*residency, floor_with_codes, n, n, budget);
      }
      if (ok) page_out_index(l, g, codes_at_reopen);
    }
  if (!ok) {  // the full read decides what is usable
    sparse_ = std::make_unique<RetrievalAttention>(hp, opts_.retrieval, kv_);
    return false;
  }
  if (!store_->index_complete()) store_->set_index_complete(built_at);  // every index made it but the mark did not
  sparse_->activate(built_at);
  residency->start_unread(n, sinks, window_start, n);
  residency->spill_unread();
  residency_ = std::move(residency);
  sparse_->set_row_guard(residency_.get());
  return true;
}

// A unit read on demand (after a lazy restore, or one released under the
// budget) whose store block fails verification: the store is cut back to that
// block, so the next attach resumes from the intact prefix (or rebuilds when
// the indexes covered it), and this session stops using it (its context past
// that point is gone from the store, and rows released from RAM are lost).
void Session::guard_store(const std::function<void()>& fn) {
  if (!store_damage_.empty()) throw Error("STORE_CORRUPT", store_damage_);
  try {
    fn();
  } catch (const Error& e) {
    if (e.code() != "STORE_CORRUPT" || !residency_ || residency_->damaged_at() < 0 || !store_damage_.empty()) throw;
    const int64_t at = residency_->damaged_at();
    store_damage_ = std::string(e.what()) + "; the store was cut back to position " + std::to_string(at) +
                    ", and this session can no longer use it: reopen the document";
    try {
      store_->truncate(at);
    } catch (const Error&) {
      // the store cannot even be cut back: the next attach reads it in full and finds the damage itself
    }
    throw Error("STORE_CORRUPT", store_damage_);
  }
}

namespace {
// The fields of an index kind's text (index_settings_text): "k=v;k=v;...".
std::vector<std::pair<std::string, std::string>> kind_fields(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t end = std::min(text.find(';', at), text.size());
    const std::string field = text.substr(at, end - at);
    const size_t eq = field.find('=');
    out.emplace_back(field.substr(0, eq), eq == std::string::npos ? std::string() : field.substr(eq + 1));
    at = end + 1;
  }
  return out;
}
// v as a whole decimal integer in [lo, hi], else false.
bool parse_int(const std::string& v, int lo, int hi, int& out) {
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) return false;
  const long x = std::stol(v);
  if (x < lo || x > hi) return false;
  out = int(x);
  return true;
}
}  // namespace

// A store's indexes (and, before its build, its queries) were made under the
// settings its index kind names: sinks and window (the span the indexes
// cover), and for retrieval the graph degree and the query sample (and level). A session
// of the same mode asking for other values adopts the store's, so the book is
// not read again: before, a retrieval session prefilled the whole document
// anew (a 128K-token book: the costliest thing tome does) and the store lost
// its other kind. Its own values apply to documents read from then on.
// retrieval() tells which settings a session runs with. Nothing changes when
// the stored text is not one these settings write (another mode, fields
// unknown or out of range): that store is another kind, as before. Returns
// whether the settings changed.
bool Session::adopt_store_index_settings() {
  if (!sparse_ || opts_.retrieval.mode == AttentionMode::STREAMING) return false;
  const std::string stored = store_->index_settings();
  if (stored.empty() || stored == index_settings_text(opts_.retrieval)) return false;
  RetrievalSettings r = opts_.retrieval;
  r.query_level = 0;  // the store's (a level planned for another read is not this store's)
  for (const auto& [key, value] : kind_fields(stored)) {
    bool ok = true;
    if (key == "mode") ok = value == attention_mode_name(r.mode);
    else if (key == "sinks") ok = parse_int(value, 0, 1 << 20, r.sinks);
    else if (key == "window") ok = parse_int(value, 1, 1 << 20, r.window);
    else if (key == "degree") ok = parse_int(value, 2, 1024, r.degree);
    else if (key == "query_level") ok = parse_int(value, 1, kMaxQueryLevel, r.query_level);
    else if (key == "query_sample") {
      char* end = nullptr;
      const double x = std::strtod(value.c_str(), &end);
      ok = !value.empty() && end == value.c_str() + value.size() && x > 0 && x <= 1;
      if (ok) r.query_sample = x;
    } else ok = false;
    if (!ok) return false;
  }
  if (index_settings_text(r) != stored) return false;  // not a text these settings write
  opts_.retrieval = r;
  sparse_ = std::make_unique<RetrievalAttention>(model_.hparams(), opts_.retrieval, kv_);
  return true;
}

// Whether the store's queries and indexes are of this session's index kind
// (claiming the store for it when it holds none yet).
bool Session::store_index_is_ours(bool claim) {
  const std::string mine = index_settings_text(opts_.retrieval);
  if (store_->index_settings().empty() && claim) store_->set_index_settings(mine);
  return store_->index_settings().empty() || store_->index_settings() == mine;
}

// Retrieval state for a restored prefix of n positions: the indexes when the
// store has them all, else the captured queries the (remaining) build needs.
// Lowers n to what can be restored consistently. Another index kind's queries
// and indexes are left alone by a mode without queries (streaming, flat, ivf),
// which builds its own from the keys; retrieval needs its queries, so it
// prefills again from 0, and the store's cut to 0 drops the other kind's.
void Session::restore_sparse_state(int64_t& n) {
  if (!sparse_) return;
  const HParams& hp = model_.hparams();
  if (!store_index_is_ours(false)) {
    if (opts_.retrieval.mode == AttentionMode::RETRIEVAL) n = 0;
    return;
  }
  const int64_t built_at = store_->index_built_at();
  const bool indexes_usable = built_at >= 0 && built_at <= n && (store_->index_complete() || built_at == n);
  if (built_at >= 0 && !indexes_usable) store_->drop_indexes();
  if (indexes_usable) {
    const int64_t begin = opts_.retrieval.sinks, end = sparse_->index_end(built_at);
    std::vector<uint8_t> image;
    bool all = true;
    for (int l = 0; l < hp.n_layer; ++l)
      for (int g = 0; g < hp.n_head_kv && sparse_->indexed_layer(l); ++g) {
        if (!store_->read_index(l, g, built_at, image)) {
          all = false;
          continue;
        }
        const uint16_t* rows = kv_.k(l, g) + size_t(begin) * hp.head_dim;
        KeyMatrix keys = KeyMatrix::view(rows, end - begin, hp.head_dim);
        if (!opts_.retrieval.share_cache_keys) keys.own();
        try {
          sparse_->set_index(l, g, deserialize_index(image.data(), image.size(), &keys));
        } catch (const Error& e) {
          if (e.code() != "RETRIEVAL_CORRUPT") throw;
          all = false;  // rebuilt below if the queries are still there, else the prefill runs again
        }
      }
    if (all && store_->index_complete()) {
      sparse_->activate(built_at);
      return;
    }
    if (all) {  // every index made it but the completion mark did not
      store_->set_index_complete(built_at);
      sparse_->activate(built_at);
      return;
    }
  }
  if (opts_.retrieval.mode != AttentionMode::RETRIEVAL) return;
  // The build still needs the prefill's queries: restore them for [0, n); a
  // prefix whose queries are gone (or torn) is prefilled again from there.
  std::vector<uint16_t> rows;
  int64_t covered = n;
  for (int l = 0; l < hp.n_layer; ++l)
    for (int g = 0; g < hp.n_head_kv && sparse_->indexed_layer(l); ++g)
      covered = std::min(covered, store_->read_queries(l, g, n, hp.n_gqa(), rows));
  if (covered < n) {
    n = covered;
    if (built_at >= 0) store_->drop_indexes();
    sparse_ = std::make_unique<RetrievalAttention>(hp, opts_.retrieval, kv_);
  }
  // (verified here, left in the store until the build: bring_back_queries)
  for (int l = 0; l < hp.n_layer; ++l)
    for (int g = 0; g < hp.n_head_kv && sparse_->indexed_layer(l); ++g) {
      store_->read_queries(l, g, n, hp.n_gqa(), rows);
      sparse_->note_spilled(l, g, rows.size());
      queries_persisted_[size_t(l) * hp.n_head_kv + size_t(g)] = rows.size();
    }
}

void Session::flush_store() {
  if (!store_) return;
  guard_store([&] {
    if (store_committed_ < n_past_) flush_store_now();
  });
}

void Session::flush_store_now(bool spill) {
  const HParams& hp = model_.hparams();
  std::vector<QueryChunk> chunks;
  if (sparse_ && !sparse_->active() && opts_.retrieval.mode == AttentionMode::RETRIEVAL && store_index_is_ours(true))
    for (int l = 0; l < hp.n_layer; ++l)
      for (int g = 0; g < hp.n_head_kv; ++g) {
        const size_t pair = size_t(l) * hp.n_head_kv + size_t(g);
        // the RAM rows follow the spilled ones, which are all persisted
        const std::vector<uint16_t>& q = sparse_->captured_queries(l, g);
        const size_t from = std::min(queries_persisted_[pair] - sparse_->spilled_values(l, g), q.size());
        chunks.push_back(QueryChunk{l, g, q.data() + from, int64_t((q.size() - from) / size_t(hp.head_dim))});
      }
  store_->append(head_rows(), tokens_.data(), store_committed_, n_past_, chunks);
  store_committed_ = n_past_;
  if (residency_) apply_budget();  // the blocks just committed may go
  release_swa_rows();
  drop_stored_swa_rows();
  for (const QueryChunk& c : chunks)
    queries_persisted_[size_t(c.layer) * hp.n_head_kv + size_t(c.head)] += size_t(c.n_rows) * size_t(hp.head_dim);
  if (spill && !chunks.empty()) spill_persisted_queries();
}

void Session::spill_persisted_queries() {
  const HParams& hp = model_.hparams();
  for (int l = 0; l < hp.n_layer; ++l)
    for (int g = 0; g < hp.n_head_kv; ++g)
      if (!sparse_->captured_queries(l, g).empty() &&
          queries_persisted_[size_t(l) * hp.n_head_kv + size_t(g)] == sparse_->captured_values(l, g))
        sparse_->spill_queries(l, g);
}

void Session::read_spilled_queries(int layer, int kv_head, std::vector<uint16_t>& out) const {
  const size_t want = sparse_->spilled_values(layer, kv_head);
  out.clear();
  if (want == 0) return;
  // (below the committed positions only: chunks past them are a stopped layer-major prefill's, which a
  // store that refused their delete still holds)
  if (store_) store_->read_queries(layer, kv_head, store_committed_, model_.hparams().n_gqa(), out);
  if (out.size() < want)
    throw Error("STORE_CORRUPT", "the KV store's prefill queries (layer " + std::to_string(layer) + ", KV head " +
                                     std::to_string(kv_head) + ") are missing or failed verification; reopen the "
                                     "document to read the damaged part again");
  out.resize(want);
}

void Session::bring_back_queries(int layer) {
  if (!sparse_ || !sparse_->any_spilled()) return;
  const HParams& hp = model_.hparams();
  const int l0 = layer < 0 ? 0 : layer, l1 = layer < 0 ? hp.n_layer : layer + 1, G = hp.n_head_kv;
  std::vector<std::vector<uint16_t>> rows(size_t(l1 - l0) * size_t(G));  // all read before any is put back
  for (int l = l0; l < l1; ++l)
    for (int g = 0; g < G; ++g) read_spilled_queries(l, g, rows[size_t(l - l0) * G + size_t(g)]);
  for (int l = l0; l < l1; ++l)
    for (int g = 0; g < G; ++g)
      if (sparse_->spilled_values(l, g) > 0) sparse_->unspill_queries(l, g, std::move(rows[size_t(l - l0) * G + size_t(g)]));
}

void Session::truncate_store(int64_t n) {
  KvStore::QueryRowsFn query_rows;
  if (sparse_ && !sparse_->active() && opts_.retrieval.mode == AttentionMode::RETRIEVAL && store_index_is_ours(false)) {
    // a chunk's rows for [p0, p1): n_gqa a kept position (the session's sampling, model/query_sample.h)
    const int64_t stride = sparse_->sample_stride(), rows_per_position = model_.hparams().n_gqa();
    const int level = sparse_->settings().query_level;
    std::map<int64_t, int64_t> kept;  // count_kept_positions(p), for the few chunk bounds asked
    auto kept_below = [&](int64_t p) {
      auto it = kept.find(p);
      if (it == kept.end()) it = kept.emplace(p, count_kept_positions(p, stride, level)).first;
      return it->second;
    };
    query_rows = [&](int64_t p0, int64_t p1) { return (kept_below(p1) - kept_below(p0)) * rows_per_position; };
  }
  store_->truncate(n, query_rows);
  store_committed_ = std::min(store_committed_, n);
  if (!sparse_) return;
  const HParams& hp = model_.hparams();
  // the store now holds every row below n it held (query_rows), so the rows kept in
  // the session (forget_queries_from(n) ran first) are persisted as far as they were
  for (int l = 0; l < hp.n_layer; ++l)
    for (int g = 0; g < hp.n_head_kv; ++g) {
      size_t& p = queries_persisted_[size_t(l) * hp.n_head_kv + size_t(g)];
      p = std::min(p, sparse_->captured_values(l, g));
    }
}

// Builds the indexes; with a store, each is committed as soon as it exists
// (without its keys: they are the store's K rows) and the set is then marked
// complete, which also drops the stored queries.
void Session::build_sparse_index(const std::function<void(int done, int total)>& progress) {
  // the build point's context is in the store before any index (its new queries kept in RAM)
  if (store_ && store_committed_ < n_past_) flush_store_now(false);
  RetrievalAttention::IndexBuilt persist;
  const int64_t built_at = n_past_;
  // streaming has no index; another kind's indexes in the store are left alone
  const bool keep = store_ && opts_.retrieval.mode != AttentionMode::STREAMING && store_index_is_ours(true);
  if (keep)
    persist = [&](int l, int g, const KeyIndex& index) { store_->put_index(l, g, built_at, index.serialize(false)); };
  // each layer's spilled queries come back just before its build (which frees them): RAM
  // holds one layer's at a time. Found damaged, the layers before are built and the others
  // not: this session no longer uses the store (a reopen reads the damaged part again).
  auto bring_back = [&](int l) {
    try {
      bring_back_queries(l);
    } catch (const Error& e) {
      if (e.code() == "STORE_CORRUPT" && store_damage_.empty()) store_damage_ = e.what();
      throw;
    }
  };
  // progress counts the layers this build builds: those a reopen restored take no time, and
  // counted they would make the time left by the layers' rate too short
  auto builds = [&](int l) { return sparse_->indexed_layer(l) && !sparse_->layer_restored(l, n_past_); };
  int layers = 0, built = 0;
  for (int l = 0; l < model_.hparams().n_layer; ++l) layers += builds(l) ? 1 : 0;
  auto before_layer = [&](int l) {
    if (progress && builds(l)) progress(built++, layers);
    bring_back(l);
  };
  stats_.index_build_ms = 1000.0 * sparse_->build(n_past_, pool_, persist, before_layer);
  if (progress && layers > 0) progress(layers, layers);
  if (keep && sparse_->active()) store_->set_index_complete(built_at);
  apply_budget();
}

}  // namespace tome
