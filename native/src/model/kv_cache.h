// The KV cache of one session, f16, laid out per layer and KV head so that one
// head's keys are contiguous rows (what attention scans and the retrieval index
// is built over):  k[layer][kv_head][pos][head_dim], the same for v.
//
// The memory is an anonymous mapping reserved for n_ctx positions: pages are
// backed only once written, so a session costs RSS for the positions it holds,
// not for its capacity. release_rows() gives the pages of a range of
// positions back to the system (the KV store keeps the bytes; see
// model/kv_residency.h); they read as zeros until written again.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "attention/partial_attention.h"

namespace tome {

class KvCache {
 public:
  static constexpr int64_t kBlockRows = 128;  // positions per block (== the KV store's block)

  // Throws tome::Error KV_ALLOC when the cache cannot be reserved.
  KvCache(int n_layer, int n_head_kv, int head_dim, int64_t n_ctx);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  int64_t n_ctx() const { return n_ctx_; }
  // Bytes reserved for K and V at full capacity.
  uint64_t bytes() const { return 2 * uint64_t(n_layer_) * n_head_kv_ * size_t(rows_) * head_dim_ * sizeof(uint16_t); }
  // Bytes of K and V of one block of one (layer, head).
  uint64_t block_bytes() const { return 2 * uint64_t(kBlockRows) * head_dim_ * sizeof(uint16_t); }

  uint16_t* k(int layer, int head) { return k_ + offset(layer, head); }
  uint16_t* v(int layer, int head) { return v_ + offset(layer, head); }
  const uint16_t* k(int layer, int head) const { return k_ + offset(layer, head); }
  const uint16_t* v(int layer, int head) const { return v_ + offset(layer, head); }
  KvRows rows(int layer, int head) const { return KvRows{k(layer, head), v(layer, head), size_t(head_dim_)}; }

  // Returns the whole pages inside rows [row0, row0 + n) of (layer, head)'s K
  // and V to the system. Their content is lost: the caller must have it elsewhere.
  void release_rows(int layer, int head, int64_t row0, int64_t n);
  // Maps the written rows [0, n_rows) of every (layer, head) with 2 MiB pages
  // where whole ones fit (madvise MADV_COLLAPSE; spans collapsed by an earlier
  // call are skipped). For sessions whose rows never leave RAM: the retrieved
  // rows of a decode step and the keys its searches rerank are read at random
  // across gigabytes, and with 4 KiB pages each read also missed the TLB.
  // Only whole written spans: a session reserved for 1M positions holding 10K
  // costs no more RSS. Best effort: a kernel without MADV_COLLAPSE (< 6.1) or
  // without free huge pages leaves 4 KiB pages, which read the same bytes.
  // Measured (smol, 128K synthetic KV, 2 threads): search 23.5 -> 18.6 ms per
  // token, inserts 6.0 -> 3.6, the step 47.5 -> 39.4. Layers for which
  // small_pages(layer) holds are left alone: their rows leave RAM as the
  // context grows (release_rows), and a collapse would back them again.
  void collapse_huge(int64_t n_rows, const std::function<bool(int layer)>& small_pages = nullptr);
  // Bytes of the cache's pages in RAM now (mincore): what the cache costs in
  // RSS, whatever the bookkeeping above it believes (tests, bench).
  uint64_t resident_bytes() const;

 private:
  size_t offset(int layer, int head) const {
    return (size_t(layer) * n_head_kv_ + size_t(head)) * size_t(rows_) * size_t(head_dim_);
  }
  int n_layer_, n_head_kv_, head_dim_;
  int64_t n_ctx_;
  int64_t rows_;  // n_ctx rounded up to whole blocks
  size_t map_bytes_ = 0;
  int64_t collapsed_rows_ = 0;  // collapse_huge's mark: spans below it were collapsed
  bool collapse_failed_ = false;  // the kernel refused once: do not try again
  uint16_t* k_ = nullptr;
  uint16_t* v_ = nullptr;
};

}  // namespace tome
