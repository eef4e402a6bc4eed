// K/V rows for the attention tests, laid out as tome's KV cache:
// head g, row j at base + g * cap * hd + j * hd. Rows at and past `valid` hold
// NaN bits, so a kernel reading a row it must not read fails the test.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "common/fp16.h"
#include "cuda/attention_kv.h"

namespace gpu_test {

struct KvData {
  int n_kv = 0, hd = 0;
  int64_t cap = 0;
  bool bf16 = false;
  std::vector<uint16_t> k, v;

  KvData(int n_kv_, int64_t cap_, int hd_, int64_t valid, bool bf16_, std::mt19937& g)
      : n_kv(n_kv_), hd(hd_), cap(cap_), bf16(bf16_), k(size_t(n_kv_ * cap_ * hd_)), v(k.size()) {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (int h = 0; h < n_kv; ++h)
      for (int64_t j = 0; j < cap; ++j)
        for (int d = 0; d < hd; ++d) {
          const size_t i = size_t((h * cap + j) * hd + d);
          if (j < valid) {
            k[i] = bf16 ? tome::fp32_to_bf16(nd(g)) : tome::fp32_to_fp16(nd(g));
            v[i] = bf16 ? tome::fp32_to_bf16(nd(g)) : tome::fp32_to_fp16(nd(g));
          } else {
            k[i] = v[i] = bf16 ? 0x7fc1 : 0x7e01;  // NaN
          }
        }
  }
  float kf(int h, int64_t j, int d) const { return to_f32(k[size_t((h * cap + j) * hd + d)]); }
  float vf(int h, int64_t j, int d) const { return to_f32(v[size_t((h * cap + j) * hd + d)]); }
  float to_f32(uint16_t b) const { return bf16 ? tome::bf16_to_fp32(b) : tome::fp16_to_fp32(b); }
  tome::cuda::AttentionKv device_view(const void* dk, const void* dv) const {
    tome::cuda::AttentionKv a;
    a.k = dk;
    a.v = dv;
    a.type = bf16 ? tome::cuda::KvType::BF16 : tome::cuda::KvType::F16;
    a.head_stride = cap * hd;
    a.row_stride = hd;
    return a;
  }
};

// Double-precision attention of one query vector over rows [j0, j1) of KV head g,
// with q rounded to the KV type first (as every kernel does).
inline void attend_ref(const float* q, const KvData& kv, int g, int64_t j0, int64_t j1, double scale, double* out,
                       double* lse) {
  const int hd = kv.hd;
  std::vector<double> s(size_t(j1 - j0));
  std::vector<double> qr(static_cast<size_t>(hd));
  for (int i = 0; i < hd; ++i)
    qr[size_t(i)] = kv.bf16 ? tome::bf16_to_fp32(tome::fp32_to_bf16(q[i])) : tome::fp16_to_fp32(tome::fp32_to_fp16(q[i]));
  double m = -INFINITY;
  for (int64_t j = j0; j < j1; ++j) {
    double d = 0;
    for (int i = 0; i < hd; ++i) d += qr[size_t(i)] * kv.kf(g, j, i);
    s[size_t(j - j0)] = scale * d;
    m = std::max(m, s[size_t(j - j0)]);
  }
  for (int i = 0; i < hd; ++i) out[i] = 0;
  if (j1 <= j0) {
    *lse = -INFINITY;
    return;
  }
  double sum = 0;
  for (double x : s) sum += std::exp(x - m);
  *lse = m + std::log(sum);
  for (int64_t j = j0; j < j1; ++j) {
    const double p = std::exp(s[size_t(j - j0)] - *lse);
    for (int i = 0; i < hd; ++i) out[i] += p * kv.vf(g, j, i);
  }
}

}  // namespace gpu_test
