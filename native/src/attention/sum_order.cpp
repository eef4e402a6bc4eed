#include "attention/sum_order.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu/cpu_features.h"

namespace tome {

namespace {

int flavour_lanes() {
  const CpuFeatures& f = cpu_features();
  if (f.avx512) return 16;
  if (f.avx2 && f.fma && f.f16c) return 8;
  return 0;
}

// Pairwise reduction of lanes[0..n) (n a power of two) as described above.
float reduce_lanes(float* lanes, int n, bool pair_tail) {
  for (int h = n / 2; h >= 1; h /= 2) {
    if (pair_tail && h == 2) return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (int i = 0; i < h; ++i) lanes[i] += lanes[i + h];
  }
  return lanes[0];
}

}  // namespace

SumOrder one_query_order() {
  const int w = flavour_lanes();
  return w == 16 ? SumOrder{64, false} : w == 8 ? SumOrder{32, true} : SumOrder{0, false};
}

SumOrder batch_order() {
  const int w = flavour_lanes();
  return SumOrder{w, false};
}

float ordered_dot(const float* a, const float* b, int64_t n, const SumOrder& o) {
  if (o.lanes > 0 && simd_enabled() && cpu_features().fma) return avx2::ordered_dot(a, b, n, o.lanes, o.pair_tail);
  const int64_t whole = o.lanes > 0 ? n - n % o.lanes : 0;
  double s = 0;
  if (whole > 0) {
    float lanes[64] = {0};
    for (int64_t i = 0; i < whole; ++i) lanes[i % o.lanes] = std::fma(a[i], b[i], lanes[i % o.lanes]);
    s = reduce_lanes(lanes, o.lanes, o.pair_tail);
  }
  for (int64_t i = whole; i < n; ++i) s += double(a[i] * b[i]);
  return float(s);
}

void OrderedAccumulator::reset(const SumOrder& o, int hd) {
  o_ = o;
  hd_ = hd;
  // resize + memset: a decode step resets (64 lanes x hd) floats per head
  const size_t n = size_t(std::max(o.lanes, 1)) * size_t(hd);
  if (acc_.size() != n) acc_.resize(n);
  std::memset(acc_.data(), 0, n * sizeof(float));
  if (o.lanes == 0) tail_.assign(size_t(hd), 0.0);
}

// Every key stays on its lane: llama.cpp pads a KQ row to a multiple of 256
// keys with zero probabilities, so no key is ever a leftover there.
void OrderedAccumulator::add(int64_t j, float p, const float* v) {
  if (o_.lanes == 0) {
    for (int d = 0; d < hd_; ++d) tail_[size_t(d)] += double(p * v[d]);
    return;
  }
  float* row = acc_.data() + size_t(j % o_.lanes) * size_t(hd_);
  if (simd_enabled() && cpu_features().fma) return avx2::fma_row(row, p, v, hd_);
  for (int d = 0; d < hd_; ++d) row[d] = std::fma(p, v[d], row[d]);
}

void OrderedAccumulator::finish(float* out) {
  if (o_.lanes == 0) {
    for (int d = 0; d < hd_; ++d) out[d] = float(tail_[size_t(d)]);
    return;
  }
  if (simd_enabled() && cpu_features().avx2 && cpu_features().fma) return avx2::reduce_lane_rows(acc_.data(), o_.lanes, hd_, o_.pair_tail, out);
  // halving over lane rows, vectorizable along d
  const int L = o_.lanes;
  for (int h = L / 2; h >= 1; h /= 2) {
    if (o_.pair_tail && h == 2) {
      for (int d = 0; d < hd_; ++d) {
        const float* a = acc_.data() + d;
        out[d] = (a[0] + a[size_t(hd_)]) + (a[2 * size_t(hd_)] + a[3 * size_t(hd_)]);
      }
      return;
    }
    for (int i = 0; i < h; ++i) {
      float* dst = acc_.data() + size_t(i) * hd_;
      const float* src = acc_.data() + size_t(i + h) * hd_;
      for (int d = 0; d < hd_; ++d) dst[d] += src[d];
    }
  }
  std::copy(acc_.begin(), acc_.begin() + hd_, out);
}

}  // namespace tome
