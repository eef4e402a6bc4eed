#include "model/kv_cache.h"

#include <new>
#include <string>

#include "common/error.h"

namespace tome {

KvCache::KvCache(int n_layer, int n_head_kv, int head_dim, int64_t n_ctx)
    : n_layer_(n_layer), n_head_kv_(n_head_kv), head_dim_(head_dim), n_ctx_(n_ctx) {
  const size_t n = size_t(n_layer) * size_t(n_head_kv) * size_t(n_ctx) * size_t(head_dim);
  try {
    k_.resize(n);
    v_.resize(n);
  } catch (const std::bad_alloc&) {
    throw Error("KV_ALLOC", "cannot allocate the KV cache (" + std::to_string(2 * n * sizeof(uint16_t)) +
                                " bytes for " + std::to_string(n_ctx) + " tokens); lower --ctx");
  }
}

}  // namespace tome
