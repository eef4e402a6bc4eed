// AdjacencyRows (adjacency_rows.h): head rows, tail pool, and the dense form
// that building, paging and images use.
#include "retrieval/adjacency_rows.h"

#include <algorithm>

#include "common/error.h"
#include "retrieval/growth.h"

namespace tome {

namespace {
constexpr int kH = AdjacencyRows::kHead;
inline int32_t tail_of(const int32_t* head) { return head[kH - 1] <= -2 ? -2 - head[kH - 1] : -1; }
}  // namespace

void AdjacencyRows::reset(int cap) {
  if (cap < 1 || cap > 65535) throw Error("BAD_ARGUMENT", "AdjacencyRows: cap out of range");
  cap_ = cap;
  HugeVector<int32_t>().swap(heads_);
  HugeVector<int32_t>().swap(tails_);
  std::vector<int32_t>().swap(free_);
}

void AdjacencyRows::grow(int64_t n) {
  if (n < rows()) throw Error("INTERNAL", "AdjacencyRows::grow: fewer rows");
  reserve_for(heads_, size_t(n) * kH);
  heads_.resize(size_t(n) * kH, -1);
}

int32_t AdjacencyRows::take_tail() {
  if (!free_.empty()) {
    const int32_t t = free_.back();
    free_.pop_back();
    return t;
  }
  const size_t ts = size_t(tail_stride());
  const int32_t t = int32_t(tails_.size() / ts);
  reserve_for(tails_, tails_.size() + ts);
  tails_.resize(tails_.size() + ts, -1);
  return t;
}

void AdjacencyRows::write(int32_t v, const int32_t* row, int deg) {
  int32_t* h = heads_.data() + size_t(v) * kH;
  const int32_t had = tail_of(h);
  if (deg <= kH) {
    std::copy(row, row + deg, h);
    std::fill(h + deg, h + kH, -1);
    if (had >= 0) free_.push_back(had);
    return;
  }
  const int32_t t = had >= 0 ? had : take_tail();
  const size_t ts = size_t(tail_stride());
  std::copy(row, row + (kH - 1), h);
  h[kH - 1] = -2 - t;
  int32_t* tr = tails_.data() + size_t(t) * ts;
  std::copy(row + (kH - 1), row + deg, tr);
  std::fill(tr + (deg - (kH - 1)), tr + ts, -1);
}

void AdjacencyRows::read(int32_t v, int deg, int32_t* out) const {
  const int32_t* h = heads_.data() + size_t(v) * kH;
  const ListParts p = parts(h, deg, tails_.data(), tail_stride());
  std::copy(h, h + p.n_row, out);
  std::copy(p.tail, p.tail + p.n_tail, out + p.n_row);
  std::fill(out + deg, out + cap_, -1);
}

void AdjacencyRows::begin_assign(const uint16_t* deg, int64_t n) {
  reset(cap_);
  grow(n);
  int64_t long_lists = 0;
  for (int64_t v = 0; v < n; ++v) long_lists += deg[v] > kH;
  tails_.reserve(size_t(long_lists) * size_t(tail_stride()));
}

void AdjacencyRows::assign_dense(const int32_t* dense, const uint16_t* deg, int64_t n) {
  begin_assign(deg, n);
  for (int64_t v = 0; v < n; ++v) write(int32_t(v), dense + size_t(v) * size_t(cap_), deg[v]);
}

void AdjacencyRows::assign_chunked(const uint16_t* deg, int64_t n, const DenseRowSource& rows) {
  begin_assign(deg, n);
  std::vector<int32_t> chunk(size_t(std::min(n, kAssignChunk)) * size_t(cap_));
  for (int64_t c = 0; c < n; c += kAssignChunk) {
    const int64_t m = std::min(kAssignChunk, n - c);
    rows(c, m, chunk.data());
    for (int64_t i = 0; i < m; ++i) write(int32_t(c + i), chunk.data() + size_t(i) * size_t(cap_), deg[c + i]);
  }
}

void AdjacencyRows::read_dense(int64_t begin, int64_t n, const uint16_t* deg, int32_t* out) const {
  for (int64_t i = 0; i < n; ++i) read(int32_t(begin + i), deg[i], out + size_t(i) * size_t(cap_));
}

size_t AdjacencyRows::bytes() const {
  return huge_pages::mapped_bytes(heads_.capacity() * sizeof(int32_t)) +
         huge_pages::mapped_bytes(tails_.capacity() * sizeof(int32_t)) + free_.capacity() * sizeof(int32_t);
}

size_t AdjacencyRows::bytes_for(const uint16_t* deg, int64_t n, int cap) {
  int64_t long_lists = 0;
  for (int64_t v = 0; v < n; ++v) long_lists += deg[v] > kH;
  return huge_pages::mapped_bytes(size_t(n) * kH * sizeof(int32_t)) +
         huge_pages::mapped_bytes(size_t(long_lists) * size_t(cap - (kH - 1)) * sizeof(int32_t));
}

}  // namespace tome
