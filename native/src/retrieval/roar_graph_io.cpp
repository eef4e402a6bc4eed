// RoarGraphIndex persistence. Payload after the keys:
//   u32 M, u32 R, u32 ef_link, u32 default_ef, f32 alpha, u32 link_metric,
//   u32 n_entries, i32 entries[n_entries], u16 deg[n], then for each key its
//   deg[v] neighbour ids (i32), u32 anchor_links, the anchors (graph_anchors.h).
//   Every field is validated on load.
#include <algorithm>
#include <cmath>

#include "retrieval/index_io.h"
#include "retrieval/roar_graph.h"

namespace tome {

std::vector<uint8_t> RoarGraphIndex::serialize(bool with_keys) const {
  check_whole();
  ByteWriter w;
  const int64_t n = size();
  if (!pager_) {
    write_keys(w, keys_, with_keys);
  } else if (!with_keys) {
    write_detached_keys(w, dim(), n);
  } else {
    KeyMatrix all(dim());
    all.storage().resize(size_t(n) * size_t(dim()));
    pager_->scan_keys(0, n, all.storage().data());
    write_keys(w, all, true);
  }
  w.u32(uint32_t(M_));
  w.u32(uint32_t(R_));
  w.u32(uint32_t(ef_link_));
  w.u32(uint32_t(default_ef_));
  w.f32(alpha_);
  w.u32(uint32_t(link_metric_));
  w.u32(uint32_t(entries_.size()));
  w.array(entries_.data(), entries_.size());
  w.array(deg_.data(), deg_.size());
  constexpr int64_t kChunk = 4096;  // a paged graph's rows, read past its cache a chunk at a time
  std::vector<int32_t> rows;
  for (int64_t c = 0; c < n; c += kChunk) {
    const int64_t m = std::min(kChunk, n - c);
    rows.resize(size_t(m) * size_t(R_));
    if (pager_) pager_->scan_adjacency(c, m, rows.data());
    else adj_.read_dense(c, m, deg_.data() + c, rows.data());
    for (int64_t v = c; v < c + m; ++v) w.array(rows.data() + size_t(v - c) * size_t(R_), size_t(deg_[size_t(v)]));
  }
  w.u32(uint32_t(anchor_links_));
  anchors_.write(w);
  return finish_index_image(IndexKind::kGraph, w);
}

std::unique_ptr<RoarGraphIndex> RoarGraphIndex::deserialize_payload(ByteReader& r, KeyMatrix* external_keys) {
  std::unique_ptr<RoarGraphIndex> g(new RoarGraphIndex());
  g->keys_ = read_keys(r, external_keys);
  const int64_t n = g->keys_.rows();
  const uint32_t M = r.u32(), R = r.u32(), ef_link = r.u32(), default_ef = r.u32();
  const float alpha = r.f32();
  const uint32_t metric = r.u32();
  if (R < 1 || R > 65535 || M < 1 || M > R) ByteReader::fail("graph: bad degree bounds");
  if (ef_link < 1 || ef_link > (1u << 20) || default_ef > (1u << 20)) ByteReader::fail("graph: bad beam widths");
  if (!std::isfinite(alpha) || alpha < 1.0f || alpha > 100.0f) ByteReader::fail("graph: bad alpha");
  if (metric > 1) ByteReader::fail("graph: bad link metric");
  g->M_ = int(M);
  g->R_ = int(R);
  g->ef_link_ = int(ef_link);
  g->default_ef_ = int(default_ef);
  g->alpha_ = alpha;
  g->link_metric_ = LinkMetric(metric);
  const uint32_t n_entries = r.u32();
  if (int64_t(n_entries) > n || (n > 0 && n_entries == 0)) ByteReader::fail("graph: bad entry count");
  r.array(g->entries_, n_entries, "graph entries");
  for (int32_t e : g->entries_)
    if (e < 0 || e >= n) ByteReader::fail("graph: entry out of range");
  r.array(g->deg_, uint64_t(n), "graph degrees");
  uint64_t total = 0;
  for (uint16_t x : g->deg_) {
    if (x > R) ByteReader::fail("graph: degree above the cap");
    total += x;
  }
  r.count(total, sizeof(int32_t), "graph edges");
  // The dense (n, R) adjacency may not be much larger than the image's keys:
  // a hostile R cannot turn a small image into a huge allocation.
  const uint64_t adj_bytes = uint64_t(n) * R * sizeof(int32_t);
  const uint64_t key_bytes = uint64_t(n) * uint64_t(g->keys_.dim()) * sizeof(float);
  if (adj_bytes > 16 * key_bytes + (64ull << 20)) ByteReader::fail("graph: degree cap too large for the image");
  g->adj_.reset(int(R));
  g->adj_.grow(n);
  std::vector<int32_t> row;
  for (int64_t v = 0; v < n; ++v) {
    r.array(row, g->deg_[size_t(v)], "graph neighbours");
    for (int32_t x : row)
      if (x < 0 || x >= n) ByteReader::fail("graph: neighbour out of range");
    g->adj_.write(int32_t(v), row.data(), int(row.size()));
  }
  const uint32_t links = r.u32();
  if (links > 64) ByteReader::fail("graph: bad anchor link count");
  g->anchor_links_ = int(links);
  g->anchors_.read(r, g->keys_.dim(), n);
  g->nav_.assign(g->keys_);
  return g;
}

}  // namespace tome
