#include "cuda/sim_executor.h"

#include <algorithm>

#include "common/error.h"

namespace tome::coexec {

SimExecutor::SimExecutor(Duration duration, bool run_work) : duration_(std::move(duration)), run_work_(run_work) {}

void SimExecutor::join(Clock& into, const Clock& from) {
  for (int i = 0; i < kAgents; ++i) into[size_t(i)] = std::max(into[size_t(i)], from[size_t(i)]);
}

const char* SimExecutor::agent_name(int agent) {
  switch (agent) {
    case 0: return "host";
    case 1: return "compute";
    case 2: return "copy";
  }
  return "?";
}

void SimExecutor::touch(const Op& op, int agent, const Clock& clock) {
  // prior access p happens-before this one iff p's tick <= this clock's view of p's agent
  auto ordered = [&](const Access& p) { return p.tick <= clock[size_t(p.agent)]; };
  auto report = [&](const Access& p, const char* buf, const char* verb) {
    hazards_.push_back(std::string(op.what) + " (" + agent_name(agent) + ") " + verb + " " + buf + ", unordered with " +
                       p.what + " (" + agent_name(p.agent) + ")");
  };
  const Access self{agent, clock[size_t(agent)], op.what};
  for (const char* b : op.reads) {
    BufferState& st = buffers_[b];
    if (st.written && !ordered(st.last_write)) report(st.last_write, b, "reads");
    st.reads_since.push_back(self);
  }
  for (const char* b : op.writes) {
    BufferState& st = buffers_[b];
    if (st.written && !ordered(st.last_write)) report(st.last_write, b, "writes");
    for (const Access& r : st.reads_since)
      if (!ordered(r)) report(r, b, "writes");
    st.written = true;
    st.last_write = self;
    st.reads_since.clear();
  }
}

void SimExecutor::enqueue(Stream s, const Op& op, const DeviceWork& work) {
  const int i = int(s);
  Clock& c = stream_clock_[size_t(i)];
  join(c, host_clock_);  // what the host did before enqueueing happens-before the op
  ++c[size_t(1 + i)];
  touch(op, 1 + i, c);
  const double t0 = std::max(stream_t_[size_t(i)], host_t_);
  const double t1 = t0 + duration_(op);
  stream_t_[size_t(i)] = t1;
  intervals_.push_back({op.lane, t0, t1, op.what});
  if (run_work_ && work) work(nullptr);
}

Event SimExecutor::record(Stream s) {
  const int i = int(s);
  events_.push_back({stream_clock_[size_t(i)], std::max(stream_t_[size_t(i)], host_t_)});
  return Event{int(events_.size()) - 1};
}

void SimExecutor::stream_wait(Stream s, Event e) {
  if (e.id < 0 || e.id >= int(events_.size())) throw Error("BAD_ARGUMENT", "stream_wait on an unknown event");
  const int i = int(s);
  join(stream_clock_[size_t(i)], events_[size_t(e.id)].clock);
  stream_t_[size_t(i)] = std::max(stream_t_[size_t(i)], events_[size_t(e.id)].t);
}

void SimExecutor::host_wait(Event e) {
  if (e.id < 0 || e.id >= int(events_.size())) throw Error("BAD_ARGUMENT", "host_wait on an unknown event");
  join(host_clock_, events_[size_t(e.id)].clock);
  host_t_ = std::max(host_t_, events_[size_t(e.id)].t);
}

void SimExecutor::host_run(const Op& op, const HostWork& work) {
  ++host_clock_[0];
  touch(op, 0, host_clock_);
  const double t0 = host_t_;
  host_t_ = t0 + duration_(op);
  intervals_.push_back({Lane::Cpu, t0, host_t_, op.what});
  if (run_work_ && work) work();
}

std::vector<Interval> SimExecutor::finish() {
  for (int i = 0; i < kStreams; ++i) {
    join(host_clock_, stream_clock_[size_t(i)]);
    host_t_ = std::max(host_t_, stream_t_[size_t(i)]);
  }
  std::vector<Interval> out;
  out.swap(intervals_);
  return out;
}

}  // namespace tome::coexec
