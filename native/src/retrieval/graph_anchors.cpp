#include "retrieval/graph_anchors.h"

#include <algorithm>
#include <cmath>

#include "common/fp16.h"
#include "retrieval/dot_kernels.h"
#include "retrieval/index_io.h"

namespace tome {

namespace {
// f32 -> bf16, round to nearest even; a finite value that would round past
// the largest bf16 keeps its sign at that largest value (a score stays finite).
uint16_t to_bf16(float v) {
  const uint16_t b = fp32_to_bf16(v);
  if (std::isfinite(v) && !std::isfinite(bf16_to_fp32(b))) return uint16_t((b & 0x8000u) | 0x7f7fu);
  return b;
}
}  // namespace

void AnchorQueries::add(const float* query, const int32_t* ids, const float* scores, int n) {
  for (int i = 0; i < d; ++i) q.push_back(to_bf16(query[i]));
  const size_t base = top.size();
  top.resize(base + size_t(ka));
  int sz = 0;
  for (int i = 0; i < n && i < ka; ++i)
    if (ids[i] >= 0) topk_push(top.data() + base, sz, ka, Scored{scores[i], ids[i]});
  top_size.push_back(sz);
  theta.push_back(topk_threshold(top.data() + base, sz, ka));
}

void AnchorQueries::link_and_update(const float* key, int32_t id, int r, std::vector<int32_t>& out) {
  const int64_t A = count();
  if (A == 0) return;
  std::vector<float> s(static_cast<size_t>(A));
  dots_rows_bf16(key, q.data(), size_t(d), A, d, s.data());
  // The r anchors with the largest margin s_a - theta_a.
  TopK best(r);
  for (int64_t a = 0; a < A; ++a) best.push(s[size_t(a)] - theta[size_t(a)], int32_t(a));
  std::vector<int32_t> chosen;
  std::vector<float> margin;
  best.sorted_into(chosen, margin);
  for (int32_t a : chosen) {
    const Scored* h = top.data() + size_t(a) * size_t(ka);
    for (int i = 0; i < top_size[size_t(a)]; ++i) out.push_back(h[i].id);
  }
  // Keep every anchor's list exact over the growing key set. id is the newest
  // key (the highest id), so on a tie it ranks after every kept one: it enters
  // a full list only when it scores above the threshold.
  for (int64_t a = 0; a < A; ++a) {
    if (top_size[size_t(a)] == ka && !(s[size_t(a)] > theta[size_t(a)])) continue;
    Scored* h = top.data() + size_t(a) * size_t(ka);
    topk_push(h, top_size[size_t(a)], ka, Scored{s[size_t(a)], id});
    theta[size_t(a)] = topk_threshold(h, top_size[size_t(a)], ka);
  }
}

// u32 count, u32 ka, then per anchor: f32 q[d], u32 size, (f32 score, i32 id) * size.
void AnchorQueries::write(ByteWriter& w) const {
  w.u32(uint32_t(count()));
  w.u32(uint32_t(ka));
  for (int64_t a = 0; a < count(); ++a) {
    for (int i = 0; i < d; ++i) w.f32(bf16_to_fp32(q[size_t(a) * size_t(d) + size_t(i)]));
    // Sorted copy: the image does not depend on heap layout details.
    std::vector<Scored> h(top.begin() + a * ka, top.begin() + a * ka + top_size[size_t(a)]);
    topk_sort(h.data(), int(h.size()));
    w.u32(uint32_t(h.size()));
    for (const Scored& x : h) {
      w.f32(x.score);
      w.u32(uint32_t(x.id));
    }
  }
}

void AnchorQueries::read(ByteReader& r, int dim, int64_t n_keys) {
  d = dim;
  const uint32_t A = r.u32();
  const uint32_t k = r.u32();
  if (k > 4096) ByteReader::fail("anchors: bad list size");
  r.count(A, size_t(d) * sizeof(float) + 4, "anchors");
  // The lists are allocated at their cap (A x ka) before any is read. A real
  // image holds full lists once its index has ka keys, so they take no more RAM
  // than their own image bytes; a hostile one of many empty lists under a large
  // cap turned each anchor's 4d + 4 image bytes into 32 KiB (at d = 64, a 10 MB
  // image asked for 1.3 GB). The allowance is shaped like the adjacency's.
  if (uint64_t(A) * k * sizeof(Scored) > 16 * uint64_t(r.remaining()) + (64ull << 20))
    ByteReader::fail("anchors: list cap too large for the image");
  ka = int(k);
  q.clear();
  top.assign(size_t(A) * size_t(ka), Scored{0, 0});
  top_size.assign(A, 0);
  theta.assign(A, 0.0f);
  std::vector<float> row;
  for (uint32_t a = 0; a < A; ++a) {
    r.array(row, uint64_t(d), "anchor query");
    for (float v : row) {
      if (!std::isfinite(v)) ByteReader::fail("anchors: non-finite query");
      q.push_back(to_bf16(v));
    }
    const uint32_t sz = r.u32();
    if (sz > k) ByteReader::fail("anchors: list longer than its cap");
    Scored* h = top.data() + size_t(a) * size_t(ka);
    int hs = 0;
    for (uint32_t i = 0; i < sz; ++i) {
      const float sc = r.f32();
      const int32_t id = int32_t(r.u32());
      if (!std::isfinite(sc) || id < 0 || id >= n_keys) ByteReader::fail("anchors: bad list entry");
      topk_push(h, hs, ka, Scored{sc, id});
    }
    top_size[a] = hs;
    theta[a] = topk_threshold(h, hs, ka);
  }
}

}  // namespace tome
