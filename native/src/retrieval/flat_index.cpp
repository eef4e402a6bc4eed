#include "retrieval/flat_index.h"

#include <algorithm>
#include <mutex>

#include "common/error.h"
#include "cpu/thread_pool.h"
#include "retrieval/dot_kernels.h"
#include "retrieval/index_io.h"
#include "retrieval/knn_batch.h"
#include "retrieval/topk.h"

namespace tome {

namespace {

constexpr int64_t kBlock = 512;  // rows per scan block (<= 256 KiB at d = 128)

// Scans rows [j0, j1) for n_q queries; tops[h] keeps query h's best.
void scan_rows(const KeyMatrix& keys, const float* q, int n_q, int64_t j0, int64_t j1, std::vector<TopK>& tops) {
  const int d = keys.dim();
  float s[kBlock];
  for (int64_t b = j0; b < j1; b += kBlock) {
    const int64_t nb = std::min(kBlock, j1 - b);
    for (int h = 0; h < n_q; ++h) {
      dots_rows_h(q + size_t(h) * d, keys.row(b), size_t(d), nb, d, s);
      TopK& t = tops[size_t(h)];
      float thr = t.threshold();
      for (int64_t j = 0; j < nb; ++j)
        if (s[j] > thr || !t.full()) {
          t.push(s[j], int32_t(b + j));
          thr = t.threshold();
        }
    }
  }
}

// Merges each head's per-thread lists, then unions the heads (best score per id).
void union_of_heads(std::vector<std::vector<TopK>>& tops, int n_q, int k, SearchResult& out) {
  std::vector<Scored> all;
  std::vector<int32_t> ids;
  std::vector<float> sc;
  for (int h = 0; h < n_q; ++h) {
    TopK merged(k);
    for (std::vector<TopK>& t : tops) {
      t[size_t(h)].sorted_into(ids, sc);
      for (size_t i = 0; i < ids.size(); ++i) merged.push(sc[i], ids[i]);
    }
    merged.sorted_into(ids, sc);
    for (size_t i = 0; i < ids.size(); ++i) all.push_back(Scored{sc[i], ids[i]});
  }
  if (n_q > 1) dedup_best_first(all);  // by id, keeping the best score
  out.set_results(all);
}

}  // namespace

void exact_search_group(const KeyMatrix& keys, const float* q, int n_q, int k, SearchResult& out) {
  out.clear();
  if (n_q <= 0) return;
  std::vector<std::vector<TopK>> tops(1, std::vector<TopK>(static_cast<size_t>(n_q), TopK(std::max(0, k))));
  scan_rows(keys, q, n_q, 0, keys.rows(), tops[0]);
  union_of_heads(tops, n_q, std::max(0, k), out);
  out.keys_scanned = keys.rows();
}

FlatIndex::FlatIndex(int d, ThreadPool* pool) : keys_(d), pool_(pool) {
  if (d <= 0) throw Error("BAD_ARGUMENT", "FlatIndex: dimension must be positive");
}

void FlatIndex::add(const float* keys, int64_t n, size_t stride) {
  if (keys_.rows() + n > INT32_MAX) throw Error("BAD_ARGUMENT", "FlatIndex: too many keys");
  keys_.append(keys, n, stride);
}

void FlatIndex::add_f16(const uint16_t* keys, int64_t n, size_t stride) {
  if (keys_.rows() + n > INT32_MAX) throw Error("BAD_ARGUMENT", "FlatIndex: too many keys");
  keys_.append_f16(keys, n, stride);
}

int32_t FlatIndex::insert(const float* key) {
  add(key, 1, size_t(dim()));
  return int32_t(size() - 1);
}

void FlatIndex::search(const float* q, const SearchParams& p, SearchResult& out) const {
  SearchParams one = p;
  one.group = GroupMode::kUnion;
  search_group(q, 1, one, out);
}

void FlatIndex::search_group(const float* q, int n_q, const SearchParams& p, SearchResult& out) const {
  out.clear();
  if (n_q <= 0) return;
  if (p.group == GroupMode::kMean && n_q > 1) return KeyIndex::search_group(q, n_q, p, out);
  const int64_t n = size();
  const int k = std::max(0, p.k);
  // Per thread, per query head: a top-k; merged at the end.
  const int n_threads = (pool_ && n >= 4 * kBlock) ? pool_->size() : 1;
  std::vector<std::vector<TopK>> tops(static_cast<size_t>(n_threads), std::vector<TopK>(static_cast<size_t>(n_q), TopK(k)));
  if (n_threads > 1) {
    pool_->run([&](int t) {
      const int64_t j0 = n * t / n_threads, j1 = n * (t + 1) / n_threads;
      scan_rows(keys_, q, n_q, j0, j1, tops[size_t(t)]);
    });
  } else {
    scan_rows(keys_, q, n_q, 0, n, tops[0]);
  }
  union_of_heads(tops, n_q, k, out);
  out.keys_scanned = n * n_q;
}

void FlatIndex::search_batch(const float* Q, int64_t m, size_t ldq, int k, int32_t* ids, float* scores) const {
  const std::vector<float> keys = keys_.to_f32();  // knn_batch's blocked products run in f32
  knn_batch(Q, m, ldq, keys.data(), size(), size_t(dim()), dim(), k, nullptr, ids, scores, pool_);
}

std::vector<uint8_t> FlatIndex::serialize(bool with_keys) const {
  ByteWriter w;
  write_keys(w, keys_, with_keys);
  return finish_index_image(IndexKind::kFlat, w);
}

std::unique_ptr<FlatIndex> FlatIndex::deserialize_payload(ByteReader& r, KeyMatrix* external_keys) {
  KeyMatrix keys = read_keys(r, external_keys);
  auto index = std::make_unique<FlatIndex>(keys.dim());
  index->keys_ = std::move(keys);
  return index;
}

}  // namespace tome
