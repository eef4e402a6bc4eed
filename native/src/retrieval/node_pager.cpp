#include "retrieval/node_pager.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/error.h"

namespace tome {

namespace {
std::shared_ptr<RecordFile> checked(std::shared_ptr<RecordFile> file, int d, int R) {
  if (!file || d <= 0 || R <= 0 || file->record_bytes() != NodePager::record_bytes_for(d, R))
    throw Error("BAD_ARGUMENT", "NodePager: the record file does not fit the index");
  return file;
}
}  // namespace

NodePager::NodePager(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity, int d, int R)
    : d_(d), R_(R), key_bytes_(key_bytes_for(d)), cache_(checked(std::move(file), d, R), first, capacity) {}

void NodePager::pack(uint8_t* rec, const uint16_t* key, const int32_t* row) const {
  std::memset(rec, 0, cache_.record_bytes());
  std::memcpy(rec, key, size_t(d_) * 2);
  std::memcpy(rec + key_bytes_, row, size_t(R_) * 4);
}

bool NodePager::put(const uint16_t* const* keys, const DenseRowSource& rows, int64_t n) {
  // in chunks of kChunk records, one write each (a paged-out 32K-key index is
  // 128 writes, not 32K)
  thread_local std::vector<uint8_t> recs;
  thread_local std::vector<int32_t> dense;
  const size_t rb = cache_.record_bytes();
  for (int64_t c = 0; c < n; c += RecordCache::kChunk) {
    const int64_t m = std::min(RecordCache::kChunk, n - c);
    recs.resize(size_t(m) * rb);
    dense.resize(size_t(m) * size_t(R_));
    rows(c, m, dense.data());
    for (int64_t i = 0; i < m; ++i) pack(recs.data() + size_t(i) * rb, keys[c + i], dense.data() + size_t(i) * size_t(R_));
    if (!cache_.put(recs.data(), m)) return false;
  }
  return true;
}

void NodePager::append(const uint16_t* key, const int32_t* row) {
  thread_local std::vector<uint8_t> rec;
  rec.resize(cache_.record_bytes());
  pack(rec.data(), key, row);
  cache_.append(rec.data());
}

void NodePager::read_keys(const int32_t* ids, int64_t n, uint16_t* out) {
  cache_.read(ids, n, 0, size_t(d_) * 2, reinterpret_cast<uint8_t*>(out));
}

void NodePager::read_adjacency(const int32_t* ids, int64_t n, int32_t* out) {
  cache_.read(ids, n, key_bytes_, size_t(R_) * 4, reinterpret_cast<uint8_t*>(out));
}

void NodePager::write_adjacency(int32_t v, const int32_t* row) {
  cache_.write(v, key_bytes_, size_t(R_) * 4, reinterpret_cast<const uint8_t*>(row));
}

void NodePager::scan_keys(int64_t begin, int64_t n, uint16_t* out) const {
  cache_.scan(begin, n, 0, size_t(d_) * 2, reinterpret_cast<uint8_t*>(out));
}

void NodePager::scan_adjacency(int64_t begin, int64_t n, int32_t* out) const {
  cache_.scan(begin, n, key_bytes_, size_t(R_) * 4, reinterpret_cast<uint8_t*>(out));
}

}  // namespace tome
