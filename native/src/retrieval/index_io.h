// Persistence of the retrieval indexes: a self-contained byte image per index,
// so the KV store can keep it beside the KV of a (layer, KV head).
//
// Image layout (little-endian):
//   offset 0   8 bytes  magic "TOMEKIDX"
//          8   u32      format version (kIndexFormatVersion)
//         12   u32      kind (IndexKind)
//         16   u64      payload size in bytes
//         24   u64      FNV-1a 64 checksum of the payload
//         32   payload  kind-specific; every payload starts with the keys:
//                       u32 d | flags, u64 n, keys (n, d): f16 with flag kKeysF16
//                       (bit 30), else f32 (images written before keys were
//                       stored as f16; rounded on load)
//                       flag kKeysDetached (bit 31 of the d word): the keys are
//                       not in the image (the KV store keeps them as its K rows)
//                       and must be handed to deserialize_index()
// Readers check remaining bytes before every read, bound every count by what
// the remaining bytes can hold before allocating, validate every id and degree,
// and throw tome::Error("RETRIEVAL_CORRUPT", ...) on anything else: a corrupt
// or hostile image never crashes the process and never allocates unboundedly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "retrieval/key_matrix.h"

namespace tome {

constexpr uint32_t kIndexFormatVersion = 1;
constexpr size_t kIndexHeaderBytes = 32;
constexpr int kMaxIndexDim = 1 << 16;
constexpr uint32_t kKeysDetached = 1u << 31;
constexpr uint32_t kKeysF16 = 1u << 30;

enum class IndexKind : uint32_t { kFlat = 1, kIvf = 2, kGraph = 3 };

class ByteWriter {
 public:
  void u8(uint8_t v) { buf_.push_back(v); }
  void u16(uint16_t v) { put(&v, 2); }
  void u32(uint32_t v) { put(&v, 4); }
  void u64(uint64_t v) { put(&v, 8); }
  void f32(float v) { put(&v, 4); }
  template <class T>
  void array(const T* p, size_t count) { put(p, sizeof(T) * count); }
  std::vector<uint8_t>& bytes() { return buf_; }

 private:
  // Hosts are little-endian (x86-64, arm64); a big-endian port would swap here.
  void put(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  std::vector<uint8_t> buf_;
};

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  size_t remaining() const { return size_t(end_ - p_); }
  uint8_t u8() { uint8_t v; get(&v, 1); return v; }
  uint16_t u16() { uint16_t v; get(&v, 2); return v; }
  uint32_t u32() { uint32_t v; get(&v, 4); return v; }
  uint64_t u64() { uint64_t v; get(&v, 8); return v; }
  float f32() { float v; get(&v, 4); return v; }
  // count elements of T; the count is checked against the remaining bytes
  // before anything is allocated.
  template <class T, class A>
  void array(std::vector<T, A>& out, uint64_t count, const char* what) {
    if (count > remaining() / sizeof(T)) fail(std::string(what) + ": count exceeds the image");
    out.resize(size_t(count));
    get(out.data(), sizeof(T) * size_t(count));
  }
  // A count of elements each at least min_bytes wide must fit in what is left.
  uint64_t count(uint64_t v, size_t min_bytes, const char* what) const {
    if (min_bytes && v > remaining() / min_bytes) fail(std::string(what) + ": count exceeds the image");
    return v;
  }
  [[noreturn]] static void fail(const std::string& why);

 private:
  void get(void* dst, size_t n) {
    if (n > remaining()) fail("truncated image");
    if (n) std::memcpy(dst, p_, n);
    p_ += n;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

// FNV-1a 64 over bytes.
uint64_t index_checksum(const uint8_t* data, size_t size);

// Payload prefix shared by every kind.
// with_keys = false writes only (d, n) and the kKeysDetached flag; read_keys
// then takes the keys from *external, which must be (n, d).
void write_keys(ByteWriter& w, const KeyMatrix& keys, bool with_keys);
void write_detached_keys(ByteWriter& w, int d, int64_t n);  // as write_keys(.., false) for n keys of dim d
KeyMatrix read_keys(ByteReader& r, KeyMatrix* external);

// Prepends the header to the payload written in w; returns the whole image.
std::vector<uint8_t> finish_index_image(IndexKind kind, ByteWriter& payload);
// Checks magic, version, size and checksum; returns the kind and a reader over
// the payload (which points into data).
IndexKind open_index_image(const uint8_t* data, size_t size, ByteReader* payload);

}  // namespace tome
