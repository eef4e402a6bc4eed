// IndexSpill: the record file (retrieval/record_file.h) that graph indexes
// page their keys and adjacency to under a RAM budget: a KvSpill
// (kvstore/kv_spill.h) of one-record slots, unnamed, beside the store, each
// record's checksum kept in RAM. Index (layer, KV head) = pair owns records
// [pair * n_ctx, (pair + 1) * n_ctx) (the file is sparse: what is not
// written takes no disk).
#pragma once
#include <memory>
#include <mutex>
#include <string>

#include "kvstore/kv_spill.h"
#include "retrieval/record_file.h"

namespace tome {

class IndexSpill : public RecordFile {
 public:
  // nullptr when no file can be made in dir.
  static std::shared_ptr<IndexSpill> create(const std::string& dir, size_t record_bytes, size_t capacity);
  size_t record_bytes() const override { return spill_->row_bytes(); }
  size_t capacity() const override { return capacity_; }
  // (indexes write back from parallel searches and inserts: the spill's
  // counters take one writer at a time; records are distinct)
  using RecordFile::write;
  bool write(size_t i, size_t n, const void* data) override {
    std::lock_guard<std::mutex> lock(write_mu_);
    return spill_->write(i, n, data);
  }
  void read(size_t i, size_t n, void* out, uint8_t* ok) const override { spill_->read_slots(i, n, out, ok); }
  size_t table_bytes() const { return spill_->table_bytes(); }
  size_t disk_bytes() const { return spill_->bytes(); }
  KvSpill& spill() { return *spill_; }  // (tests: damage a record through its fd)

 private:
  IndexSpill(std::unique_ptr<KvSpill> spill, size_t capacity) : spill_(std::move(spill)), capacity_(capacity) {}
  std::unique_ptr<KvSpill> spill_;
  size_t capacity_;
  std::mutex write_mu_;
};

}  // namespace tome
