#include "attention/partial_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "attention/vec_kernels.h"

namespace tome {

namespace {

// Shared body: row(j) gives the context row index of the j-th key.
template <class RowOf>
void attend(const float* q, int n_q, const KvRows& kv, int64_t n, int hd, float scale, float* out,
            float* lse, std::vector<float>& scratch, RowOf row) {
  std::fill(out, out + size_t(n_q) * hd, 0.0f);
  if (n <= 0) {
    std::fill(lse, lse + n_q, -std::numeric_limits<float>::infinity());
    return;
  }
  // scratch: scores (n_q, n) then one f32 row
  scratch.resize(size_t(n_q) * size_t(n) + size_t(hd));
  float* scores = scratch.data();
  float* row_f32 = scores + size_t(n_q) * size_t(n);
  for (int64_t j = 0; j < n; ++j) {
    f16_to_f32_row(kv.k + size_t(row(j)) * kv.stride, row_f32, hd);
    for (int h = 0; h < n_q; ++h) scores[size_t(h) * n + j] = scale * dot_f32(q + size_t(h) * hd, row_f32, hd);
  }
  for (int h = 0; h < n_q; ++h) {
    float* s = scores + size_t(h) * n;
    float m = *std::max_element(s, s + n);
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      s[j] = std::exp(s[j] - m);
      sum += s[j];
    }
    lse[h] = m + float(std::log(sum));
    const float inv = float(1.0 / sum);
    for (int64_t j = 0; j < n; ++j) s[j] *= inv;
  }
  for (int64_t j = 0; j < n; ++j) {
    f16_to_f32_row(kv.v + size_t(row(j)) * kv.stride, row_f32, hd);
    for (int h = 0; h < n_q; ++h) axpy_f32(out + size_t(h) * hd, scores[size_t(h) * n + j], row_f32, hd);
  }
}

}  // namespace

void attend_rows(const float* q, int n_q, const KvRows& kv, int64_t n, int hd, float scale, float* out,
                 float* lse, std::vector<float>& scratch) {
  attend(q, n_q, kv, n, hd, scale, out, lse, scratch, [](int64_t j) { return j; });
}

void attend_gather(const float* q, int n_q, const KvRows& kv, const int32_t* idx, int64_t n, int hd,
                   float scale, float* out, float* lse, std::vector<float>& scratch) {
  attend(q, n_q, kv, n, hd, scale, out, lse, scratch, [idx](int64_t j) { return int64_t(idx[j]); });
}

void merge_partial(float* out_a, float* lse_a, const float* out_b, const float* lse_b, int n_q, int hd) {
  for (int h = 0; h < n_q; ++h) {
    const float la = lse_a[h], lb = lse_b[h];
    if (lb == -std::numeric_limits<float>::infinity()) continue;
    float* oa = out_a + size_t(h) * hd;
    const float* ob = out_b + size_t(h) * hd;
    if (la == -std::numeric_limits<float>::infinity()) {
      std::copy(ob, ob + hd, oa);
      lse_a[h] = lb;
      continue;
    }
    const float m = std::max(la, lb);
    const float ea = std::exp(la - m), eb = std::exp(lb - m);
    const float total = ea + eb;
    const float wa = ea / total, wb = eb / total;
    for (int d = 0; d < hd; ++d) oa[d] = wa * oa[d] + wb * ob[d];
    lse_a[h] = m + std::log(total);
  }
}

}  // namespace tome
