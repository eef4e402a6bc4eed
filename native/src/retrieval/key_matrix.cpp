#include "retrieval/key_matrix.h"

#include <cstring>

#include "attention/vec_kernels.h"
#include "retrieval/growth.h"

namespace tome {

namespace {
// A non-finite key value (an f16 overflow upstream) would turn every score
// with that key into inf/NaN; it is stored as 0 so the index stays usable and
// its image loadable (index_io rejects non-finite keys as corruption).
void sanitize(uint16_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if ((p[i] & 0x7c00) == 0x7c00) p[i] = 0;  // exponent all ones: inf or NaN
}
}  // namespace

void KeyMatrix::row_f32(int64_t j, float* out) const { f16_to_f32_row(row(j), out, d_); }

std::vector<float> KeyMatrix::to_f32() const {
  std::vector<float> out(data_.size());
  f16_to_f32_row(data_.data(), out.data(), int64_t(data_.size()));
  return out;
}

int64_t KeyMatrix::append(const float* src, int64_t n, size_t stride) {
  const int64_t first = rows();
  const size_t old = data_.size();
  reserve_for(data_, old + size_t(n) * size_t(d_));
  data_.resize(old + size_t(n) * size_t(d_));
  for (int64_t j = 0; j < n; ++j) f32_to_f16_row(src + size_t(j) * stride, data_.data() + old + size_t(j) * d_, d_);
  sanitize(data_.data() + old, size_t(n) * size_t(d_));
  return first;
}

int64_t KeyMatrix::append_f16(const uint16_t* src, int64_t n, size_t stride) {
  const int64_t first = rows();
  const size_t old = data_.size();
  reserve_for(data_, old + size_t(n) * size_t(d_));
  data_.resize(old + size_t(n) * size_t(d_));
  for (int64_t j = 0; j < n; ++j)
    std::memcpy(data_.data() + old + size_t(j) * d_, src + size_t(j) * stride, sizeof(uint16_t) * size_t(d_));
  sanitize(data_.data() + old, size_t(n) * size_t(d_));
  return first;
}

}  // namespace tome
