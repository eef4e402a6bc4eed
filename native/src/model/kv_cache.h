// The KV cache of one session, f16, laid out per layer and KV head so that one
// head's keys are contiguous rows (what attention scans and the retrieval index
// is built over):  k[layer][kv_head][pos][head_dim], the same for v.
#pragma once
#include <cstdint>
#include <vector>

#include "attention/partial_attention.h"

namespace tome {

class KvCache {
 public:
  // Throws tome::Error KV_ALLOC when the cache cannot be allocated.
  KvCache(int n_layer, int n_head_kv, int head_dim, int64_t n_ctx);

  int64_t n_ctx() const { return n_ctx_; }
  uint64_t bytes() const { return uint64_t(k_.size() + v_.size()) * sizeof(uint16_t); }

  uint16_t* k(int layer, int head) { return k_.data() + offset(layer, head); }
  uint16_t* v(int layer, int head) { return v_.data() + offset(layer, head); }
  const uint16_t* k(int layer, int head) const { return k_.data() + offset(layer, head); }
  const uint16_t* v(int layer, int head) const { return v_.data() + offset(layer, head); }
  KvRows rows(int layer, int head) const { return KvRows{k(layer, head), v(layer, head), size_t(head_dim_)}; }

 private:
  size_t offset(int layer, int head) const {
    return (size_t(layer) * n_head_kv_ + size_t(head)) * size_t(n_ctx_) * size_t(head_dim_);
  }
  int n_layer_, n_head_kv_, head_dim_;
  int64_t n_ctx_;
  std::vector<uint16_t> k_, v_;
};

}  // namespace tome
