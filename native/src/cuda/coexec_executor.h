// The executor a co-execution schedule is written against: two device streams
// (compute and copy), events between them, and the host thread. The CUDA
// implementation (StreamExecutor, stream_executor_cuda.h) maps this one to one
// onto cudaStream_t / cudaEvent_t; SimExecutor (sim_executor.h) runs the same
// schedule on simulated clocks and checks that every pair of conflicting buffer
// accesses is ordered by the streams and events (a missing wait is a data race
// on the real device, however the timings fall).
#pragma once
#include <functional>
#include <vector>

#include "cuda/coexec_stats.h"

namespace tome::coexec {

enum class Stream : int { Compute = 0, Copy = 1 };
constexpr int kStreams = 2;

struct Event {
  int id = -1;
};

// What one piece of work is, where it runs, and which named buffers it touches
// ("q.dev", "q.host", ...; see coexec_schedule.h).
struct Op {
  const char* what;
  Lane lane;
  std::vector<const char*> reads, writes;
};

// Device work: enqueues kernels or copies on the native stream it is given
// (a cudaStream_t as void*; nullptr in the simulator).
using DeviceWork = std::function<void(void* native_stream)>;
// Host work: runs to completion on the calling thread.
using HostWork = std::function<void()>;

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs `work` on stream s after everything enqueued there before (and after
  // everything the host did before this call).
  virtual void enqueue(Stream s, const Op& op, const DeviceWork& work) = 0;
  // An event completing when everything enqueued on s so far has.
  virtual Event record(Stream s) = 0;
  // Work enqueued on s from now on waits for e.
  virtual void stream_wait(Stream s, Event e) = 0;
  // The host blocks until e has completed.
  virtual void host_wait(Event e) = 0;
  // Runs host work now, timed on the Cpu lane (op.lane is ignored).
  virtual void host_run(const Op& op, const HostWork& work) = 0;
  // Waits for all enqueued work; returns the intervals since the last finish().
  virtual std::vector<Interval> finish() = 0;
};

}  // namespace tome::coexec
