// The buffers one decode layer's co-execution moves data through, and the two
// copies between them, ready to hand to schedule_decode_layer (coexec_schedule.h):
//   q.host          pinned (n_head, hd)      the query, for the CPU's search
//   retrieved.host  pinned (n_head, hd + 1)  (out_r, lse_r) the CPU writes
//   retrieved.dev   device (n_head, hd + 1)  their copy, merged by the GPU
// Pinned host memory lets the copies run asynchronously on the copy stream while
// the compute stream works. One set serves every layer (the schedule's single
// copy stream orders the reuse). CUDA runtime needed; throws CUDA_ERROR.
#pragma once
#include <cuda_runtime_api.h>

#include "cuda/coexec_executor.h"
#include "cuda/cuda_check.h"
#include "cuda/device_buffer.h"

namespace tome::cuda {

struct CoexecBuffers {
  int n_head = 0, hd = 0;
  PinnedBuffer<float> q_host;          // (n_head, hd)
  PinnedBuffer<float> retrieved_host;  // out (n_head, hd) then lse (n_head)
  DeviceBuffer<float> retrieved_dev;   // same layout

  CoexecBuffers(int n_head_, int hd_)
      : n_head(n_head_),
        hd(hd_),
        q_host(size_t(n_head_) * size_t(hd_)),
        retrieved_host(size_t(n_head_) * size_t(hd_ + 1)),
        retrieved_dev(size_t(n_head_) * size_t(hd_ + 1)) {}

  float* retrieved_out_host() const { return retrieved_host.get(); }
  float* retrieved_lse_host() const { return retrieved_host.get() + size_t(n_head) * hd; }
  float* retrieved_out_dev() const { return retrieved_dev.get(); }
  float* retrieved_lse_dev() const { return retrieved_dev.get() + size_t(n_head) * hd; }

  // q_dev (n_head, hd) on the device -> q_host.
  coexec::DeviceWork query_to_host(const float* q_dev) const {
    return [this, q_dev](void* s) {
      CUDA_CHECK(cudaMemcpyAsync(q_host.get(), q_dev, q_host.bytes(), cudaMemcpyDeviceToHost,
                                 static_cast<cudaStream_t>(s)));
    };
  }
  // retrieved.host -> retrieved.dev, out and lse in one copy.
  coexec::DeviceWork partial_to_device() const {
    return [this](void* s) {
      CUDA_CHECK(cudaMemcpyAsync(retrieved_dev.get(), retrieved_host.get(), retrieved_host.bytes(),
                                 cudaMemcpyHostToDevice, static_cast<cudaStream_t>(s)));
    };
  }
};

}  // namespace tome::cuda
