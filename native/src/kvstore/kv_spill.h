// KvSpill: a scratch file beside a KV store holding the K/V rows a RAM budget
// released (model/kv_residency.h), in fixed slots of `rows` rows (a residency
// unit), each row `row_bytes` (its K then its V), so that reading one row back
// is one pread of its bytes instead of a verified read of its whole SQLite
// block. Measured at 4K tokens (smol, budget 0.85): a unit read back from the
// store cost ~20 us (B-tree lookup, overflow pages, a 32 KB block and its
// checksum), for the one or two rows of it a decode step wanted.
//
// It is a cache, never the durable copy: the store keeps every block. Each
// row's checksum is kept in RAM (4 bytes a row) when its slot is written, and
// a read whose bytes do not match it, a write that fails (full disk, file size
// limit) or a file that cannot be made at all only send the caller back to the
// store. The file has no name (O_TMPFILE, else created and unlinked at once),
// so it goes with the process, killed or not, and never shows in the cache
// folder; its pages sit in the page cache, which the kernel may drop (written
// back) under memory pressure.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tome {

class KvSpill {
 public:
  // Free bytes a spill leaves on its file system: a write that would grow the
  // file into them is refused (the rows stay in the store). A scratch copy took
  // the room the store needed to commit: its commits then failed STORE_FULL,
  // and the engine host set the store aside, a read of minutes lost for a cache.
  static constexpr uint64_t kKeepFreeBytes = uint64_t(1) << 30;
  // A spill of n_slots slots of `rows` rows of row_bytes in the folder dir;
  // nullptr when no file can be made there (read-only folder, no such folder).
  static std::unique_ptr<KvSpill> create(const std::string& dir, size_t row_bytes, size_t rows, size_t n_slots,
                                         uint64_t keep_free = kKeepFreeBytes);
  ~KvSpill();
  KvSpill(const KvSpill&) = delete;
  KvSpill& operator=(const KvSpill&) = delete;

  size_t row_bytes() const { return row_bytes_; }
  size_t rows() const { return rows_; }
  bool has(size_t slot) const { return slot < present_.size() && present_[slot]; }
  // Writes a slot's rows (rows * row_bytes, row after row); false when the
  // write failed (the slot is then absent).
  bool write(size_t slot, const void* data) { return write(slot, 1, data); }
  // Slots [first, first + n) in one write (n slots' rows, slot after slot):
  // a write's cost is mostly per call (measured: 8 KB slots ~10 us each when
  // a reopen's first steps spill a block's units one by one); false when it
  // failed (every one of them is then absent).
  bool write(size_t first, size_t n, const void* data);
  // Reads row r of a slot; false when the slot is absent or the row's bytes do
  // not match what was written (then forget() the slot). Changes no state:
  // reads may run on several threads while no write or forget does.
  bool read_row(size_t slot, size_t r, void* out) const;
  // Slots [first, first + n) whole (one pread) into out; ok[i] = 0 where
  // slot first + i is absent or any of its rows fails its check.
  void read_slots(size_t first, size_t n, void* out, uint8_t* ok) const;
  void forget(size_t slot);
  // Slots written since creation, and the bytes the slots present hold.
  int64_t writes() const { return writes_; }
  size_t bytes() const { return present_count_ * rows_ * row_bytes_; }
  // RAM the spill's own tables take (the row checksums and slot flags).
  size_t table_bytes() const { return sums_.size() * sizeof(uint32_t) + present_.size(); }
  int fd() const { return fd_; }  // (tests: damage a slot through it)

 private:
  KvSpill(int fd, size_t row_bytes, size_t rows, size_t n_slots, uint64_t keep_free);
  size_t slot_bytes() const { return rows_ * row_bytes_; }
  // Whether the file system can take `more` bytes and still keep keep_free_.
  bool room_for(uint64_t more) const;
  int fd_;
  uint64_t keep_free_;
  uint64_t file_end_ = 0;  // bytes the file has grown to
  size_t row_bytes_, rows_;
  std::vector<uint8_t> present_;
  std::vector<uint32_t> sums_;  // (n_slots, rows)
  size_t present_count_ = 0;
  int64_t writes_ = 0;
};

}  // namespace tome
