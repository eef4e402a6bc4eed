// SimExecutor: runs a co-execution schedule without a device. Each op takes the
// time a duration model gives it, streams run their ops in order, events and
// waits move clocks as CUDA's would, so the intervals (and the stats made from
// them) are what the schedule would give with those durations.
//
// It also checks the schedule for races: every op carries a vector clock (host,
// compute stream, copy stream); two accesses to one buffer, at least one a write,
// must be ordered by happens-before (same stream, an event waited for, or host
// work finished before an enqueue). An unordered pair is reported as a hazard
// whatever the durations, since on a device the timing could go either way.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cuda/coexec_executor.h"

namespace tome::coexec {

class SimExecutor final : public Executor {
 public:
  using Duration = std::function<double(const Op&)>;  // milliseconds
  // run_work: also call the work functions (in issue order), so data flows too.
  explicit SimExecutor(Duration duration, bool run_work = true);

  void enqueue(Stream s, const Op& op, const DeviceWork& work) override;
  Event record(Stream s) override;
  void stream_wait(Stream s, Event e) override;
  void host_wait(Event e) override;
  void host_run(const Op& op, const HostWork& work) override;
  std::vector<Interval> finish() override;

  // "merge (compute) reads retrieved.dev, unordered with partial_to_device (copy) writing it"
  const std::vector<std::string>& hazards() const { return hazards_; }
  double host_time_ms() const { return host_t_; }

 private:
  static constexpr int kAgents = 1 + kStreams;  // 0: host, 1 + stream
  using Clock = std::array<uint64_t, kAgents>;
  struct Access {
    int agent;
    uint64_t tick;  // the agent's own component when it accessed
    std::string what;
  };
  struct BufferState {
    bool written = false;
    Access last_write{};
    std::vector<Access> reads_since;
  };
  struct EventState {
    Clock clock;
    double t;
  };

  void touch(const Op& op, int agent, const Clock& clock);
  static void join(Clock& into, const Clock& from);
  static const char* agent_name(int agent);

  Duration duration_;
  bool run_work_;
  Clock host_clock_{};
  std::array<Clock, kStreams> stream_clock_{};
  double host_t_ = 0;
  std::array<double, kStreams> stream_t_{};
  std::vector<EventState> events_;
  std::map<std::string, BufferState> buffers_;
  std::vector<Interval> intervals_;
  std::vector<std::string> hazards_;
};

}  // namespace tome::coexec
