// ByteCursor: reads little-endian scalars and byte runs from a buffer of known
// size, checking the bytes remaining before every read. A short read throws
// tome::Error GGUF_TRUNCATED naming the field and its offset:
//   "<context> <field>[ <index>] at offset N: needs K bytes, M left"
// The context (e.g. "tensor 12 ('blk.0.attn_q.weight')") is set once per
// record by the parser, so per-element reads build no strings unless they fail.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/error.h"

namespace tome {

// What is being read, for messages: "<name>[ <index>][ <suffix>]", e.g. "element 17 length".
struct CursorField {
  static constexpr uint64_t kNoIndex = UINT64_MAX;
  const char* name;
  uint64_t index = kNoIndex;      // element index within an array
  const char* suffix = nullptr;
  CursorField(const char* n) : name(n) {}  // NOLINT: implicit from a literal on purpose
  CursorField(const char* n, uint64_t i, const char* sfx = nullptr) : name(n), index(i), suffix(sfx) {}
};

class ByteCursor {
 public:
  ByteCursor(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t size() const { return size_; }
  uint64_t remaining() const { return size_ - pos_; }

  void set_context(std::string context) { context_ = std::move(context); }
  const std::string& context() const { return context_; }
  // "<context> <field>[ <index>]", for messages.
  std::string describe(CursorField f) const {
    std::string s = context_;
    if (!s.empty()) s += ' ';
    s += f.name;
    if (f.index != CursorField::kNoIndex) s += ' ' + std::to_string(f.index);
    if (f.suffix) (s += ' ') += f.suffix;
    return s;
  }

  // Throws GGUF_TRUNCATED unless n more bytes can be read.
  void need(uint64_t n, CursorField f) const {
    if (n > remaining()) truncated(n, f);
  }
  // The next n bytes, consumed.
  const uint8_t* take(uint64_t n, CursorField f) {
    need(n, f);
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  std::string_view view(uint64_t n, CursorField f) {
    const uint8_t* p = take(n, f);
    return std::string_view(reinterpret_cast<const char*>(p), size_t(n));
  }

  uint8_t u8(CursorField f) { return *take(1, f); }
  uint16_t u16(CursorField f) { return uint16_t(le(take(2, f), 2)); }
  uint32_t u32(CursorField f) { return uint32_t(le(take(4, f), 4)); }
  uint64_t u64(CursorField f) { return le(take(8, f), 8); }
  int64_t i64(CursorField f) { return int64_t(u64(f)); }  // two's complement
  float f32(CursorField f) {
    uint32_t bits = u32(f);
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
  double f64(CursorField f) {
    uint64_t bits = u64(f);
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }

  // Little-endian decode of n <= 8 bytes, independent of the host's byte order.
  static uint64_t le(const uint8_t* p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t(p[i]) << (8 * i);
    return v;
  }

 private:
  [[noreturn]] void truncated(uint64_t n, CursorField f) const {
    throw Error("GGUF_TRUNCATED", describe(f) + " at offset " + std::to_string(pos_) + ": needs " +
                                      std::to_string(n) + " bytes, " + std::to_string(remaining()) +
                                      " left");
  }

  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  std::string context_;
};

}  // namespace tome
