// RoarGraphIndex under a RAM budget: paging its keys and adjacency out to a
// NodePager and back, and the row and key access that insert and reconnect
// use either way (roar_graph.h).
#include <algorithm>
#include <cstring>
#include <numeric>

#include "attention/vec_kernels.h"
#include "common/error.h"
#include "retrieval/roar_graph.h"

namespace tome {

bool RoarGraphIndex::page_out(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity) {
  if (pager_) return true;
  const int64_t n = size();
  if (capacity < n) throw Error("BAD_ARGUMENT", "RoarGraphIndex::page_out: capacity below the index's size");
  auto pager = std::make_unique<NodePager>(std::move(file), first, capacity, dim(), R_);
  std::vector<const uint16_t*> keys(static_cast<size_t>(n));
  for (int64_t v = 0; v < n; ++v) keys[size_t(v)] = keys_.row(v);
  // the records hold dense rows, made a chunk at a time
  if (!pager->put(keys.data(), [&](int64_t c, int64_t m, int32_t* out) { adj_.read_dense(c, m, deg_.data() + c, out); }, n))
    return false;
  pager_ = std::move(pager);
  keys_ = KeyMatrix(keys_.dim());
  adj_.reset(R_);
  return true;
}

bool RoarGraphIndex::page_out_codes(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity) {
  if (!pager_) throw Error("INTERNAL", "RoarGraphIndex::page_out_codes: the keys and adjacency are not paged");
  return nav_.page_out(std::move(file), first, capacity);
}

void RoarGraphIndex::page_in_codes() { nav_.page_in(); }

void RoarGraphIndex::page_in() {
  nav_.page_in();
  if (!pager_) return;
  const int64_t n = size();
  // (exact sizes, as a restored index has; the next insert grows them by an
  // eighth, growth.h, each index in turn: blocks from 2 MiB are mappings,
  // returned to the system as soon as freed)
  KeyMatrix keys(dim());
  keys.storage().resize(size_t(n) * size_t(dim()));
  pager_->scan_keys(0, n, keys.storage().data());
  // (its records' rows a chunk at a time: n dense rows of R ids are 192
  // bytes a key at R = 48, more than the rows they become)
  AdjacencyRows adj;
  adj.reset(R_);
  adj.assign_chunked(deg_.data(), n, [&](int64_t c, int64_t m, int32_t* out) { pager_->scan_adjacency(c, m, out); });
  keys_ = std::move(keys);
  adj_ = std::move(adj);
  pager_.reset();
}

size_t RoarGraphIndex::resident_bytes() const {
  const size_t n = size_t(size());
  if (!pager_) return bytes() + (keys_.is_view() ? huge_pages::mapped_bytes(n * size_t(dim()) * sizeof(uint16_t)) : 0);
  // what page_in() allocates
  return bytes() - pager_->cache().ram_bytes() - nav_.bytes() + nav_.resident_bytes() +
         huge_pages::mapped_bytes(n * size_t(dim()) * sizeof(uint16_t)) +
         AdjacencyRows::bytes_for(deg_.data(), int64_t(n), R_);
}

void RoarGraphIndex::copy_keys(int64_t begin, int64_t n, uint16_t* out) const {
  check_whole();
  if (pager_) return pager_->scan_keys(begin, n, out);
  KeyIndex::copy_keys(begin, n, out);
}

std::vector<int32_t> RoarGraphIndex::neighbour_list(int32_t v) const {
  std::vector<int32_t> row(static_cast<size_t>(R_));
  read_row(v, row.data());
  row.resize(deg_[size_t(v)]);
  return row;
}

void RoarGraphIndex::key_f32(int32_t v, float* out) const {
  if (!pager_) return keys_.row_f32(v, out);
  thread_local std::vector<uint16_t> k;
  k.resize(size_t(dim()));
  pager_->read_keys(&v, 1, k.data());
  f16_to_f32_row(k.data(), out, dim());
}

void RoarGraphIndex::read_row(int32_t v, int32_t* row) const {
  if (pager_) return pager_->read_adjacency(&v, 1, row);
  adj_.read(v, deg_[size_t(v)], row);
}

void RoarGraphIndex::write_row(int32_t v, const int32_t* row) {
  if (pager_) return pager_->write_adjacency(v, row);
  adj_.write(v, row, deg_[size_t(v)]);
}

int RoarGraphIndex::link_pruned(const float* pivot, const std::vector<int32_t>& ids, int max_out, int32_t* out,
                                std::vector<DistId>& sorted) const {
  const int d = dim();
  const int64_t n = int64_t(ids.size());
  if (!pager_) {
    sort_by_distance(keys_.data(), d, pivot, ids.data(), n, sorted);
    return prune_occlusion(keys_.data(), d, sorted.data(), int64_t(sorted.size()), max_out, alpha_, out);
  }
  // Paged: the candidates' keys copied out, in ascending id order, as rows
  // 0..n-1; both steps break ties by id, and local ids keep that order, so the
  // result is the resident one.
  thread_local std::vector<int32_t> order, local;
  thread_local std::vector<uint16_t> rows;
  order.assign(ids.begin(), ids.end());
  std::sort(order.begin(), order.end());
  rows.resize(size_t(n) * size_t(d));
  pager_->read_keys(order.data(), n, rows.data());
  local.resize(size_t(n));
  std::iota(local.begin(), local.end(), 0);
  sort_by_distance(rows.data(), d, pivot, local.data(), n, sorted);
  const int kept = prune_occlusion(rows.data(), d, sorted.data(), int64_t(sorted.size()), max_out, alpha_, out);
  for (DistId& x : sorted) x.id = order[size_t(x.id)];
  for (int i = 0; i < kept; ++i) out[i] = order[size_t(out[i])];
  return kept;
}

}  // namespace tome
