// Session: the rows of gemma3's sliding-window layers that their window has
// left behind go out of RAM once the KV store holds them (see session.h). At
// 128K tokens a Gemma-3-4B context holds ~18 GB of K/V, five sixths of it in
// local layers that read their last 1024 positions only: without a budget it
// all stayed in RAM. Reads of the cache never reach a released row: attention
// skips whole key blocks before a window (CausalAttentionArgs::skip_masked;
// 64-row blocks, inside the 128-row store blocks released here), and no index
// covers a local layer. A sealed prefix (seal_prefix) lets the store drop them
// too, below the window of its end.
#include <algorithm>
#include <cstring>
#include <string>

#include "common/error.h"
#include "model/session.h"

namespace tome {

bool Session::swa_release_on() const { return store_ && model_.hparams().has_swa() && !budget_set(); }

int64_t Session::swa_window_floor(int64_t n) const {
  const int64_t B = KvCache::kBlockRows, first = n + 1 - model_.hparams().n_swa;
  return first <= 0 ? 0 : first / B * B;
}

int64_t Session::swa_keep_from(int64_t n_past, int64_t committed) const {
  const int64_t B = KvCache::kBlockRows;
  return std::min(swa_window_floor(n_past), committed / B * B);
}

void Session::release_swa_layer(int layer, int64_t from, int64_t to) {
  if (to <= from) return;
  for (int g = 0; g < model_.hparams().n_head_kv; ++g) kv_.release_rows(layer, g, from, to - from);
}

void Session::release_swa_rows() {
  if (!swa_release_on()) return;
  const int64_t to = swa_keep_from(n_past_, store_committed_);
  if (to <= swa_released_) return;
  const HParams& hp = model_.hparams();
  for (int l = 0; l < hp.n_layer; ++l)
    if (hp.is_swa(l)) release_swa_layer(l, swa_released_, to);
  swa_released_ = to;
}

void Session::seal_prefix(int64_t n) {
  if (n < 0) throw Error("BAD_ARGUMENT", "seal position out of range");
  sealed_ = n;
  plan_query_level(n);
  // a store read before the seal drops its rows at once: their pages go back to the disk
  // (the drops that follow commits as a document is read leave pages the next commit reuses)
  if (store_)
    guard_store([&] {
      drop_stored_swa_rows();
      store_->reclaim_free_pages();
    });
}

int64_t Session::swa_drop_to(int64_t n_past, int64_t committed) const {
  if (!store_ || !model_.hparams().has_swa() || sealed_ <= 0) return 0;
  return std::min(swa_window_floor(sealed_), swa_keep_from(n_past, committed));
}

std::vector<int> Session::swa_layers() const {
  const HParams& hp = model_.hparams();
  std::vector<int> layers;
  for (int l = 0; l < hp.n_layer; ++l)
    if (hp.is_swa(l)) layers.push_back(l);
  return layers;
}

void Session::drop_stored_swa_rows() {
  const int64_t to = swa_drop_to(n_past_, store_committed_);
  if (to > store_->dropped_below()) store_->drop_rows_below(swa_layers(), to);
}

bool Session::swa_rows_kept(int64_t n) const {
  return n <= 0 || !store_ || !model_.hparams().has_swa() || swa_window_floor(n) >= store_->dropped_below();
}

void Session::load_swa_rows(int64_t n) {
  const int64_t B = KvCache::kBlockRows, from = swa_window_floor(n), to = std::min(swa_released_, n);
  if (swa_released_ <= from) return;
  const HParams& hp = model_.hparams();
  const size_t row_bytes = size_t(hp.head_dim) * sizeof(uint16_t);
  for (int l = 0; l < hp.n_layer; ++l)
    for (int g = 0; g < hp.n_head_kv && hp.is_swa(l); ++g)
      for (int64_t b = from / B; b * B < to; ++b) {
        const int64_t rows = std::min(to, (b + 1) * B) - b * B;
        bool whole = false;
        const bool read = store_->read_block(l, g, b, [&](const uint8_t* k, const uint8_t* v, int64_t got) {
          if (got < rows) return;
          std::memcpy(reinterpret_cast<uint8_t*>(kv_.k(l, g)) + size_t(b * B) * row_bytes, k, size_t(rows) * row_bytes);
          std::memcpy(reinterpret_cast<uint8_t*>(kv_.v(l, g)) + size_t(b * B) * row_bytes, v, size_t(rows) * row_bytes);
          whole = true;
        });
        if (read && whole) continue;
        store_damage_ = "block " + std::to_string(b) + " of layer " + std::to_string(l) +
                        " failed verification when its rows were read back from the KV store; the store was cut back "
                        "to position " + std::to_string(b * B) + ", and this session can no longer use it: reopen the document";
        try {
          store_->truncate(b * B);
        } catch (const Error&) {
          // the store cannot even be cut back: the next attach reads it in full and finds the damage itself
        }
        throw Error("STORE_CORRUPT", store_damage_);
      }
  swa_released_ = from;
}

}  // namespace tome
