// KeyMatrix: the keys of one (layer, KV head) as growable f16 rows, (n, d), row
// j at data() + j * d. f16 is the KV cache's format, so keys from the cache are
// stored exactly, in half the bytes of f32 (the index's largest part after its
// graph, and half the memory traffic of a search); f32 input is rounded to
// nearest. Indexes own one and read it in their scans; ids are row numbers.
// Appending may reallocate (invalidating row pointers), so readers must not run
// during an append (KeyIndex: single writer).
//
// A view (KeyMatrix::view) reads rows that live elsewhere instead: the KV
// cache's K rows of one (layer, KV head), which hold the same f16 values, so
// an index costs no second copy of its keys (128 bytes a key at head dim 64,
// a third of a graph index). Appending to a view checks that the row is
// already there (the cache is written before its key is indexed) and counts
// it; own() turns a view into a copy, for when the owner's rows may go (a RAM
// budget releases cache pages).
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
  // n rows at base, d values apart, owned by the caller, who keeps them alive
  // and unchanged while the view is in use; rows appended later must follow
  // them (base + rows() * d).
  static KeyMatrix view(const uint16_t* base, int64_t n, int d);

  int dim() const { return d_; }
  int64_t rows() const { return view_ ? view_rows_ : d_ ? int64_t(data_.size() / size_t(d_)) : 0; }
  const uint16_t* data() const { return view_ ? view_ : data_.data(); }
  const uint16_t* row(int64_t j) const { return data() + size_t(j) * size_t(d_); }
  bool is_view() const { return view_ != nullptr; }
  // A view becomes a copy of its rows (nothing happens to a copy).
  void own();
  // Row j widened to f32 (exact) into out (d values).
  void row_f32(int64_t j, float* out) const;
  // Every row as f32, (n, d) (index builds: batched kNN and k-means run in f32).
  std::vector<float> to_f32() const;
  size_t bytes() const { return huge_pages::mapped_bytes(data_.capacity() * sizeof(uint16_t)); }  // a view: 0

  void reserve(int64_t n) {
    if (!view_) data_.reserve(size_t(n) * size_t(d_));
  }
  // Appends n rows of f32 (stride floats apart, >= d), rounded to f16.
  // Returns the first new id. Non-finite values (and f16 overflow) are stored
  // as 0 (see key_matrix.cpp). A view checks that its next rows hold these
  // values (throws tome::Error INTERNAL if not) and counts them.
  int64_t append(const float* src, int64_t n, size_t stride);
  // Appends n rows of f16 (the KV cache's format) as they are (a view: as append).
  int64_t append_f16(const uint16_t* src, int64_t n, size_t stride);

  // For deserialization and reserving (a view becomes a copy first).
  HugeVector<uint16_t>& storage() {
    own();
    return data_;
  }
  const HugeVector<uint16_t>& storage() const { return data_; }

 private:
  // A view's next n rows must hold src's values (f16 bits); counts them.
  int64_t grow_view(const uint16_t* src, int64_t n, size_t stride);

  int d_ = 0;
  HugeVector<uint16_t> data_;  // read at random by searches: huge pages (huge_pages.h)
  const uint16_t* view_ = nullptr;  // a view's rows (data_ unused)
  int64_t view_rows_ = 0;
};

}  // namespace tome
