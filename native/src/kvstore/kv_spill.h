// KvSpill: a scratch file beside a KV store holding the K/V units a RAM budget
// released (model/kv_residency.h), one fixed-size slot per unit, so that
// reading a unit back is one preadv of its bytes instead of a verified read of
// its whole SQLite block. Measured at 4K tokens (smol, budget 0.85): a unit
// read back cost ~20 us from the store (B-tree lookup, overflow pages, a 32 KB
// block and its checksum for an 8 KB unit).
//
// It is a cache, never the durable copy: the store keeps every block. Each
// slot's checksum is kept in RAM when the slot is written, and a read whose
// bytes do not match it, a write that fails (full disk, file size limit) or a
// file that cannot be made at all only send the caller back to the store.
// The file has no name (O_TMPFILE, else created and unlinked at once), so it
// goes with the process, killed or not, and never shows in the cache folder;
// its pages sit in the page cache, which the kernel may drop (written back)
// under memory pressure.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tome {

class KvSpill {
 public:
  // A spill of n_slots slots of slot_bytes in the folder dir; nullptr when no
  // file can be made there (read-only folder, no such folder).
  static std::unique_ptr<KvSpill> create(const std::string& dir, size_t slot_bytes, size_t n_slots);
  ~KvSpill();
  KvSpill(const KvSpill&) = delete;
  KvSpill& operator=(const KvSpill&) = delete;

  size_t slot_bytes() const { return slot_bytes_; }
  bool has(size_t slot) const { return slot < present_.size() && present_[slot]; }
  // Writes a then b (na + nb == slot_bytes) to the slot; false when the write
  // failed (the slot is then absent).
  bool write(size_t slot, const void* a, size_t na, const void* b, size_t nb);
  // Reads the slot into a then b; false when it is absent or its bytes do not
  // match what was written (then forget() it). Changes no state: reads of
  // different slots may run on several threads while no write or forget does.
  bool read(size_t slot, void* a, size_t na, void* b, size_t nb) const;
  void forget(size_t slot);
  // Slots written since creation, and what they hold now.
  int64_t writes() const { return writes_; }
  size_t bytes() const { return present_count_ * slot_bytes_; }
  int fd() const { return fd_; }  // (tests: damage a slot through /proc/self/fd)

 private:
  KvSpill(int fd, size_t slot_bytes, size_t n_slots);
  int fd_;
  size_t slot_bytes_;
  std::vector<uint8_t> present_;
  std::vector<uint64_t> sums_;
  size_t present_count_ = 0;
  int64_t writes_ = 0;
};

}  // namespace tome
