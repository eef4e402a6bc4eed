#include "cuda/coexec_schedule.h"

namespace tome::coexec {

void schedule_decode_layer(Executor& ex, const DecodeLayerWork& w, Overlap mode) {
  const Event q_ready = ex.record(Stream::Compute);
  ex.enqueue(Stream::Compute, {"static_attention", Lane::Gpu, {kQDev}, {kStaticDev}}, w.static_attention);
  if (mode == Overlap::Serial) ex.host_wait(ex.record(Stream::Compute));

  // Only the query goes to the host...
  ex.stream_wait(Stream::Copy, q_ready);
  ex.enqueue(Stream::Copy, {"q_to_host", Lane::Transfer, {kQDev}, {kQHost}}, w.query_to_host);
  ex.host_wait(ex.record(Stream::Copy));
  // ... the host works while the device attends over the static set ...
  ex.host_run({"retrieval", Lane::Cpu, {kQHost}, {kRetrievedHost}}, w.retrieval);
  // ... and only (out_r, lse_r) comes back.
  ex.enqueue(Stream::Copy, {"partial_to_device", Lane::Transfer, {kRetrievedHost}, {kRetrievedDev}},
             w.partial_to_device);
  ex.stream_wait(Stream::Compute, ex.record(Stream::Copy));
  ex.enqueue(Stream::Compute, {"merge", Lane::Gpu, {kStaticDev, kRetrievedDev}, {kStaticDev}}, w.merge);
}

}  // namespace tome::coexec
