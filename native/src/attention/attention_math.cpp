#include "attention/attention_math.h"

#include <algorithm>
#include <cmath>

#include "attention/partial_attention.h"
#include "attention/vec_kernels.h"
#include "attention/vector_exp.h"

namespace tome {

AttentionMath::AttentionMath(AttentionNumerics numerics, int64_t n_queries)
    : numerics_(numerics), order_(order_for(n_queries)) {
  v_order_ = numerics == AttentionNumerics::LLAMA_CPP ? order_ : SumOrder{1, false};
}

void AttentionMath::prepare_q(const float* q, float* dst, int64_t n) const {
  if (numerics_ == AttentionNumerics::LLAMA_CPP) round_to_f16(q, dst, n);
  else std::copy(q, q + n, dst);
}

float AttentionMath::dot(const float* q, const float* k, int hd) const {
  return numerics_ == AttentionNumerics::LLAMA_CPP ? ordered_dot(q, k, hd, order_) : dot_f32(q, k, hd);
}

double AttentionMath::exp_range(float* s, int64_t n, float m) const {
  if (numerics_ == AttentionNumerics::LLAMA_CPP) return softmax_exp(s, n, m, s);
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += double(s[j] = std::exp(s[j] - m));
  return sum;
}

void AttentionMath::normalize(float* e, int64_t n, float inv_sum) const {
  if (numerics_ == AttentionNumerics::LLAMA_CPP) return probabilities_f16(e, n, inv_sum);
  for (int64_t j = 0; j < n; ++j) e[j] *= inv_sum;
}

float AttentionMath::softmax(float* s, int64_t n) const {
  const float m = max_f32(s, n);
  const double sum = exp_range(s, n, m);
  normalize(s, n, float(1.0 / sum));
  return m + float(std::log(sum));
}

float AttentionMath::softmax_with_sink(float* s, int64_t n, float sink) const {
  const float m = std::max(max_f32(s, n), sink);
  const double sum = exp_range(s, n, m) + double(std::exp(sink - m));
  normalize(s, n, float(1.0 / sum));
  return m + float(std::log(sum));
}

}  // namespace tome
