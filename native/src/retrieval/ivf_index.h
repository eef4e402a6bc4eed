// IvfIndex: the inverted-file baseline built on KEYS ALONE (as faiss's
// IndexIVFFlat with METRIC_INNER_PRODUCT): k-means (L2, seeded, on a sample)
// splits the keys into nlist lists; a search ranks the centroids by c . q and
// scans the keys of the nprobe best lists. With nprobe = nlist it is exact.
// Keys whose best-scoring queries lie far from their cluster's centroid (the
// out-of-distribution case of attention) force large nprobe; that is the
// paper's point and what bench_index measures.
#pragma once
#include <memory>

#include "retrieval/key_index.h"
#include "retrieval/key_matrix.h"

namespace tome {

class ThreadPool;
class ByteReader;

struct IvfParams {
  int nlist = 0;            // 0 = round(sqrt(n))
  int iters = 10;           // k-means rounds
  int64_t max_sample = 0;   // k-means sample; 0 = 64 keys per list
  int default_nprobe = 0;   // used when SearchParams.nprobe == 0; 0 = max(1, nlist / 8)
  uint64_t seed = 1;
};

class IvfIndex : public KeyIndex {
 public:
  // keys: (n, d) rows stride apart; pool (optional) speeds up k-means.
  static std::unique_ptr<IvfIndex> build(const float* keys, int64_t n, size_t stride, int d, const IvfParams& p,
                                         ThreadPool* pool);

  const char* kind() const override { return "ivf"; }
  int dim() const override { return keys_.dim(); }
  int64_t size() const override { return keys_.rows(); }
  size_t bytes() const override;
  const uint16_t* key(int32_t id) const override { return keys_.row(id); }
  const KeyMatrix& key_rows() const override { return keys_; }
  void own_keys() override { keys_.own(); }
  int nlist() const { return int(lists_.size()); }
  int default_nprobe() const { return default_nprobe_; }
  const std::vector<int32_t>& list(int l) const { return lists_[size_t(l)]; }
  const KeyMatrix& keys() const { return keys_; }

  void search(const float* q, const SearchParams& p, SearchResult& out) const override;
  // Appended to the list of its L2-nearest centroid (centroids stay fixed).
  int32_t insert(const float* key) override;

  std::vector<uint8_t> serialize(bool with_keys = true) const override;
  static std::unique_ptr<IvfIndex> deserialize_payload(ByteReader& r, KeyMatrix* external_keys);

 private:
  IvfIndex() = default;
  int nearest_list(const float* key) const;

  KeyMatrix keys_;
  std::vector<float> centroids_;             // (nlist, d)
  std::vector<std::vector<int32_t>> lists_;  // ids per list, ascending
  int default_nprobe_ = 1;
};

}  // namespace tome
