// One decode step of one layer under RetrievalAttention, as a schedule over an
// Executor. The device holds the static set (sinks + window) and computes its
// attention while the host searches the index and attends over the retrieved
// keys; only the query goes down and only (out, lse) of the retrieved part comes
// back; the device merges the two exactly through their log-sum-exp.
//
//   compute:  [q ready] static_attention(q.dev -> static.dev) ........ wait(R) merge
//   copy:     wait(Q) q_to_host(q.dev -> q.host) -> event H     partial_to_device -> event R
//   host:                     wait(H) retrieval(q.host -> retrieved.host)  ^
//
// Buffers reused across layers (q.host, retrieved.host) are protected by the
// single copy stream's order: the next layer's q_to_host, which the host waits
// for, runs after this layer's partial_to_device.
#pragma once
#include "cuda/coexec_executor.h"

namespace tome::coexec {

// Buffer names (device: .dev, pinned host: .host).
inline constexpr const char* kQDev = "q.dev";                  // (n_head, hd) query of this layer
inline constexpr const char* kQHost = "q.host";                // its pinned copy
inline constexpr const char* kStaticDev = "static.dev";        // (out_s, lse_s), merged in place
inline constexpr const char* kRetrievedHost = "retrieved.host";  // (out_r, lse_r) from the CPU
inline constexpr const char* kRetrievedDev = "retrieved.dev";  // its device copy

struct DecodeLayerWork {
  DeviceWork static_attention;   // compute stream: attention over the device-resident static set
  DeviceWork query_to_host;      // copy stream: q.dev -> q.host
  HostWork retrieval;            // host: index search + attention over the retrieved keys
  DeviceWork partial_to_device;  // copy stream: retrieved.host -> retrieved.dev
  DeviceWork merge;              // compute stream: static.dev <- merge(static.dev, retrieved.dev)
};

enum class Overlap {
  Concurrent,  // the schedule above
  Serial,      // the host starts only after the device's static attention (a baseline for the stats)
};

// Enqueues / runs one layer's step. Precondition: q.dev was produced by work
// already enqueued on the compute stream. Afterwards static.dev holds the merged
// attention output once the compute stream gets there (later compute work may use
// it without waiting).
void schedule_decode_layer(Executor& ex, const DecodeLayerWork& work, Overlap mode = Overlap::Concurrent);

}  // namespace tome::coexec
