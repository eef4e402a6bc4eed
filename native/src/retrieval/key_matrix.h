// KeyMatrix: the keys of one (layer, KV head) as growable f16 rows, (n, d), row
// j at data() + j * d. f16 is the KV cache's format, so keys from the cache are
// stored exactly, in half the bytes of f32 (the index's largest part after its
// graph, and half the memory traffic of a search); f32 input is rounded to
// nearest. Indexes own one and read it in their scans; ids are row numbers.
// Appending may reallocate (invalidating row pointers), so readers must not run
// during an append (KeyIndex: single writer).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/huge_pages.h"

namespace tome {

class KeyMatrix {
 public:
  KeyMatrix() = default;
  explicit KeyMatrix(int d) : d_(d) {}

  int dim() const { return d_; }
  int64_t rows() const { return d_ ? int64_t(data_.size() / size_t(d_)) : 0; }
  const uint16_t* data() const { return data_.data(); }
  const uint16_t* row(int64_t j) const { return data_.data() + size_t(j) * size_t(d_); }
  // Row j widened to f32 (exact) into out (d values).
  void row_f32(int64_t j, float* out) const;
  // Every row as f32, (n, d) (index builds: batched kNN and k-means run in f32).
  std::vector<float> to_f32() const;
  size_t bytes() const { return data_.capacity() * sizeof(uint16_t); }

  void reserve(int64_t n) { data_.reserve(size_t(n) * size_t(d_)); }
  // Appends n rows of f32 (stride floats apart, >= d), rounded to f16.
  // Returns the first new id. Non-finite values (and f16 overflow) are stored
  // as 0 (see key_matrix.cpp).
  int64_t append(const float* src, int64_t n, size_t stride);
  // Appends n rows of f16 (the KV cache's format) as they are.
  int64_t append_f16(const uint16_t* src, int64_t n, size_t stride);

  HugeVector<uint16_t>& storage() { return data_; }  // for deserialization
  const HugeVector<uint16_t>& storage() const { return data_; }

 private:
  int d_ = 0;
  HugeVector<uint16_t> data_;  // read at random by searches: huge pages (huge_pages.h)
};

}  // namespace tome
