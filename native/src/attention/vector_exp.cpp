#include "attention/vector_exp.h"

#include <cmath>

#include "attention/vector_exp_impl.h"
#include "cpu/cpu_features.h"

namespace tome {

int exp_lane_width() {
  const CpuFeatures& f = cpu_features();
  if (f.avx512) return 16;
  if (f.avx2 && f.fma) return 8;
  return 1;
}

double softmax_exp(const float* x, int64_t n, float max, float* y) {
  const int w = exp_lane_width();
  if (w == 1) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += double(y[i] = std::exp(x[i] - max));
    return sum;
  }
  if (cpu_features().fma) return avx2::softmax_exp(x, n, max, y, w);
  return vexp::softmax_exp(x, n, max, y, w);
}

void swiglu_ggml(float* gate, const float* up, int64_t n) {
  const int w = exp_lane_width();
  if (w == 1) {
    for (int64_t i = 0; i < n; ++i) gate[i] = (gate[i] / (1.0f + std::exp(-gate[i]))) * up[i];
    return;
  }
  if (cpu_features().fma) return avx2::swiglu_ggml(gate, up, n, w);
  vexp::swiglu(gate, up, n, w);
}

}  // namespace tome
