#include "retrieval/node_pager.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.h"

namespace tome {

namespace {

constexpr uint8_t kMaxCount = 3;
constexpr int64_t kScanChunk = 256;  // records a scan reads at once (80 KB at head dim 64, R 48)

size_t page_size() { return sysconf(_SC_PAGESIZE) > 0 ? size_t(sysconf(_SC_PAGESIZE)) : 4096; }

[[noreturn]] void damaged(int64_t v) {
  throw Error("STORE_CORRUPT", "record " + std::to_string(v) +
                                   " of a retrieval index paged out under the RAM budget failed its check "
                                   "(its spill file beside the store is damaged); reopen the document");
}

}  // namespace

NodePager::NodePager(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity, int d, int R)
    : file_(std::move(file)), first_(first), capacity_(capacity), d_(d), R_(R),
      key_bytes_(key_bytes_for(d)), rec_bytes_(record_bytes_for(d, R)),
      slot_of_(size_t(std::max<int64_t>(capacity, 0)), -1) {
  if (!file_ || d <= 0 || R <= 0 || capacity <= 0 || file_->record_bytes() != rec_bytes_ ||
      first + size_t(capacity) > file_->capacity())
    throw Error("BAD_ARGUMENT", "NodePager: the record file does not fit the index");
  arena_bytes_ = std::max(size_t(capacity) * rec_bytes_, page_size());
  void* p = mmap(nullptr, arena_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw Error("KV_ALLOC", "cannot reserve address space for a paged index");
  arena_ = static_cast<uint8_t*>(p);
}

NodePager::~NodePager() { munmap(arena_, arena_bytes_); }

void NodePager::check_id(int64_t v) const {
  if (v < 0 || v >= n_) throw Error("INTERNAL", "NodePager: record " + std::to_string(v) + " out of range");
}

bool NodePager::put(const uint16_t* const* keys, const int32_t* rows, int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (n < 0 || n > capacity_ - n_) throw Error("INTERNAL", "NodePager: more records than its capacity");
  // in chunks of kScanChunk records, one write each (a paged-out 32K-key
  // index is 128 writes, not 32K)
  thread_local std::vector<uint8_t> recs;
  for (int64_t c = 0; c < n; c += kScanChunk) {
    const int64_t m = std::min(kScanChunk, n - c);
    recs.assign(size_t(m) * rec_bytes_, 0);
    for (int64_t i = 0; i < m; ++i) {
      uint8_t* rec = recs.data() + size_t(i) * rec_bytes_;
      std::memcpy(rec, keys[c + i], size_t(d_) * 2);
      std::memcpy(rec + key_bytes_, rows + size_t(c + i) * size_t(R_), size_t(R_) * 4);
    }
    if (!file_->write(first_ + size_t(n_), size_t(m), recs.data())) return false;
    n_ += m;
  }
  return true;
}

void NodePager::append(const uint16_t* key, const int32_t* row) {
  std::lock_guard<std::mutex> lock(mu_);
  if (n_ >= capacity_) throw Error("INTERNAL", "NodePager: more records than its capacity");
  const int32_t s = take_slot();
  uint8_t* rec = slot_data(s);
  std::memset(rec, 0, rec_bytes_);
  std::memcpy(rec, key, size_t(d_) * 2);
  std::memcpy(rec + key_bytes_, row, size_t(R_) * 4);
  const int32_t v = int32_t(n_++);
  slots_[size_t(s)] = Slot{v, 1, true};
  slot_of_[size_t(v)] = s;
}

int32_t NodePager::take_slot() {
  if (!free_.empty()) {
    const int32_t s = free_.back();
    free_.pop_back();
    return s;
  }
  if (int64_t(slots_.size()) < max_slots_) {
    slots_.emplace_back();
    return int32_t(slots_.size() - 1);
  }
  for (;;) {  // the clock: every slot is taken (max_slots_ >= 1)
    if (hand_ >= slots_.size()) hand_ = 0;
    Slot& x = slots_[hand_];
    if (x.count > 0) {
      --x.count;
      ++hand_;
      continue;
    }
    const int32_t s = int32_t(hand_++);
    evict(s);
    return s;
  }
}

void NodePager::evict(int32_t s) {
  Slot& x = slots_[size_t(s)];
  if (x.id < 0) return;
  if (x.dirty) {
    if (!file_->write(first_ + size_t(x.id), slot_data(s)))
      throw Error("STORE_FULL", "a retrieval index paged out under the RAM budget could not write its spill "
                                "file beside the store (is the disk full?)");
    ++stats_.writebacks;
  }
  slot_of_[size_t(x.id)] = -1;
  x = Slot{};
  ++stats_.evictions;
}

int32_t NodePager::fetch(int32_t v) {
  check_id(v);
  int32_t s = slot_of_[size_t(v)];
  if (s >= 0) {
    Slot& x = slots_[size_t(s)];
    if (x.count < kMaxCount) ++x.count;
    ++stats_.hits;
    return s;
  }
  s = take_slot();
  uint8_t ok = 0;
  file_->read(first_ + size_t(v), 1, slot_data(s), &ok);
  if (!ok) {
    free_.push_back(s);
    damaged(v);
  }
  slots_[size_t(s)] = Slot{v, 1, false};
  slot_of_[size_t(v)] = s;
  ++stats_.reads;
  return s;
}

void NodePager::read_keys(const int32_t* ids, int64_t n, uint16_t* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int64_t i = 0; i < n; ++i) std::memcpy(out + size_t(i) * size_t(d_), slot_data(fetch(ids[i])), size_t(d_) * 2);
}

void NodePager::read_adjacency(const int32_t* ids, int64_t n, int32_t* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(out + size_t(i) * size_t(R_), slot_data(fetch(ids[i])) + key_bytes_, size_t(R_) * 4);
}

void NodePager::write_adjacency(int32_t v, const int32_t* row) {
  std::lock_guard<std::mutex> lock(mu_);
  const int32_t s = fetch(v);
  std::memcpy(slot_data(s) + key_bytes_, row, size_t(R_) * 4);
  slots_[size_t(s)].dirty = true;
}

void NodePager::scan(int64_t begin, int64_t n, uint8_t* out) const {
  if (n <= 0) return;
  check_id(begin);
  check_id(begin + n - 1);
  thread_local std::vector<uint8_t> ok;
  ok.resize(size_t(n));
  file_->read(first_ + size_t(begin), size_t(n), out, ok.data());
  for (int64_t i = 0; i < n; ++i) {
    const int32_t s = slot_of_[size_t(begin + i)];
    if (s >= 0) std::memcpy(out + size_t(i) * rec_bytes_, slot_data(s), rec_bytes_);  // the current bytes
    else if (!ok[size_t(i)]) damaged(begin + i);
  }
}

void NodePager::scan_part(int64_t begin, int64_t n, size_t offset, size_t bytes, uint8_t* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  thread_local std::vector<uint8_t> recs;
  for (int64_t c = 0; c < n; c += kScanChunk) {
    const int64_t m = std::min(kScanChunk, n - c);
    recs.resize(size_t(m) * rec_bytes_);
    scan(begin + c, m, recs.data());
    for (int64_t i = 0; i < m; ++i)
      std::memcpy(out + size_t(c + i) * bytes, recs.data() + size_t(i) * rec_bytes_ + offset, bytes);
  }
}

void NodePager::scan_keys(int64_t begin, int64_t n, uint16_t* out) const {
  scan_part(begin, n, 0, size_t(d_) * 2, reinterpret_cast<uint8_t*>(out));
}

void NodePager::scan_adjacency(int64_t begin, int64_t n, int32_t* out) const {
  scan_part(begin, n, key_bytes_, size_t(R_) * 4, reinterpret_cast<uint8_t*>(out));
}

void NodePager::set_max_slots(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  n = std::clamp<int64_t>(n, 1, capacity_);
  max_slots_ = n;
  if (int64_t(slots_.size()) <= n) return;
  for (size_t s = size_t(n); s < slots_.size(); ++s) evict(int32_t(s));
  slots_.resize(size_t(n));
  free_.erase(std::remove_if(free_.begin(), free_.end(), [&](int32_t s) { return s >= n; }), free_.end());
  if (hand_ >= slots_.size()) hand_ = 0;
  // give the slots' memory back
  const size_t ps = page_size();
  const size_t from = (size_t(n) * rec_bytes_ + ps - 1) / ps * ps;
  if (from < arena_bytes_) madvise(arena_ + from, arena_bytes_ - from, MADV_DONTNEED);
}

NodePagerStats NodePager::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

size_t NodePager::ram_bytes_at(int64_t slots) const {
  return size_t(slots) * (rec_bytes_ + sizeof(Slot) + sizeof(int32_t)) + slot_of_.size() * sizeof(int32_t);
}

size_t NodePager::ram_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ram_bytes_at(int64_t(slots_.size()));
}

}  // namespace tome
