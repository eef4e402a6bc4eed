#include "retrieval/ivf_index.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "retrieval/dot_kernels.h"
#include "retrieval/index_io.h"
#include "retrieval/kmeans.h"
#include "retrieval/topk.h"

namespace tome {

std::unique_ptr<IvfIndex> IvfIndex::build(const float* keys, int64_t n, size_t stride, int d, const IvfParams& p,
                                          ThreadPool* pool) {
  if (d <= 0 || n < 0 || n > INT32_MAX) throw Error("BAD_ARGUMENT", "IvfIndex: bad shape");
  std::unique_ptr<IvfIndex> ix(new IvfIndex());
  ix->keys_ = KeyMatrix(d);
  ix->keys_.append(keys, n, stride);
  const std::vector<float> kf = ix->keys_.to_f32();  // k-means runs on the keys as stored
  const int nlist = n == 0 ? 1
                   : int(std::max<int64_t>(1, std::min<int64_t>(n, p.nlist > 0 ? p.nlist
                                                                 : int64_t(std::lround(std::sqrt(double(n)))))));
  if (n == 0) {
    ix->centroids_.assign(size_t(d), 0.0f);
  } else {
    KMeansParams km;
    km.k = nlist;
    km.iters = p.iters;
    km.max_sample = p.max_sample;
    km.seed = p.seed;
    ix->centroids_ = kmeans_l2(kf.data(), n, size_t(d), d, km, pool);
  }
  const int k = int(ix->centroids_.size() / size_t(d));
  ix->lists_.assign(size_t(k), {});
  if (n > 0) {
    std::vector<int32_t> a(static_cast<size_t>(n));
    assign_nearest_l2(kf.data(), n, size_t(d), ix->centroids_.data(), k, d, a.data(), pool);
    for (int64_t j = 0; j < n; ++j) ix->lists_[size_t(a[size_t(j)])].push_back(int32_t(j));
  }
  ix->default_nprobe_ = p.default_nprobe > 0 ? std::min(p.default_nprobe, k) : std::max(1, k / 8);
  return ix;
}

size_t IvfIndex::bytes() const {
  size_t b = sizeof(*this) + keys_.bytes() + centroids_.capacity() * sizeof(float) +
             lists_.capacity() * sizeof(lists_[0]);
  for (const auto& l : lists_) b += l.capacity() * sizeof(int32_t);
  return b;
}

void IvfIndex::search(const float* q, const SearchParams& p, SearchResult& out) const {
  out.clear();
  const int d = dim(), nl = nlist();
  const int nprobe = int(std::min<int64_t>(nl, int64_t(p.nprobe > 0 ? p.nprobe : default_nprobe_) * std::max(1, p.widen)));
  const int k = std::max(0, p.k);
  // Rank the lists by centroid . q.
  std::vector<float> cs(static_cast<size_t>(nl));
  dots_rows(q, centroids_.data(), size_t(d), nl, d, cs.data());
  out.other_dots = nl;
  TopK best_lists(nprobe);
  for (int l = 0; l < nl; ++l) best_lists.push(cs[size_t(l)], l);
  std::vector<int32_t> probe;
  std::vector<float> unused;
  best_lists.sorted_into(probe, unused);
  // Scan them.
  TopK top(k);
  std::vector<float> s;
  for (int32_t l : probe) {
    const std::vector<int32_t>& ids = lists_[size_t(l)];
    s.resize(ids.size());
    dots_gather_h(q, keys_.data(), size_t(d), ids.data(), int64_t(ids.size()), d, s.data());
    out.keys_scanned += int64_t(ids.size());
    float thr = top.threshold();
    for (size_t i = 0; i < ids.size(); ++i)
      if (s[i] > thr || !top.full()) {
        top.push(s[i], ids[i]);
        thr = top.threshold();
      }
  }
  top.sorted_into(out.ids, out.scores);
}

int IvfIndex::nearest_list(const float* key) const {
  const int d = dim();
  int best = 0;
  float best_d = INFINITY;
  for (int l = 0; l < nlist(); ++l) {
    const float dist = l2_sq(key, centroids_.data() + size_t(l) * d, d);
    if (dist < best_d) {
      best_d = dist;
      best = l;
    }
  }
  return best;
}

int32_t IvfIndex::insert(const float* key) {
  if (size() >= INT32_MAX) throw Error("BAD_ARGUMENT", "IvfIndex: too many keys");
  const int32_t id = int32_t(keys_.append(key, 1, size_t(dim())));
  lists_[size_t(nearest_list(key))].push_back(id);
  return id;
}

// Payload: keys, u32 nlist, u32 default_nprobe, centroids (nlist, d),
// then per list: u32 size, ids.
std::vector<uint8_t> IvfIndex::serialize(bool with_keys) const {
  ByteWriter w;
  write_keys(w, keys_, with_keys);
  w.u32(uint32_t(nlist()));
  w.u32(uint32_t(default_nprobe_));
  w.array(centroids_.data(), centroids_.size());
  for (const auto& l : lists_) {
    w.u32(uint32_t(l.size()));
    w.array(l.data(), l.size());
  }
  return finish_index_image(IndexKind::kIvf, w);
}

std::unique_ptr<IvfIndex> IvfIndex::deserialize_payload(ByteReader& r, KeyMatrix* external_keys) {
  std::unique_ptr<IvfIndex> ix(new IvfIndex());
  ix->keys_ = read_keys(r, external_keys);
  const int d = ix->keys_.dim();
  const int64_t n = ix->keys_.rows();
  const uint32_t nl = r.u32();
  if (nl == 0) ByteReader::fail("ivf: no lists");
  r.count(nl, size_t(d) * sizeof(float) + 4, "ivf lists");
  const uint32_t nprobe = r.u32();
  if (nprobe == 0 || nprobe > nl) ByteReader::fail("ivf: bad default nprobe");
  ix->default_nprobe_ = int(nprobe);
  r.array(ix->centroids_, uint64_t(nl) * uint64_t(d), "ivf centroids");
  for (float v : ix->centroids_)
    if (!std::isfinite(v)) ByteReader::fail("ivf: non-finite centroid");
  // Every key must be in exactly one list.
  std::vector<uint8_t> seen(size_t(n), 0);
  int64_t total = 0;
  ix->lists_.resize(nl);
  for (uint32_t l = 0; l < nl; ++l) {
    const uint32_t sz = r.u32();
    r.array(ix->lists_[l], sz, "ivf list");
    for (int32_t id : ix->lists_[l]) {
      if (id < 0 || id >= n || seen[size_t(id)]) ByteReader::fail("ivf: bad or repeated id in a list");
      seen[size_t(id)] = 1;
    }
    total += sz;
  }
  if (total != n) ByteReader::fail("ivf: lists do not cover every key");
  return ix;
}

}  // namespace tome
