#include "cuda/coexec_stats.h"

#include <algorithm>

namespace tome::coexec {

namespace {

using Spans = std::vector<std::pair<double, double>>;

// Sorted, disjoint union of the spans (empty spans dropped).
Spans merged(Spans s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](const auto& p) { return !(p.second > p.first); }), s.end());
  std::sort(s.begin(), s.end());
  Spans out;
  for (const auto& p : s) {
    if (!out.empty() && p.first <= out.back().second) out.back().second = std::max(out.back().second, p.second);
    else out.push_back(p);
  }
  return out;
}

}  // namespace

const char* lane_name(Lane lane) {
  switch (lane) {
    case Lane::Gpu: return "gpu";
    case Lane::Cpu: return "cpu";
    case Lane::Transfer: return "transfer";
  }
  return "?";
}

double union_length(Spans spans) {
  double total = 0;
  for (const auto& p : merged(std::move(spans))) total += p.second - p.first;
  return total;
}

double intersection_length(Spans a, Spans b) {
  const Spans ua = merged(std::move(a)), ub = merged(std::move(b));
  double total = 0;
  size_t i = 0, j = 0;
  while (i < ua.size() && j < ub.size()) {  // sweep both sorted lists
    const double lo = std::max(ua[i].first, ub[j].first), hi = std::min(ua[i].second, ub[j].second);
    if (hi > lo) total += hi - lo;
    if (ua[i].second < ub[j].second) ++i;
    else ++j;
  }
  return total;
}

CoexecStats summarize(const std::vector<Interval>& intervals) {
  CoexecStats s;
  s.steps = 1;
  if (intervals.empty()) return s;
  Spans gpu, cpu, xfer;
  double first = intervals[0].t0_ms, last = intervals[0].t1_ms;
  for (const Interval& iv : intervals) {
    first = std::min(first, iv.t0_ms);
    last = std::max(last, iv.t1_ms);
    (iv.lane == Lane::Gpu ? gpu : iv.lane == Lane::Cpu ? cpu : xfer).emplace_back(iv.t0_ms, iv.t1_ms);
    s.op_ms[iv.what] += std::max(0.0, iv.t1_ms - iv.t0_ms);
  }
  s.wall_ms = last - first;
  s.gpu_ms = union_length(gpu);
  s.cpu_ms = union_length(cpu);
  s.transfer_ms = union_length(xfer);
  s.overlap_ms = intersection_length(gpu, cpu);
  return s;
}

CoexecStats& CoexecStats::operator+=(const CoexecStats& o) {
  wall_ms += o.wall_ms;
  gpu_ms += o.gpu_ms;
  cpu_ms += o.cpu_ms;
  transfer_ms += o.transfer_ms;
  overlap_ms += o.overlap_ms;
  steps += o.steps;
  for (const auto& [k, v] : o.op_ms) op_ms[k] += v;
  return *this;
}

}  // namespace tome::coexec
