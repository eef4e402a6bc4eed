// vector_exp_impl.h with hardware FMA (this file is compiled with -mfma).
#include "attention/vector_exp.h"
#include "attention/vector_exp_impl.h"

namespace tome::avx2 {

double softmax_exp(const float* x, int64_t n, float max, float* y, int width) {
  return vexp::softmax_exp(x, n, max, y, width);
}

void swiglu_ggml(float* gate, const float* up, int64_t n, int width) { vexp::swiglu(gate, up, n, width); }

}  // namespace tome::avx2
