// GgufWriter: writes GGUF version 3 files (little-endian), as llama.cpp reads them:
//   header, metadata in insertion order, tensor table, padding to the alignment,
//   then each tensor's data padded to the alignment.
// The alignment is general.alignment when set (a uint32 power of two), else 32.
// Setting a key again replaces its value in place. Arguments are checked when
// given (tome::Error GGUF_BAD_VALUE, GGUF_BAD_TYPE, GGUF_DUPLICATE,
// GGUF_NESTED_ARRAY, GGUF_LIMIT), so a writer only ever produces valid files;
// tests that need broken files patch the bytes of to_bytes().
//
// Tensor data is streamed at write time, never gathered into one buffer:
//   add_tensor        keeps the caller's pointer (it must outlive the last write)
//   add_tensor_owned  takes a vector
//   add_tensor_fill   calls a function to produce the bytes while writing, so a
//                     large synthetic model needs only one tensor in memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/ggml_type.h"
#include "gguf/gguf_file.h"

namespace tome {

class GgufWriter {
 public:
  static constexpr uint32_t kDefaultAlignment = 32;
  // Writes exactly nbytes bytes of one tensor's data to dst.
  using Fill = std::function<void(uint8_t* dst, size_t nbytes)>;

  GgufWriter();
  ~GgufWriter();
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  // --- metadata scalars
  void set_u8(const std::string& key, uint8_t v);
  void set_i8(const std::string& key, int8_t v);
  void set_u16(const std::string& key, uint16_t v);
  void set_i16(const std::string& key, int16_t v);
  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_u64(const std::string& key, uint64_t v);
  void set_i64(const std::string& key, int64_t v);
  void set_f32(const std::string& key, float v);
  void set_f64(const std::string& key, double v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, std::string v);
  // general.alignment (uint32); must be a nonzero power of two.
  void set_alignment(uint32_t alignment);

  // --- metadata arrays
  void set_array_str(const std::string& key, std::vector<std::string> v);
  void set_array_i32(const std::string& key, const std::vector<int32_t>& v);
  void set_array_f32(const std::string& key, const std::vector<float>& v);
  // count elements of the C type matching elem_type (uint8_t .. double; bool as
  // 1-byte 0/1). elem_type STRING or ARRAY is refused (use set_array_str).
  void set_array(const std::string& key, GgufValueType elem_type, const void* data, size_t count);
  // Any value in GgufFile's representation (e.g. copied from another file).
  void set_value(const std::string& key, GgufValue v);
  // Removes a key; false when absent.
  bool remove(const std::string& key);

  // --- tensors (dims as ne: ne[0] fastest, 1..4 of them, each >= 1)
  void add_tensor(const std::string& name, GgmlType type, std::vector<int64_t> dims, const void* data,
                  size_t nbytes);
  void add_tensor_owned(const std::string& name, GgmlType type, std::vector<int64_t> dims,
                        std::vector<uint8_t> data);
  void add_tensor_fill(const std::string& name, GgmlType type, std::vector<int64_t> dims, Fill fill);
  // Bytes of a tensor of this type and shape (the nbytes add_tensor expects).
  static uint64_t tensor_nbytes(GgmlType type, const std::vector<int64_t>& dims);

  size_t n_kv() const;
  size_t n_tensors() const;

  // Writes path + ".tmp", flushes it to disk, then renames it to path; on any
  // failure removes the temporary and throws IO_WRITE with the system's reason.
  void write_to_file(const std::string& path) const;
  // The whole file in memory (small files: tests, fuzzing).
  std::vector<uint8_t> to_bytes() const;

 private:
  struct Tensor;
  using Sink = std::function<void(const uint8_t* p, size_t n)>;
  void set(const std::string& key, GgufValue v);
  void add(const std::string& name, GgmlType type, std::vector<int64_t> dims, uint64_t nbytes, Tensor t);
  uint32_t alignment() const;
  void write(const Sink& out) const;

  std::vector<GgufKV> kv_;
  std::vector<Tensor> tensors_;
};

}  // namespace tome
