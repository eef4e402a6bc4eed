// Time accounting of co-execution (RetrievalAttention's decode step: the GPU's
// static-set attention and the CPU's search + retrieved-key attention run side by
// side). Executors report what ran where and when as intervals; summarize() turns
// them into the per-step numbers shown beside the conversation.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace tome::coexec {

// Where a piece of work runs: device compute, host compute, or a host<->device copy.
enum class Lane { Gpu, Cpu, Transfer };
const char* lane_name(Lane lane);

struct Interval {
  Lane lane;
  double t0_ms, t1_ms;  // on one clock per step (the executor's)
  std::string what;     // "static_attention", "retrieval", ...
};

struct CoexecStats {
  double wall_ms = 0;      // first start to last end
  double gpu_ms = 0;       // device computing (union of Gpu intervals)
  double cpu_ms = 0;       // host computing (union of Cpu intervals)
  double transfer_ms = 0;  // a copy in flight (union of Transfer intervals)
  double overlap_ms = 0;   // device and host computing at once: |U(Gpu) n U(Cpu)|
  int steps = 0;           // summaries added together
  std::map<std::string, double> op_ms;  // busy time per kind of work

  // Time the serial order would have taken beyond wall time (what overlap saved).
  double hidden_ms() const { return gpu_ms + cpu_ms + transfer_ms - wall_ms; }
  CoexecStats& operator+=(const CoexecStats& o);
};

CoexecStats summarize(const std::vector<Interval>& intervals);

// Total length of the union of [t0, t1) intervals (any order, overlapping or not).
double union_length(std::vector<std::pair<double, double>> spans);
// Length of (union of a) intersected with (union of b).
double intersection_length(std::vector<std::pair<double, double>> a, std::vector<std::pair<double, double>> b);

}  // namespace tome::coexec
