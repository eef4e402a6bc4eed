#include "attention/batch_kernels.h"

#include "attention/sum_order.h"
#include "cpu/cpu_features.h"

namespace tome {

int fast_lanes(const SumOrder& o, int hd) {
  const bool lanes_ok = o.lanes == 8 || o.lanes == 16 || o.lanes == 32 || o.lanes == 64;
  const bool ok = lanes_ok && !o.pair_tail && hd % o.lanes == 0 && hd <= 1024 && simd_enabled() && cpu_features().fma;
  return ok ? o.lanes : 0;
}

namespace {
bool wide() { return cpu_features().avx512; }
}  // namespace

void dots_batch(const float* q, const float* keys, int64_t nb, int hd, int lanes, float scale, float* out) {
  (wide() ? avx512::dots_batch : avx2::dots_batch)(q, keys, nb, hd, lanes, scale, out);
}
void dots_batch_h(const float* q, const uint16_t* keys, size_t stride, int64_t nb, int hd, int lanes, float scale,
                  float* out) {
  (wide() ? avx512::dots_batch_h : avx2::dots_batch_h)(q, keys, stride, nb, hd, lanes, scale, out);
}
void pv_batch(float* acc, const float* p, const float* v, int64_t nb, int hd, int lanes) {
  (wide() ? avx512::pv_batch : avx2::pv_batch)(acc, p, v, nb, hd, lanes);
}
void pv_batch_cols_h(float* acc, const float* p, const uint16_t* v, size_t stride, int64_t nb, int hd, int lanes,
                     int d_begin, int d_end) {
  (wide() ? avx512::pv_batch_cols_h : avx2::pv_batch_cols_h)(acc, p, v, stride, nb, hd, lanes, d_begin, d_end);
}
void pv_batch_rows(float* const* acc, const float* const* p, int n_rows, const float* v, int64_t nb, int hd,
                   int lanes) {
  if (wide()) return avx512::pv_batch_rows(acc, p, n_rows, v, nb, hd, lanes);
  for (int i = 0; i < n_rows; ++i) avx2::pv_batch(acc[i], p[i], v, nb, hd, lanes);
}

}  // namespace tome
