#include "retrieval/key_matrix.h"

#include <cstring>
#include <string>

#include "attention/vec_kernels.h"
#include "common/error.h"
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

KeyMatrix KeyMatrix::view(const uint16_t* base, int64_t n, int d) {
  if (!base || d <= 0 || n < 0) throw Error("BAD_ARGUMENT", "KeyMatrix::view: bad rows");
  KeyMatrix m(d);
  m.view_ = base;
  m.view_rows_ = n;
  return m;
}

void KeyMatrix::own() {
  if (!view_) return;
  const size_t values = size_t(view_rows_) * size_t(d_);
  data_.assign(view_, view_ + values);
  sanitize(data_.data(), values);  // as append_f16 would have stored them
  view_ = nullptr;
  view_rows_ = 0;
}

int64_t KeyMatrix::grow_view(const uint16_t* src, int64_t n, size_t stride) {
  const int64_t first = view_rows_;
  for (int64_t j = 0; j < n; ++j) {
    const uint16_t* mine = view_ + size_t(first + j) * size_t(d_);
    const uint16_t* given = src + size_t(j) * stride;
    if (mine != given && std::memcmp(mine, given, sizeof(uint16_t) * size_t(d_)) != 0)
      throw Error("INTERNAL", "KeyMatrix view: key " + std::to_string(first + j) + " is not the shared row it should be");
  }
  view_rows_ += n;
  return first;
}

void KeyMatrix::row_f32(int64_t j, float* out) const { f16_to_f32_row(row(j), out, d_); }

std::vector<float> KeyMatrix::to_f32() const {
  const size_t values = size_t(rows()) * size_t(d_);
  std::vector<float> out(values);
  f16_to_f32_row(data(), out.data(), int64_t(values));
  return out;
}

int64_t KeyMatrix::append(const float* src, int64_t n, size_t stride) {
  if (view_) {
    std::vector<uint16_t> h(size_t(n) * size_t(d_));
    for (int64_t j = 0; j < n; ++j) f32_to_f16_row(src + size_t(j) * stride, h.data() + size_t(j) * d_, d_);
    return grow_view(h.data(), n, size_t(d_));
  }
  const int64_t first = rows();
  const size_t old = data_.size();
  reserve_for(data_, old + size_t(n) * size_t(d_));
  data_.resize(old + size_t(n) * size_t(d_));
  for (int64_t j = 0; j < n; ++j) f32_to_f16_row(src + size_t(j) * stride, data_.data() + old + size_t(j) * d_, d_);
  sanitize(data_.data() + old, size_t(n) * size_t(d_));
  return first;
}

int64_t KeyMatrix::append_f16(const uint16_t* src, int64_t n, size_t stride) {
  if (view_) return grow_view(src, n, stride);
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
