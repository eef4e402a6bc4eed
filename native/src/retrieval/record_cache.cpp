#include "retrieval/record_cache.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.h"

namespace tome {

namespace {

constexpr uint8_t kMaxCount = 3;

size_t page_size() { return sysconf(_SC_PAGESIZE) > 0 ? size_t(sysconf(_SC_PAGESIZE)) : 4096; }

[[noreturn]] void damaged(int64_t v) {
  throw Error("STORE_CORRUPT", "record " + std::to_string(v) +
                                   " of a retrieval index paged out under the RAM budget failed its check "
                                   "(its spill file beside the store is damaged); reopen the document");
}

}  // namespace

RecordCache::RecordCache(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity)
    : file_(std::move(file)), first_(first), capacity_(capacity), rec_bytes_(file_ ? file_->record_bytes() : 0),
      slot_of_(size_t(std::max<int64_t>(capacity, 0)), -1) {
  if (!file_ || rec_bytes_ == 0 || capacity <= 0 || first + size_t(capacity) > file_->capacity())
    throw Error("BAD_ARGUMENT", "RecordCache: the record file does not fit the index");
  arena_bytes_ = std::max(size_t(capacity) * rec_bytes_, page_size());
  void* p = mmap(nullptr, arena_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw Error("KV_ALLOC", "cannot reserve address space for a paged index");
  arena_ = static_cast<uint8_t*>(p);
}

RecordCache::~RecordCache() { munmap(arena_, arena_bytes_); }

void RecordCache::check_id(int64_t v) const {
  if (v < 0 || v >= n_) throw Error("INTERNAL", "RecordCache: record " + std::to_string(v) + " out of range");
}

bool RecordCache::put(const uint8_t* recs, int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (n < 0 || n > capacity_ - n_) throw Error("INTERNAL", "RecordCache: more records than its capacity");
  if (n == 0) return true;
  if (!file_->write(first_ + size_t(n_), size_t(n), recs)) return false;
  n_ += n;
  return true;
}

void RecordCache::append(const uint8_t* rec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (n_ >= capacity_) throw Error("INTERNAL", "RecordCache: more records than its capacity");
  const int32_t s = take_slot();
  std::memcpy(slot_data(s), rec, rec_bytes_);
  const int32_t v = int32_t(n_++);
  slots_[size_t(s)] = Slot{v, 1, true};
  slot_of_[size_t(v)] = s;
}

void RecordCache::overwrite(int64_t begin, int64_t n, const uint8_t* recs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (n <= 0) return;
  check_id(begin);
  check_id(begin + n - 1);
  if (!file_->write(first_ + size_t(begin), size_t(n), recs))
    throw Error("STORE_FULL", "a retrieval index paged out under the RAM budget could not write its spill "
                              "file beside the store (is the disk full?)");
  for (int64_t i = 0; i < n; ++i)
    if (const int32_t s = slot_of_[size_t(begin + i)]; s >= 0) {
      std::memcpy(slot_data(s), recs + size_t(i) * rec_bytes_, rec_bytes_);
      slots_[size_t(s)].dirty = false;
    }
}

int32_t RecordCache::take_slot() {
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

void RecordCache::evict(int32_t s) {
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

int32_t RecordCache::fetch(int32_t v) {
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

void RecordCache::read(const int32_t* ids, int64_t n, size_t offset, size_t bytes, uint8_t* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int64_t i = 0; i < n; ++i) std::memcpy(out + size_t(i) * bytes, slot_data(fetch(ids[i])) + offset, bytes);
}

void RecordCache::write(int32_t v, size_t offset, size_t bytes, const uint8_t* data) {
  std::lock_guard<std::mutex> lock(mu_);
  const int32_t s = fetch(v);
  std::memcpy(slot_data(s) + offset, data, bytes);
  slots_[size_t(s)].dirty = true;
}

void RecordCache::scan_whole(int64_t begin, int64_t n, uint8_t* out) const {
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

void RecordCache::scan(int64_t begin, int64_t n, size_t offset, size_t bytes, uint8_t* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  thread_local std::vector<uint8_t> recs;
  for (int64_t c = 0; c < n; c += kChunk) {
    const int64_t m = std::min(kChunk, n - c);
    recs.resize(size_t(m) * rec_bytes_);
    scan_whole(begin + c, m, recs.data());
    for (int64_t i = 0; i < m; ++i)
      std::memcpy(out + size_t(c + i) * bytes, recs.data() + size_t(i) * rec_bytes_ + offset, bytes);
  }
}

void RecordCache::set_max_slots(int64_t n) {
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

RecordCacheStats RecordCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

size_t RecordCache::ram_bytes_at(int64_t slots) const {
  return size_t(slots) * (rec_bytes_ + sizeof(Slot) + sizeof(int32_t)) + slot_of_.size() * sizeof(int32_t);
}

size_t RecordCache::ram_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ram_bytes_at(int64_t(slots_.size()));
}

}  // namespace tome
