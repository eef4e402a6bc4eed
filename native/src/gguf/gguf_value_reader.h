// GgufValueReader: reads GGUF strings, counts and metadata values (arrays
// included) through a ByteCursor, capping every length against GgufLimits and
// against the bytes left before anything is allocated, and charging what it
// allocates to limits.max_total_alloc. Errors: GGUF_TRUNCATED, GGUF_LIMIT,
// GGUF_BAD_TYPE, GGUF_NESTED_ARRAY, GGUF_BAD_VALUE.
#pragma once
#include <cstdint>
#include <string>

#include "gguf/byte_cursor.h"
#include "gguf/gguf_file.h"

namespace tome {

class GgufValueReader {
 public:
  GgufValueReader(ByteCursor& cursor, const GgufLimits& limits) : c_(cursor), lim_(limits) {}

  // A u64 count, <= limit (else GGUF_LIMIT) and with count * min_elem_bytes
  // bytes still in the buffer (else GGUF_TRUNCATED).
  uint64_t read_count(CursorField f, uint64_t limit, uint64_t min_elem_bytes);
  // A u64 length then that many bytes; the length is at most max_len.
  std::string read_string(CursorField len_field, CursorField bytes_field, uint64_t max_len);
  // A u32 value type, checked to be a GGUF type (GGUF_BAD_TYPE).
  GgufValueType read_type(CursorField f);
  // The value of type t (already read), into v.
  void read_value(GgufValueType t, GgufValue& v);
  // Counts `bytes` of parsed data against limits.max_total_alloc (GGUF_LIMIT).
  void charge(uint64_t bytes, CursorField f);

 private:
  void read_array(GgufValue& v);
  [[noreturn]] void fail(const char* code, CursorField f, uint64_t at, const std::string& what) const;

  ByteCursor& c_;
  const GgufLimits& lim_;
  uint64_t used_ = 0;  // bytes charged so far, always <= lim_.max_total_alloc
};

// a * b, saturating at UINT64_MAX (for messages and caps).
inline uint64_t saturating_mul(uint64_t a, uint64_t b) {
  return (a != 0 && b > UINT64_MAX / a) ? UINT64_MAX : a * b;
}

}  // namespace tome
