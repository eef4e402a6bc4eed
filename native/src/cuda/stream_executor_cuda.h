// StreamExecutor: the co-execution Executor on a CUDA device. Two non-blocking
// streams (compute, copy), events for the waits, timing events around every
// enqueued op, and a host clock, so finish() returns the same intervals the
// simulator does, measured: device times are cudaEventElapsedTime from an origin
// event recorded when the step's first op is issued (the streams are idle then,
// after the previous finish(), so the origin and the host clock agree to within
// microseconds). Events from record() are valid until the next finish().
#pragma once
#include <cuda_runtime_api.h>

#include <chrono>
#include <string>
#include <vector>

#include "cuda/coexec_executor.h"

namespace tome::cuda {

class StreamExecutor final : public coexec::Executor {
 public:
  StreamExecutor();  // on the current device; throws CUDA_ERROR
  ~StreamExecutor() override;
  StreamExecutor(const StreamExecutor&) = delete;
  StreamExecutor& operator=(const StreamExecutor&) = delete;

  cudaStream_t stream(coexec::Stream s) const { return streams_[int(s)]; }

  void enqueue(coexec::Stream s, const coexec::Op& op, const coexec::DeviceWork& work) override;
  coexec::Event record(coexec::Stream s) override;
  void stream_wait(coexec::Stream s, coexec::Event e) override;
  void host_wait(coexec::Event e) override;
  void host_run(const coexec::Op& op, const coexec::HostWork& work) override;
  std::vector<coexec::Interval> finish() override;

 private:
  struct DeviceOp {
    coexec::Lane lane;
    std::string what;
    cudaEvent_t start, end;
  };
  void begin_step();
  cudaEvent_t timing_event();
  double host_ms() const;

  cudaStream_t streams_[coexec::kStreams] = {};
  cudaEvent_t origin_ = nullptr;
  bool in_step_ = false;
  std::chrono::steady_clock::time_point host_origin_;
  std::vector<DeviceOp> device_ops_;
  std::vector<coexec::Interval> host_ops_;
  std::vector<cudaEvent_t> sync_events_;    // record() events of this step
  std::vector<cudaEvent_t> timing_free_;    // reusable timing events
  std::vector<cudaEvent_t> sync_free_;      // reusable sync-only events
};

}  // namespace tome::cuda
