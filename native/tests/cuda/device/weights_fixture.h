// Random weight matrices in a ggml block format, with their dequantized values
// (the oracle's view), for the mat-vec and mat-mat tests and the benchmark.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "common/ggml_type.h"
#include "cpu/quant.h"

namespace gpu_test {

struct QuantMatrix {
  tome::GgmlType type;
  int64_t rows = 0, cols = 0;
  size_t row_bytes = 0;
  std::vector<uint8_t> bytes;  // rows * row_bytes, as in a GGUF file
  std::vector<float> deq;      // (rows, cols): dequantize_row of each row
};

inline QuantMatrix random_matrix(tome::GgmlType type, int64_t rows, int64_t cols, std::mt19937& g) {
  QuantMatrix m;
  m.type = type;
  m.rows = rows;
  m.cols = cols;
  m.row_bytes = tome::type_row_bytes(type, cols);
  m.bytes.resize(size_t(rows) * m.row_bytes);
  m.deq.resize(size_t(rows) * size_t(cols));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = nd(g);
    uint8_t* dst = m.bytes.data() + size_t(r) * m.row_bytes;
    tome::quantize_row(type, row.data(), dst, cols);
    tome::dequantize_row(type, dst, m.deq.data() + size_t(r) * size_t(cols), cols);
  }
  return m;
}

// Activations: normal with an outlier every 97 elements, as real ones have.
inline std::vector<float> random_activations(size_t n, std::mt19937& g) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = nd(g);
  for (size_t i = 0; i < n; i += 97) x[i] *= 6.0f;
  return x;
}

}  // namespace gpu_test
