// JS class Session: new Session(model, { ctx, threads, batch })
//   The methods that return a promise never throw: a bad argument, a busy
//   session (BUSY: a call still runs on the worker thread) or a closed one
//   (CLOSED) rejects it. The others throw those errors.
//   eval(tokens: Int32Array, allLogits = false) -> Promise<Float32Array>
//     runs on a worker thread; a second call while one runs rejects with BUSY.
//   evalInto(tokens, out: Float32Array of n_vocab) -> Promise<out>: eval(tokens)
//     with the last position's logits written into out (a decode loop's one array)
//   prefill(tokens) -> Promise<Float32Array>: eval of a part of a document that
//     never builds the retrieval index first (a prefill in several calls)
//   prefillDocument(tokens, { onProgress(done, total, ramBytes) }?) -> Promise<Float32Array>:
//     the rest of a document, then its index (prefill + buildIndex); layer-major
//     with a KV store attached, streaming each layer to the store and, under a
//     RAM budget, releasing its rows (Session::prefill_document). onProgress
//     gets (layer, chunk) steps in token-layer units (total = tokens x layers),
//     in order, all before the promise settles, with the RAM the host tier
//     (K/V rows and indexes) holds, measured at most every 250 ms; one that
//     throws cancels the call and the promise rejects with what it threw.
//   cancel() -> boolean: stops the prefillDocument in flight between two chunks
//     (false when none runs); it rejects with CANCELLED, the session and its
//     store as they were before it
//   buildIndex() -> Promise<number ms>: builds the index now if the context is long enough
//   tokens() -> Int32Array: the context's token ids
//   KV store (session_store_wrap.cpp): attachStore(path) -> Promise<number restored>,
//     flushStore() -> Promise<void>, storeInfo() -> { path, nTokens, indexBuiltAt,
//     indexComplete } | null, storeIdentity() -> { modelFp, tokenizerFp, settings },
//     residency() -> { hits, rowsRead, rowsFromSpill, storeReads, evictions, unitsReleased, residentBytes,
//                      indexBytes, budgetBytes, peakBytes, spillWrites, spillBytes }
//     (the RAM budget: options ramBudget (bytes) | ramBudgetFrac, eviction: lru|lfu)
//   truncate(n); sealPrefix(n); nPast(); nCtx(); kvBytes(); threads()
//   times() -> { matmulMs, attentionMs, otherMs } since the last resetTimes()
//   close(): frees the KV cache now; every later call fails with CLOSED
//   fillSynthetic(n, seed): grows the context to n positions with a synthetic
//     KV cache (benchmarks beyond what a CPU can prefill)
//   exportQK(layer, kvHead) -> { keys: Float32Array (nPast, dim), queries: Float32Array, dim }
//     (benchmarks: the captured workload of `tome bench index`)
//   lastStats() -> what the last eval did: { tokens, mode, sparse, ms: {...},
//     keysScanned, keysIndexed, keysScannedFrac, keysRetrieved, topK, widened,
//     recall?, massCaptured?, positions: Int32Array, weights: Float32Array, indexBytes }
// Options: { ctx, threads, batch, attention: full|retrieval|streaming|flat|ivf,
//   sinks, window, topK, ef, nprobe, degree, querySample, group: union|mean|joint,
//   monitorEvery, monitorHeads, widenBelow }
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>

#include "model/session.h"

namespace tome::addon {

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function define(Napi::Env env, Napi::FunctionReference* model_ctor);
  explicit SessionWrap(const Napi::CallbackInfo& info);

  Session& session() { return *session_; }
  std::atomic<bool>& busy() { return busy_; }

 private:
  Napi::Value eval(const Napi::CallbackInfo& info);
  Napi::Value eval_into(const Napi::CallbackInfo& info);
  Napi::Value prefill(const Napi::CallbackInfo& info);
  Napi::Value prefill_document(const Napi::CallbackInfo& info);
  Napi::Value cancel(const Napi::CallbackInfo& info);
  Napi::Value build_index(const Napi::CallbackInfo& info);
  Napi::Value tokens(const Napi::CallbackInfo& info);
  Napi::Value attach_store(const Napi::CallbackInfo& info);
  Napi::Value flush_store(const Napi::CallbackInfo& info);
  Napi::Value store_info(const Napi::CallbackInfo& info);
  Napi::Value store_identity(const Napi::CallbackInfo& info);
  Napi::Value residency(const Napi::CallbackInfo& info);
  Napi::Value truncate(const Napi::CallbackInfo& info);
  Napi::Value seal_prefix(const Napi::CallbackInfo& info);
  Napi::Value n_past(const Napi::CallbackInfo& info);
  Napi::Value n_ctx(const Napi::CallbackInfo& info);
  Napi::Value kv_bytes(const Napi::CallbackInfo& info);
  Napi::Value host_ram_bytes(const Napi::CallbackInfo& info);
  Napi::Value sparse_active(const Napi::CallbackInfo& info);
  Napi::Value build_due(const Napi::CallbackInfo& info);
  Napi::Value threads(const Napi::CallbackInfo& info);
  Napi::Value times(const Napi::CallbackInfo& info);
  Napi::Value reset_times(const Napi::CallbackInfo& info);
  Napi::Value last_stats(const Napi::CallbackInfo& info);
  Napi::Value export_qk(const Napi::CallbackInfo& info);
  Napi::Value fill_synthetic(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  void check_idle(Napi::Env env);
  Session& live(Napi::Env env);  // the session, or CLOSED (for what never changes: n_ctx, threads)
  // The session while no call runs on the worker thread, or BUSY: an eval or prefill
  // in flight writes the KV, the step stats and the counters the getters read (a
  // stats poll copying the step's positions as the worker rewrote them corrupted the
  // heap), or CLOSED.
  Session& idle(Napi::Env env);

  std::shared_ptr<const Model> model_;  // keeps the model alive while the session lives
  std::unique_ptr<Session> session_;
  Napi::ObjectReference model_ref_;
  std::atomic<bool> busy_{false};
  std::shared_ptr<std::atomic<bool>> cancel_;  // the prefillDocument in flight's (null: none)
};

}  // namespace tome::addon
