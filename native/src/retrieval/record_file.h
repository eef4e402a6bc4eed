// RecordFile: fixed-size records in a file, record i at i * record_bytes(),
// each checked when read. A graph index under a RAM budget pages its per-key
// records through one (node_pager.h); the engine implements it over the KV
// store's spill (model/index_spill.h), so retrieval holds no file code.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tome {

class RecordFile {
 public:
  virtual ~RecordFile() = default;
  virtual size_t record_bytes() const = 0;
  virtual size_t capacity() const = 0;  // records
  // Records [i, i + n) in one write (a write's cost is mostly per call);
  // false when it failed (full disk, file size limit: every one of them is
  // then absent). Thread-safe, and with reads, where the records differ (each
  // index its own records, under its own pager's lock).
  virtual bool write(size_t i, size_t n, const void* data) = 0;
  bool write(size_t i, const void* data) { return write(i, 1, data); }
  // Records [i, i + n) into out (n * record_bytes()); ok[j] = 0 where record
  // i + j is absent or its bytes fail their check. Thread-safe as write().
  virtual void read(size_t i, size_t n, void* out, uint8_t* ok) const = 0;
};

}  // namespace tome
