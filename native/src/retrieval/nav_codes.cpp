#include "retrieval/nav_codes.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "retrieval/growth.h"
#include "retrieval/key_matrix.h"

namespace tome {

namespace {
constexpr int kPad = 32;  // row stride granule: the SIMD kernels read 32 codes at a time

// round(x * inv) clamped to [-127, 127], ties to even: adding and subtracting
// 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer in the current
// (default: to nearest even) mode, with no call (std::nearbyint is one per
// value: most of the cost of recomputing an index's codes on load).
inline int8_t quantize(float x, float inv) {
  constexpr float kRound = 12582912.0f;
  const float v = std::min(127.0f, std::max(-127.0f, x * inv));
  return int8_t(int((v + kRound) - kRound));
}
}  // namespace

bool NavCodes::update_scales(const KeyMatrix& keys, int64_t begin, int64_t end, int64_t first) {
  end = std::min<int64_t>(end, kScaleRows);
  bool moved = scale_.empty();
  max_.resize(size_t(d_), 0.0f);
  std::vector<float> row(static_cast<size_t>(d_));
  for (int64_t j = begin; j < end; ++j) {
    keys.row_f32(j - first, row.data());
    for (int i = 0; i < d_; ++i)
      if (std::fabs(row[size_t(i)]) > max_[size_t(i)]) max_[size_t(i)] = std::fabs(row[size_t(i)]), moved = true;
  }
  if (!moved) return false;
  scale_.resize(size_t(d_));
  inv_.resize(size_t(d_));
  for (int i = 0; i < d_; ++i) {
    // keys are finite f16 (KeyMatrix stores non-finite values as 0)
    const float s = max_[size_t(i)] > 0 ? max_[size_t(i)] / 127.0f : 1.0f;
    scale_[size_t(i)] = s;
    inv_[size_t(i)] = 1.0f / s;
  }
  return true;
}

void NavCodes::quantize_rows(const KeyMatrix& keys, int64_t begin, int64_t end, int64_t first) {
  std::vector<float> row(static_cast<size_t>(d_));
  for (int64_t j = begin; j < end; ++j) {
    keys.row_f32(j - first, row.data());
    int8_t* c = codes_.data() + size_t(j) * size_t(stride_);
    for (int i = 0; i < d_; ++i) c[i] = quantize(row[size_t(i)], inv_[size_t(i)]);
    std::memset(c + d_, 0, size_t(stride_ - d_));
  }
}

void NavCodes::assign(const KeyMatrix& keys) {
  d_ = keys.dim();
  stride_ = (d_ + kPad - 1) / kPad * kPad;
  const int64_t n = keys.rows();
  codes_.clear();
  // room for the keys decoding inserts (as reserve_for() grows it): the first
  // inserts into every index of a session do not all copy their codes at once
  codes_.reserve(size_t(n + n / 8 + 1024) * size_t(stride_));
  codes_.resize(size_t(n) * size_t(stride_));
  max_.assign(size_t(d_), 0.0f);
  scale_.clear();
  update_scales(keys, 0, n);
  quantize_rows(keys, 0, n);
}

void NavCodes::extend(const KeyMatrix& keys) {
  if (stride_ == 0 || keys.dim() != d_) return assign(keys);
  const int64_t old = rows(), n = keys.rows();
  if (n <= old) return;
  reserve_for(codes_, size_t(n) * size_t(stride_));
  codes_.resize(size_t(n) * size_t(stride_));
  // below kScaleRows the scales still follow the keys: requantize every row
  // when they moved
  if (update_scales(keys, old, n)) return quantize_rows(keys, 0, n);
  quantize_rows(keys, old, n);
}

void NavCodes::append(const KeyMatrix& more, const std::function<KeyMatrix()>& all_keys) {
  if (stride_ == 0 || more.dim() != d_) return assign(all_keys());
  const int64_t old = rows(), n = old + more.rows();
  if (n <= old) return;
  reserve_for(codes_, size_t(n) * size_t(stride_));
  codes_.resize(size_t(n) * size_t(stride_));
  // as extend(): below kScaleRows, new maxima requantize every row
  if (update_scales(more, old, n, old)) return quantize_rows(all_keys(), 0, n);
  quantize_rows(more, old, n, old);
}

bool NavCodes::encode_query(const float* q, int8_t* qc, float* t) const {
  float mx = 0;
  for (int i = 0; i < d_; ++i) {
    const float v = q[i] * scale_[size_t(i)];
    if (!std::isfinite(v)) return false;
    mx = std::max(mx, std::fabs(v));
  }
  std::memset(qc + d_, 0, size_t(stride_ - d_));
  if (mx == 0) {
    std::memset(qc, 0, size_t(d_));
    *t = 0;
    return true;
  }
  const float inv = 127.0f / mx;
  for (int i = 0; i < d_; ++i) qc[i] = quantize(q[i] * scale_[size_t(i)], inv);
  *t = mx / 127.0f;
  return true;
}

}  // namespace tome
