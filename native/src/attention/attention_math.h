// The numerics of one attention computation, chosen per session:
//   LLAMA_CPP  llama.cpp's CPU numerics: q rounded to f16, its vectorized exp,
//              probabilities rounded to f16 before weighting V, and its summation
//              orders (sum_order.h) -- full attention then agrees with llama.cpp
//              bit for bit (the oracle tests rely on it);
//   EXACT      q and probabilities kept in f32, libm exp, plain fma sums -- the
//              numerics under which partial results merged by log-sum-exp equal
//              one softmax over their union to float rounding (used to check
//              RetrievalAttention against full attention).
#pragma once
#include <cstdint>

#include "attention/sum_order.h"

namespace tome {

enum class AttentionNumerics { LLAMA_CPP, EXACT };

class AttentionMath {
 public:
  // n_queries: query tokens evaluated together (llama.cpp sums differently for 1 and >= 2).
  AttentionMath(AttentionNumerics numerics, int64_t n_queries);

  AttentionNumerics numerics() const { return numerics_; }
  // dst = q as the scores use it (n values).
  void prepare_q(const float* q, float* dst, int64_t n) const;
  // q . k over hd dims (q from prepare_q, k converted from f16).
  float dot(const float* q, const float* k, int hd) const;
  // s_j <- exp(s_j - m) for j < n; returns their sum (in double).
  double exp_range(float* s, int64_t n, float m) const;
  // e_j <- probability e_j * inv_sum as V will be weighted with it.
  void normalize(float* e, int64_t n, float inv_sum) const;
  // Softmax of a whole row in place (both steps above); returns log-sum-exp.
  float softmax(float* s, int64_t n) const;
  // The same with a sink logit in the denominator (gpt-oss; ggml_soft_max_add_sinks): the
  // max over the row and the sink, the row's exp sum plus expf(sink - max) (libm, in double).
  // The lse counts the sink.
  float softmax_with_sink(float* s, int64_t n, float sink) const;
  // Order of the p . V sums.
  const SumOrder& v_order() const { return v_order_; }

 private:
  AttentionNumerics numerics_;
  SumOrder order_;    // LLAMA_CPP score and V order
  SumOrder v_order_;  // EXACT: one fma chain (lanes 1)
};

}  // namespace tome
