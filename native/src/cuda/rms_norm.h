// RMSNorm on the device, as model/layer_ops.h rms_norm:
//   out (n_rows, n) = x / sqrt(mean(x^2) + eps) * w      (out may be x)
// One block per row; the sum of squares is an f32 tree sum (the CPU sums in
// double): relative difference to the CPU below 1e-5.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tome::cuda {

void rms_norm(const float* x, const float* w, float* out, int64_t n_rows, int n, float eps, cudaStream_t stream);

}  // namespace tome::cuda
