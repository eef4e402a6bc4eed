#include "cuda/stream_executor_cuda.h"

#include "common/error.h"
#include "cuda/cuda_check.h"

namespace tome::cuda {

using namespace coexec;

StreamExecutor::StreamExecutor() {
  for (auto& s : streams_) CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  CUDA_CHECK(cudaEventCreate(&origin_));
}

StreamExecutor::~StreamExecutor() {
  for (auto& s : streams_)
    if (s) cudaStreamSynchronize(s);
  auto destroy = [](cudaEvent_t e) { if (e) cudaEventDestroy(e); };
  destroy(origin_);
  for (auto& op : device_ops_) {
    destroy(op.start);
    destroy(op.end);
  }
  for (auto e : sync_events_) destroy(e);
  for (auto e : timing_free_) destroy(e);
  for (auto e : sync_free_) destroy(e);
  for (auto& s : streams_)
    if (s) cudaStreamDestroy(s);
}

void StreamExecutor::begin_step() {
  if (in_step_) return;
  in_step_ = true;
  host_origin_ = std::chrono::steady_clock::now();
  CUDA_CHECK(cudaEventRecord(origin_, streams_[0]));
}

double StreamExecutor::host_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - host_origin_).count();
}

cudaEvent_t StreamExecutor::timing_event() {
  if (!timing_free_.empty()) {
    cudaEvent_t e = timing_free_.back();
    timing_free_.pop_back();
    return e;
  }
  cudaEvent_t e;
  CUDA_CHECK(cudaEventCreate(&e));
  return e;
}

void StreamExecutor::enqueue(Stream s, const Op& op, const DeviceWork& work) {
  begin_step();
  cudaStream_t st = streams_[int(s)];
  DeviceOp d{op.lane, op.what, timing_event(), timing_event()};
  CUDA_CHECK(cudaEventRecord(d.start, st));
  device_ops_.push_back(d);  // owned from here, also if work throws
  try {
    if (work) work(st);
  } catch (...) {
    cudaEventRecord(d.end, st);  // keep finish() able to read the pair
    throw;
  }
  CUDA_CHECK(cudaEventRecord(d.end, st));
}

Event StreamExecutor::record(Stream s) {
  begin_step();
  cudaEvent_t e;
  if (!sync_free_.empty()) {
    e = sync_free_.back();
    sync_free_.pop_back();
  } else {
    CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  }
  sync_events_.push_back(e);
  CUDA_CHECK(cudaEventRecord(e, streams_[int(s)]));
  return Event{int(sync_events_.size()) - 1};
}

void StreamExecutor::stream_wait(Stream s, Event e) {
  if (e.id < 0 || e.id >= int(sync_events_.size())) throw Error("BAD_ARGUMENT", "stream_wait on an unknown event");
  CUDA_CHECK(cudaStreamWaitEvent(streams_[int(s)], sync_events_[size_t(e.id)], 0));
}

void StreamExecutor::host_wait(Event e) {
  if (e.id < 0 || e.id >= int(sync_events_.size())) throw Error("BAD_ARGUMENT", "host_wait on an unknown event");
  CUDA_CHECK(cudaEventSynchronize(sync_events_[size_t(e.id)]));
}

void StreamExecutor::host_run(const Op& op, const HostWork& work) {
  begin_step();
  const double t0 = host_ms();
  if (work) work();
  host_ops_.push_back({Lane::Cpu, t0, host_ms(), op.what});
}

std::vector<Interval> StreamExecutor::finish() {
  for (auto& s : streams_) CUDA_CHECK(cudaStreamSynchronize(s));
  std::vector<Interval> out;
  out.swap(host_ops_);
  for (auto& d : device_ops_) {
    float t0 = 0, t1 = 0;
    CUDA_CHECK(cudaEventElapsedTime(&t0, origin_, d.start));
    CUDA_CHECK(cudaEventElapsedTime(&t1, origin_, d.end));
    out.push_back({d.lane, double(t0), double(t1), d.what});
    timing_free_.push_back(d.start);
    timing_free_.push_back(d.end);
  }
  device_ops_.clear();
  sync_free_.insert(sync_free_.end(), sync_events_.begin(), sync_events_.end());
  sync_events_.clear();
  in_step_ = false;
  return out;
}

}  // namespace tome::cuda
