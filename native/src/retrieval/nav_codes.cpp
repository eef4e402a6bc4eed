#include "retrieval/nav_codes.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "retrieval/dot_kernels.h"
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

void NavCodes::quantize_into(const KeyMatrix& keys, int64_t begin, int64_t end, int64_t first, int8_t* out) const {
  std::vector<float> row(static_cast<size_t>(d_));
  for (int64_t j = begin; j < end; ++j) {
    keys.row_f32(j - first, row.data());
    int8_t* c = out + size_t(j - begin) * size_t(stride_);
    for (int i = 0; i < d_; ++i) c[i] = quantize(row[size_t(i)], inv_[size_t(i)]);
    std::memset(c + d_, 0, size_t(stride_ - d_));
  }
}

void NavCodes::quantize_rows(const KeyMatrix& keys, int64_t begin, int64_t end, int64_t first) {
  quantize_into(keys, begin, end, first, codes_.data() + size_t(begin) * size_t(stride_));
}

void NavCodes::assign(const KeyMatrix& keys) {
  pager_.reset();
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
  if (stride_ == 0 || keys.dim() != d_ || pager_) return assign(keys);
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
  if (pager_) return append_paged(more, all_keys);
  const int64_t old = rows(), n = old + more.rows();
  if (n <= old) return;
  reserve_for(codes_, size_t(n) * size_t(stride_));
  codes_.resize(size_t(n) * size_t(stride_));
  // as extend(): below kScaleRows, new maxima requantize every row
  if (update_scales(more, old, n, old)) return quantize_rows(all_keys(), 0, n);
  quantize_rows(more, old, n, old);
}

void NavCodes::append_paged(const KeyMatrix& more, const std::function<KeyMatrix()>& all_keys) {
  const int64_t old = rows(), n = old + more.rows();
  if (n <= old) return;
  thread_local std::vector<int8_t> rows_out;
  if (update_scales(more, old, n, old)) {  // below kScaleRows: every row again
    const KeyMatrix all = all_keys();
    rows_out.resize(size_t(n) * size_t(stride_));
    quantize_into(all, 0, n, 0, rows_out.data());
    pager_->overwrite(0, old, reinterpret_cast<const uint8_t*>(rows_out.data()));
    for (int64_t j = old; j < n; ++j)
      pager_->append(reinterpret_cast<const uint8_t*>(rows_out.data()) + size_t(j) * size_t(stride_));
    return;
  }
  rows_out.resize(size_t(n - old) * size_t(stride_));
  quantize_into(more, old, n, old, rows_out.data());
  for (int64_t j = 0; j < n - old; ++j)
    pager_->append(reinterpret_cast<const uint8_t*>(rows_out.data()) + size_t(j) * size_t(stride_));
}

void NavCodes::dots(const int8_t* qc, int n_q, const int32_t* ids, int64_t n, int32_t* out) const {
  if (!pager_) {
    if (n_q == 1) return dots_gather_i8(qc, codes_.data(), size_t(stride_), ids, n, stride_, out);
    return dots_gather_i8_multi(qc, n_q, codes_.data(), size_t(stride_), ids, n, stride_, out);
  }
  thread_local std::vector<int8_t> rows;
  thread_local std::vector<int32_t> seq;
  rows.resize(size_t(n) * size_t(stride_));
  pager_->read(ids, n, 0, size_t(stride_), reinterpret_cast<uint8_t*>(rows.data()));
  if (int64_t(seq.size()) < n) {
    const int64_t from = int64_t(seq.size());
    seq.resize(size_t(n));
    for (int64_t i = from; i < n; ++i) seq[size_t(i)] = int32_t(i);
  }
  dots_gather_i8_multi(qc, n_q, rows.data(), size_t(stride_), seq.data(), n, stride_, out);
}

bool NavCodes::page_out(std::shared_ptr<RecordFile> file, size_t first, int64_t capacity) {
  if (pager_) return true;
  const int64_t n = rows();
  if (stride_ == 0 || capacity < n) throw Error("BAD_ARGUMENT", "NavCodes::page_out: no codes, or capacity below them");
  auto pager = std::make_unique<RecordCache>(std::move(file), first, capacity);
  if (pager->record_bytes() != size_t(stride_)) throw Error("BAD_ARGUMENT", "NavCodes::page_out: record size is not the code stride");
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(codes_.data());
  for (int64_t c = 0; c < n; c += RecordCache::kChunk * 16)
    if (!pager->put(bytes + size_t(c) * size_t(stride_), std::min(RecordCache::kChunk * 16, n - c))) return false;
  pager_ = std::move(pager);
  HugeVector<int8_t>().swap(codes_);
  return true;
}

void NavCodes::page_in() {
  if (!pager_) return;
  const int64_t n = rows();
  HugeVector<int8_t> codes(size_t(n) * size_t(stride_));
  pager_->scan(0, n, 0, size_t(stride_), reinterpret_cast<uint8_t*>(codes.data()));
  codes_ = std::move(codes);
  pager_.reset();
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
