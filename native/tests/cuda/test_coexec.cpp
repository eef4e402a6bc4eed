// Co-execution scheduling without a device: the interval arithmetic behind the
// stats, the decode-layer schedule on the simulator (overlap, no races across
// layers, races found when a wait is left out), and the data flow of one step
// with CPU kernels standing in for the device: static part + retrieved part,
// merged, equals attention over both sets.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "attention/partial_attention.h"
#include "common/fp16.h"
#include "cuda/coexec_schedule.h"
#include "cuda/sim_executor.h"
#include "test_harness.h"

using namespace tome;
using namespace tome::coexec;

namespace {

// Durations (ms) of a decode layer on an 8B-shaped model, roughly: static-set
// attention on the GPU 0.05, CPU retrieval 0.3, copies of a few KB 0.01.
double duration_of(const Op& op) {
  const std::string w = op.what;
  if (w == "static_attention") return 2.0;
  if (w == "retrieval") return 3.0;
  if (w == "q_to_host" || w == "partial_to_device") return 0.1;
  if (w == "merge") return 0.05;
  if (w == "q_proj") return 0.5;
  if (w == "o_proj") return 0.25;
  return 0.0;
}

// n layers: q projection, the schedule, output projection (all on the device).
CoexecStats run_layers(SimExecutor& ex, int n_layers, Overlap mode) {
  DecodeLayerWork w;  // no work: timing and ordering only
  for (int l = 0; l < n_layers; ++l) {
    ex.enqueue(Stream::Compute, {"q_proj", Lane::Gpu, {}, {kQDev}}, nullptr);
    schedule_decode_layer(ex, w, mode);
    ex.enqueue(Stream::Compute, {"o_proj", Lane::Gpu, {kStaticDev}, {}}, nullptr);
  }
  return summarize(ex.finish());
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(union_and_intersection_of_spans) {
  CHECK_NEAR(union_length({}), 0.0, 0);
  CHECK_NEAR(union_length({{0, 1}, {0.5, 2}, {3, 4}, {3.5, 3.6}}), 3.0, 1e-12);
  CHECK_NEAR(union_length({{2, 1}}), 0.0, 0);  // empty span
  CHECK_NEAR(intersection_length({{0, 2}, {3, 5}}, {{1, 4}}), 2.0, 1e-12);
  CHECK_NEAR(intersection_length({{0, 1}}, {{1, 2}}), 0.0, 0);
  CHECK_NEAR(intersection_length({{0, 10}}, {{1, 2}, {1.5, 3}, {9, 12}}), 3.0, 1e-12);
}

TEST(summarize_splits_time) {
  std::vector<Interval> iv = {
      {Lane::Gpu, 0, 2, "static_attention"}, {Lane::Transfer, 0, 0.5, "q_to_host"},
      {Lane::Cpu, 0.5, 3.5, "retrieval"},    {Lane::Transfer, 3.5, 4, "partial_to_device"},
      {Lane::Gpu, 4, 4.5, "merge"},
  };
  CoexecStats s = summarize(iv);
  CHECK_NEAR(s.wall_ms, 4.5, 1e-12);
  CHECK_NEAR(s.gpu_ms, 2.5, 1e-12);
  CHECK_NEAR(s.cpu_ms, 3.0, 1e-12);
  CHECK_NEAR(s.transfer_ms, 1.0, 1e-12);
  CHECK_NEAR(s.overlap_ms, 1.5, 1e-12);
  CHECK_NEAR(s.hidden_ms(), 2.0, 1e-12);
  CHECK_NEAR(s.op_ms["retrieval"], 3.0, 1e-12);
  CoexecStats t;
  t += s;
  t += s;
  CHECK_EQ(t.steps, 2);
  CHECK_NEAR(t.overlap_ms, 3.0, 1e-12);
  CHECK_NEAR(t.op_ms["merge"], 1.0, 1e-12);
}

TEST(concurrent_layer_overlaps_gpu_and_cpu) {
  SimExecutor ex(duration_of);
  CoexecStats s = run_layers(ex, 1, Overlap::Concurrent);
  CHECK(ex.hazards().empty());
  // q_proj 0.5 | static 2.0 on the GPU while q_to_host 0.1, retrieval 3.0 run;
  // then partial_to_device 0.1, merge 0.05, o_proj 0.25. The CPU starts once q
  // is on the host, 0.1 into the static attention.
  CHECK_NEAR(s.overlap_ms, 2.0 - 0.1, 1e-9);
  CHECK_NEAR(s.wall_ms, 0.5 + 0.1 + 3.0 + 0.1 + 0.05 + 0.25, 1e-9);
  CHECK_NEAR(s.cpu_ms, 3.0, 1e-9);
  CHECK_NEAR(s.transfer_ms, 0.2, 1e-9);
  CHECK_NEAR(s.gpu_ms, 0.5 + 2.0 + 0.05 + 0.25, 1e-9);
}

TEST(serial_layer_has_no_overlap) {
  SimExecutor ex(duration_of);
  CoexecStats s = run_layers(ex, 1, Overlap::Serial);
  CHECK(ex.hazards().empty());
  CHECK_NEAR(s.overlap_ms, 0.0, 1e-9);
  CHECK_NEAR(s.wall_ms, 0.5 + 2.0 + 0.1 + 3.0 + 0.1 + 0.05 + 0.25, 1e-9);
}

TEST(many_layers_are_race_free_and_overlap_every_layer) {
  SimExecutor ex(duration_of);
  CoexecStats s = run_layers(ex, 32, Overlap::Concurrent);
  for (const auto& h : ex.hazards()) std::printf("     hazard: %s\n", h.c_str());
  CHECK(ex.hazards().empty());
  CHECK_NEAR(s.overlap_ms, 32 * (2.0 - 0.1), 1e-6);
  CHECK_NEAR(s.wall_ms, 32 * (0.5 + 0.1 + 3.0 + 0.1 + 0.05 + 0.25), 1e-6);
  SimExecutor serial(duration_of);
  CoexecStats t = run_layers(serial, 32, Overlap::Serial);
  CHECK(serial.hazards().empty());
  CHECK(t.wall_ms - s.wall_ms > 32 * 2.0 - 1e-6);
}

TEST(missing_waits_are_found) {
  // The host reads q.host without waiting for the copy that fills it.
  {
    SimExecutor ex(duration_of);
    ex.enqueue(Stream::Compute, {"q_proj", Lane::Gpu, {}, {kQDev}}, nullptr);
    ex.stream_wait(Stream::Copy, ex.record(Stream::Compute));
    ex.enqueue(Stream::Copy, {"q_to_host", Lane::Transfer, {kQDev}, {kQHost}}, nullptr);
    ex.host_run({"retrieval", Lane::Cpu, {kQHost}, {kRetrievedHost}}, nullptr);
    CHECK_EQ(ex.hazards().size(), size_t(1));
    CHECK(contains(ex.hazards()[0], "retrieval (host) reads q.host, unordered with q_to_host (copy)"));
  }
  // The merge does not wait for the copy of the retrieved part.
  {
    SimExecutor ex(duration_of);
    ex.host_run({"retrieval", Lane::Cpu, {}, {kRetrievedHost}}, nullptr);
    ex.enqueue(Stream::Copy, {"partial_to_device", Lane::Transfer, {kRetrievedHost}, {kRetrievedDev}}, nullptr);
    ex.enqueue(Stream::Compute, {"merge", Lane::Gpu, {kStaticDev, kRetrievedDev}, {kStaticDev}}, nullptr);
    CHECK_EQ(ex.hazards().size(), size_t(1));
    CHECK(contains(ex.hazards()[0], "merge (compute) reads retrieved.dev, unordered with partial_to_device (copy)"));
  }
  // Write after read: the next q_proj overwrites q.dev while the copy may still read it.
  {
    SimExecutor ex(duration_of);
    ex.enqueue(Stream::Copy, {"q_to_host", Lane::Transfer, {kQDev}, {kQHost}}, nullptr);
    ex.enqueue(Stream::Compute, {"q_proj", Lane::Gpu, {}, {kQDev}}, nullptr);
    CHECK_EQ(ex.hazards().size(), size_t(1));
    CHECK(contains(ex.hazards()[0], "q_proj (compute) writes q.dev, unordered with q_to_host (copy)"));
  }
}

TEST(events_order_work_in_time) {
  SimExecutor ex([](const Op& op) { return std::string(op.what) == "long" ? 5.0 : 1.0; });
  ex.enqueue(Stream::Compute, {"long", Lane::Gpu, {}, {"a"}}, nullptr);
  ex.stream_wait(Stream::Copy, ex.record(Stream::Compute));
  ex.enqueue(Stream::Copy, {"copy", Lane::Transfer, {"a"}, {"b"}}, nullptr);
  Event done = ex.record(Stream::Copy);
  CHECK_NEAR(ex.host_time_ms(), 0.0, 0);
  ex.host_wait(done);
  CHECK_NEAR(ex.host_time_ms(), 6.0, 1e-12);
  auto iv = ex.finish();
  CHECK_EQ(iv.size(), size_t(2));
  CHECK_NEAR(iv[1].t0_ms, 5.0, 1e-12);
  CHECK(ex.hazards().empty());
  CHECK_THROWS_CODE(ex.host_wait(Event{42}), "BAD_ARGUMENT");
}

// One decode step of one KV group, with CPU kernels in the device's place: the
// static set (sinks + window) and the retrieved rows, attended apart and merged
// by the schedule, equal attention over their union.
TEST(schedule_data_flow_equals_full_attention) {
  const int hd = 64, n_q = 4, n_ctx = 600, sinks = 16, window = 128;
  std::mt19937 g(7);
  std::normal_distribution<float> nd(0, 1);
  std::vector<uint16_t> k(size_t(n_ctx) * hd), v(size_t(n_ctx) * hd);
  for (auto& x : k) x = fp32_to_fp16(nd(g));
  for (auto& x : v) x = fp32_to_fp16(nd(g));
  std::vector<float> q_dev(size_t(n_q) * hd);
  for (auto& x : q_dev) x = nd(g);
  // static set rows: [0, sinks) and [n_ctx - window, n_ctx), gathered as the device holds them
  std::vector<int32_t> static_rows, retrieved_rows;
  for (int j = 0; j < n_ctx; ++j) (j < sinks || j >= n_ctx - window ? static_rows : retrieved_rows).push_back(j);
  retrieved_rows.resize(40);  // "the index found these"
  const float scale = 1.0f / std::sqrt(float(hd));
  const KvRows kv{k.data(), v.data(), size_t(hd)};

  std::vector<float> q_host, static_out(size_t(n_q) * hd), static_lse(static_cast<size_t>(n_q));
  std::vector<float> retr_host_out(size_t(n_q) * hd), retr_host_lse(static_cast<size_t>(n_q));
  std::vector<float> retr_dev_out, retr_dev_lse;
  std::vector<float> scratch1, scratch2;
  DecodeLayerWork w;
  w.static_attention = [&](void*) {
    attend_gather(q_dev.data(), n_q, kv, static_rows.data(), int64_t(static_rows.size()), hd, scale,
                  static_out.data(), static_lse.data(), scratch1);
  };
  w.query_to_host = [&](void*) { q_host = q_dev; };
  w.retrieval = [&] {
    attend_gather(q_host.data(), n_q, kv, retrieved_rows.data(), int64_t(retrieved_rows.size()), hd, scale,
                  retr_host_out.data(), retr_host_lse.data(), scratch2);
  };
  w.partial_to_device = [&](void*) {
    retr_dev_out = retr_host_out;
    retr_dev_lse = retr_host_lse;
  };
  w.merge = [&](void*) {
    merge_partial(static_out.data(), static_lse.data(), retr_dev_out.data(), retr_dev_lse.data(), n_q, hd);
  };
  SimExecutor ex(duration_of);
  schedule_decode_layer(ex, w);
  ex.finish();
  CHECK(ex.hazards().empty());

  std::vector<int32_t> all = static_rows;
  all.insert(all.end(), retrieved_rows.begin(), retrieved_rows.end());
  std::vector<float> ref(size_t(n_q) * hd), ref_lse(static_cast<size_t>(n_q));
  attend_gather(q_dev.data(), n_q, kv, all.data(), int64_t(all.size()), hd, scale, ref.data(), ref_lse.data(), scratch1);
  for (int h = 0; h < n_q; ++h) CHECK_NEAR(static_lse[size_t(h)], ref_lse[size_t(h)], 1e-5);
  // attend_gather rounds each probability to f16 after normalizing over its own
  // key set, so parts merged and the whole agree to that rounding (2^-11).
  float max_ref = 0, max_err = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    max_ref = std::max(max_ref, std::fabs(ref[i]));
    max_err = std::max(max_err, std::fabs(static_out[i] - ref[i]));
  }
  CHECK(max_err <= 3e-3f * max_ref);
}

TOME_TEST_MAIN()
