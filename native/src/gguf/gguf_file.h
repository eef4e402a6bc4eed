// GgufFile: a bounded reader for GGUF versions 2 and 3 (the format llama.cpp
// writes): header, metadata key/values of every type (arrays included), the
// tensor table, alignment, and an mmap of the tensor data.
//
// Every read checks the bytes remaining before it reads and every length is
// capped (GgufLimits) before anything is allocated from it; a truncated,
// corrupt or hostile file throws tome::Error with code GGUF_* and a message that
// names the field and its byte offset, e.g. (code: message)
//   "GGUF_TRUNCATED: tensor 12 ('blk.0.attn_q.weight') dims at offset 8812: needs 16 bytes, 3 left"
// Codes: GGUF_BAD_MAGIC, GGUF_VERSION (v1, v4+, big-endian), GGUF_TRUNCATED,
// GGUF_LIMIT (GgufLimits exceeded), GGUF_BAD_TYPE (unknown value or tensor type
// number), GGUF_NESTED_ARRAY, GGUF_BAD_VALUE (bool not 0/1, empty name, n_dims
// outside 1..4, ne < 1, element or byte count overflow, row not a whole number of
// blocks, misaligned offset, bad general.alignment), GGUF_DUPLICATE (key or
// tensor name), GGUF_TYPE (typed getter, or general.alignment not uint32);
// IO_OPEN, IO_MMAP from open(). A known tensor type tome cannot compute with
// (e.g. Q2_K) is not an error here; the model loader refuses it by name.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ggml_type.h"

namespace tome {

enum class GgufValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
  BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
const char* gguf_value_type_name(GgufValueType t);
// Bytes of one scalar of type t in the file; 0 for STRING, ARRAY and unknown numbers.
uint64_t gguf_value_type_size(GgufValueType t);

// One metadata value. Scalars keep their exact type; numeric accessors convert.
// Arrays hold either strings (strs) or numbers (nums as double is lossy for
// 64-bit ints, so integers are also kept in ints). Nested arrays are refused.
struct GgufValue {
  GgufValueType type = GgufValueType::UINT8;
  GgufValueType elem_type = GgufValueType::UINT8;  // for ARRAY
  int64_t i = 0;    // integer and bool scalars (uint64 stored bit-cast)
  double f = 0;     // float scalars
  std::string str;  // STRING
  std::vector<std::string> strs;  // ARRAY of STRING
  std::vector<int64_t> ints;      // ARRAY of integer/bool types
  std::vector<double> floats;     // ARRAY of FLOAT32/FLOAT64
  size_t array_size() const;
};

struct GgufKV {
  std::string key;
  GgufValue value;
  uint64_t offset;  // byte offset of the key in the file, for messages
};

struct GgufTensorInfo {
  std::string name;
  uint32_t type;             // raw ggml type number (may be unsupported)
  uint32_t n_dims;           // 1..4
  int64_t ne[4];             // elements per dim, ne[0] fastest; unused dims = 1
  uint64_t offset;           // relative to the data section
  uint64_t nbytes;           // computed from type and ne, checked against the file
  const uint8_t* data;       // points into the mapping
  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

struct GgufLimits {
  uint64_t max_string = 1u << 20;        // bytes of one string
  uint64_t max_array = 1u << 24;         // elements of one array
  uint64_t max_kv = 1u << 16;            // metadata entries
  uint64_t max_tensors = 1u << 16;       // tensor table entries
  uint64_t max_total_alloc = 1ull << 31; // bytes of all parsed metadata together
};

class FileMap;

class GgufFile {
 public:
  // Maps the file read-only and parses it. Throws tome::Error (GGUF_*, IO_*).
  static std::unique_ptr<GgufFile> open(const std::string& path, const GgufLimits& limits = {});
  // Parses a copy held in memory (fuzzing, tests).
  static std::unique_ptr<GgufFile> from_bytes(std::vector<uint8_t> bytes, const GgufLimits& limits = {});
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint64_t file_size() const { return size_; }
  uint64_t alignment() const { return alignment_; }
  // Start of the tensor data section (aligned). A file without tensors may end
  // before the aligned start; data_offset() is then file_size().
  uint64_t data_offset() const { return data_offset_; }
  const std::string& path() const { return path_; }

  const std::vector<GgufKV>& metadata() const { return kv_; }
  const GgufKV* find(std::string_view key) const;
  // Typed look-ups: nullopt when absent; tome::Error GGUF_TYPE when present with an
  // incompatible type (e.g. a string where a number is expected).
  std::optional<int64_t> get_int(std::string_view key) const;     // any integer/bool type
  std::optional<double> get_float(std::string_view key) const;    // any numeric type
  std::optional<bool> get_bool(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  const GgufValue* get_array(std::string_view key) const;         // nullptr when absent

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* tensor(std::string_view name) const;
  // The caller keeps a copy of [p, p + n) (FileMap::release); nothing for a copy in memory.
  void release(const uint8_t* p, uint64_t n) const noexcept;

 private:
  GgufFile() = default;
  void parse(const GgufLimits& limits);
  [[noreturn]] void type_error(const GgufKV& kv, const char* expected) const;

  std::string path_;
  const uint8_t* base_ = nullptr;  // whole file
  uint64_t size_ = 0;
  std::unique_ptr<FileMap> map_;   // the mapping (null when from_bytes)
  std::vector<uint8_t> owned_;     // from_bytes storage
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKV> kv_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> kv_index_;      // key -> index in kv_
  std::map<std::string, size_t, std::less<>> tensor_index_;  // name -> index in tensors_
};

}  // namespace tome
