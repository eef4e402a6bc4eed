// The exact merge of two partial attention results over disjoint key sets, on
// the device, as attention/partial_attention.h merge_partial (in place on a):
//   lse = log(exp(lse_a) + exp(lse_b)),  out = w_a out_a + w_b out_b,  w_x = exp(lse_x - lse)
// lse_b = -inf leaves a as is; lse_a = -inf copies b. Same f32 expressions as the
// CPU (tests: 1e-6).
#pragma once
#include <cuda_runtime_api.h>

namespace tome::cuda {

// out_a, out_b: (n_q, hd); lse_a, lse_b: (n_q).
void merge_attention(float* out_a, float* lse_a, const float* out_b, const float* lse_b, int n_q, int hd,
                     cudaStream_t stream);

}  // namespace tome::cuda
