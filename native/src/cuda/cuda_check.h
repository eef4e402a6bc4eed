// CUDA_CHECK: every CUDA runtime call's status becomes a thrown tome::Error with
// code "CUDA_ERROR" naming the call, its site and CUDA's own name and text for
// the error, e.g.
//   CUDA_ERROR: src/cuda/matvec.cu:210: cudaMemsetAsync(y, 0, n, s): cudaErrorInvalidValue (invalid argument)
// CUDA_CHECK_LAUNCH("name") after a <<<>>> launch reports a bad launch
// configuration at the launch, not at some later call.
#pragma once
#include <cuda_runtime_api.h>

#include <string>

#include "common/error.h"

namespace tome::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  throw Error("CUDA_ERROR", std::string(file) + ":" + std::to_string(line) + ": " + call + ": " +
                                cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
}

inline void check(cudaError_t err, const char* call, const char* file, int line) {
  if (err != cudaSuccess) throw_cuda_error(err, call, file, line);
}

}  // namespace tome::cuda

#define CUDA_CHECK(call) ::tome::cuda::check((call), #call, __FILE__, __LINE__)
#define CUDA_CHECK_LAUNCH(name) ::tome::cuda::check(cudaGetLastError(), "launch of " name, __FILE__, __LINE__)
