#include "model/kv_residency.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace tome {

namespace {
constexpr int64_t B = KvCache::kBlockRows;
}

KvResidency::KvResidency(KvCache& kv, KvStore& store, int n_layer, int n_head_kv, EvictionPolicy policy)
    : kv_(kv), store_(store), n_layer_(n_layer), n_head_kv_(n_head_kv), n_blocks_((kv.n_ctx() + B - 1) / B),
      policy_(policy), blocks_(size_t(n_layer) * size_t(n_head_kv) * size_t(n_blocks_)) {}

bool KvResidency::is_static(int64_t b) const {
  const int64_t p0 = b * B, p1 = p0 + B;
  return p0 < sinks_ || p1 > window_start_;
}

bool KvResidency::evictable(int64_t b) const { return !is_static(b) && (b + 1) * B <= committed_; }

uint64_t KvResidency::unlimited_bytes(int64_t n_past, int64_t sinks, int64_t window_start, uint64_t fixed) const {
  int64_t host = 0;
  for (int64_t b = 0; b * B < n_past; ++b)
    if (!(b * B < sinks || (b + 1) * B > window_start)) ++host;
  return fixed + uint64_t(host) * uint64_t(n_layer_) * uint64_t(n_head_kv_) * kv_.block_bytes();
}

void KvResidency::update(int64_t n_past, int64_t sinks, int64_t window_start, int64_t committed, uint64_t fixed,
                         uint64_t budget) {
  std::lock_guard<std::mutex> lock(mu_);
  // blocks past the context (a truncate) are forgotten: resident, to be written again
  for (int64_t b = (n_past + B - 1) / B; b * B < n_past_; ++b)
    for (int l = 0; l < n_layer_; ++l)
      for (int h = 0; h < n_head_kv_; ++h) blocks_[index(l, h, b)] = Block{};
  n_past_ = n_past;
  sinks_ = sinks;
  window_start_ = window_start;
  committed_ = committed;
  fixed_ = fixed;
  budget_ = budget;
  // host bytes now: resident blocks outside the static set
  resident_ = 0;
  for (int64_t b = 0; b * B < n_past_; ++b)
    if (!is_static(b))
      for (int l = 0; l < n_layer_; ++l)
        for (int h = 0; h < n_head_kv_; ++h) resident_ += blocks_[index(l, h, b)].resident ? kv_.block_bytes() : 0;
  // a truncate can move the window back over released blocks: the static set is always in RAM
  for (int64_t b = 0; b * B < n_past_; ++b)
    if (is_static(b))
      for (int l = 0; l < n_layer_; ++l)
        for (int h = 0; h < n_head_kv_; ++h)
          if (!blocks_[index(l, h, b)].resident) {
            load(l, h, b);
            blocks_[index(l, h, b)].resident = true;
          }
  if (fixed_ > budget_)
    throw Error("BUDGET_TOO_SMALL", "the RAM budget (" + std::to_string(budget_) + " bytes) is below the retrieval "
                                    "indexes alone (" + std::to_string(fixed_) + " bytes)");
  if (!evict_to(budget_ - fixed_))
    throw Error("BUDGET_TOO_SMALL", "the RAM budget (" + std::to_string(budget_) + " bytes) cannot hold the blocks "
                                    "not yet in the KV store; flush the store or raise the budget");
}

bool KvResidency::evict_to(uint64_t target) {
  if (resident_ <= target) return true;
  // candidates: resident, evictable, not used by the step in progress; policy order
  struct Cand { int64_t key1, key2; size_t i; int l, h; int64_t b; };
  std::vector<Cand> c;
  for (int l = 0; l < n_layer_; ++l)
    for (int h = 0; h < n_head_kv_; ++h)
      for (int64_t b = 0; b * B < n_past_; ++b) {
        const size_t i = index(l, h, b);
        const Block& k = blocks_[i];
        if (!k.resident || !evictable(b) || k.last_epoch == epoch_) continue;
        if (policy_ == EvictionPolicy::kLru) c.push_back({k.last_epoch, 0, i, l, h, b});
        else c.push_back({k.uses, k.last_epoch, i, l, h, b});
      }
  std::sort(c.begin(), c.end(), [](const Cand& a, const Cand& b) {
    return a.key1 < b.key1 || (a.key1 == b.key1 && (a.key2 < b.key2 || (a.key2 == b.key2 && a.i < b.i)));
  });
  // go a little below the target, so a run of misses does not sort again for each block
  const uint64_t slack = std::max<uint64_t>(kv_.block_bytes(), target / 32);
  const uint64_t goal = target > slack ? target - slack : 0;
  for (const Cand& x : c) {
    if (resident_ <= goal) break;
    kv_.release_block(x.l, x.h, x.b);
    blocks_[x.i].resident = false;
    resident_ -= kv_.block_bytes();
    ++stats_.evictions;
  }
  return resident_ <= target;
}

void KvResidency::load(int layer, int head, int64_t b) {
  const int64_t rows = std::min<int64_t>(B, committed_ - b * B);
  const size_t off = size_t(b * B) * size_t(kv_.rows(layer, head).stride);
  if (!store_.read_block(layer, head, b, rows, kv_.k(layer, head) + off, kv_.v(layer, head) + off))
    throw Error("STORE_CORRUPT", "KV store block (layer " + std::to_string(layer) + ", head " + std::to_string(head) +
                                     ", block " + std::to_string(b) + ") is missing or damaged; reopen the document "
                                     "to rebuild its cache");
}

void KvResidency::need_rows(int layer, int head, const int32_t* rows, int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int64_t j = 0; j < n; ++j) {
    const int64_t b = rows[j] / B;
    Block& k = blocks_[index(layer, head, b)];
    if (k.last_epoch != epoch_) ++k.uses;
    k.last_epoch = epoch_;
    if (k.resident) {
      ++stats_.hits;
      continue;
    }
    if (!is_static(b) && resident_ + kv_.block_bytes() > budget_ - fixed_ && !evict_to(budget_ - fixed_ - kv_.block_bytes()))
      throw Error("BUDGET_TOO_SMALL", "the RAM budget cannot hold the K/V blocks one decode step retrieves; raise it");
    load(layer, head, b);
    k.resident = true;
    if (!is_static(b)) resident_ += kv_.block_bytes();
    ++stats_.misses;
  }
}

void KvResidency::load_all(int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int l = 0; l < n_layer_; ++l)
    for (int h = 0; h < n_head_kv_; ++h)
      for (int64_t b = 0; (b + 1) * B <= limit; ++b) {
        Block& k = blocks_[index(l, h, b)];
        if (k.resident) continue;
        load(l, h, b);
        k.resident = true;
        ++stats_.misses;
      }
}

ResidencyStats KvResidency::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  ResidencyStats s = stats_;
  s.resident_bytes = resident_;
  s.fixed_bytes = fixed_;
  s.budget_bytes = budget_;
  return s;
}

}  // namespace tome
