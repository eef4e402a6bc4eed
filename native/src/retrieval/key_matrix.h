// KeyMatrix: the keys of one (layer, KV head) as growable f32 rows, (n, d),
// row j at data() + j * d. Indexes own one and read it in their scans; ids are
// row numbers. Appending may reallocate (invalidating row pointers), so readers
// must not run during an append (KeyIndex: single writer).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tome {

class KeyMatrix {
 public:
  KeyMatrix() = default;
  explicit KeyMatrix(int d) : d_(d) {}

  int dim() const { return d_; }
  int64_t rows() const { return d_ ? int64_t(data_.size() / size_t(d_)) : 0; }
  const float* data() const { return data_.data(); }
  const float* row(int64_t j) const { return data_.data() + size_t(j) * size_t(d_); }
  size_t bytes() const { return data_.capacity() * sizeof(float); }

  void reserve(int64_t n) { data_.reserve(size_t(n) * size_t(d_)); }
  // Appends n rows of f32 (stride floats apart, >= d). Returns the first new id.
  // Non-finite values are stored as 0 (see key_matrix.cpp).
  int64_t append(const float* src, int64_t n, size_t stride);
  // Appends n rows of f16 (the KV cache's format), converted to f32 once here.
  int64_t append_f16(const uint16_t* src, int64_t n, size_t stride);

  std::vector<float>& storage() { return data_; }  // for deserialization
  const std::vector<float>& storage() const { return data_; }

 private:
  int d_ = 0;
  std::vector<float> data_;
};

}  // namespace tome
