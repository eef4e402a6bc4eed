#include "addon/session_wrap.h"

#include <algorithm>
#include <chrono>

#include "addon/js_errors.h"
#include "addon/model_wrap.h"
#include "addon/session_worker.h"

namespace tome::addon {

namespace {

Napi::FunctionReference* g_model_ctor = nullptr;

constexpr int kMaxCtx = 1 << 24;  // positions a session may hold
// A session's context when none is asked for: the model's trained one, within [1, kMaxCtx].
int default_ctx(const Model& m) { return int(std::clamp<int64_t>(m.hparams().n_ctx_train, 1, kMaxCtx)); }

int int_option(const Napi::Object& o, const char* key, int dflt, int lo, int hi) {
  double v = opt_number(o, key, dflt);
  if (!(v >= lo && v <= hi) || v != double(int64_t(v)))
    throw type_error(o.Env(), std::string("option '") + key + "' must be an integer in [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]");
  return int(v);
}

// { attention, sinks, window, topK, ef, nprobe, degree, querySample, group, monitorEvery, monitorHeads, widenBelow }
void read_retrieval_settings(const Napi::Object& o, RetrievalSettings& r) {
  Napi::Env env = o.Env();
  Napi::Value mode = o.Get("attention");
  if (!mode.IsUndefined()) {
    if (!mode.IsString()) throw type_error(env, "option 'attention' must be a string");
    guarded(env, [&] { r.mode = parse_attention_mode(mode.As<Napi::String>().Utf8Value()); });
  }
  r.sinks = int_option(o, "sinks", r.sinks, 0, 1 << 20);
  r.window = int_option(o, "window", r.window, 1, 1 << 20);
  r.top_k = int_option(o, "topK", r.top_k, 1, 1 << 24);
  r.ef = int_option(o, "ef", r.ef, 0, 1 << 24);
  r.nprobe = int_option(o, "nprobe", r.nprobe, 0, 1 << 20);
  r.degree = int_option(o, "degree", r.degree, 2, 1024);
  r.monitor_every = int_option(o, "monitorEvery", r.monitor_every, 0, 1 << 20);
  r.monitor_heads = int_option(o, "monitorHeads", r.monitor_heads, 1, 1 << 16);
  r.query_sample = opt_number(o, "querySample", r.query_sample);
  auto key_count = [&](const char* name, int64_t fallback) {
    const double x = opt_number(o, name, double(fallback));
    if (!(x >= 0 && x <= 1e12)) throw type_error(env, std::string("option '") + name + "' must be a key count >= 0");
    return int64_t(x);
  };
  r.exact_below = key_count("exactBelow", r.exact_below);
  r.full_below = key_count("fullBelow", r.full_below);
  if (!(r.query_sample > 0 && r.query_sample <= 1)) throw type_error(env, "option 'querySample' must be in (0, 1]");
  r.widen_below = opt_number(o, "widenBelow", r.widen_below);
  if (!(r.widen_below >= 0 && r.widen_below <= 1)) throw type_error(env, "option 'widenBelow' must be in [0, 1]");
  Napi::Value numerics = o.Get("numerics");
  if (!numerics.IsUndefined()) {
    std::string nname = numerics.IsString() ? numerics.As<Napi::String>().Utf8Value() : "";
    if (nname == "llama") r.numerics = AttentionNumerics::LLAMA_CPP;
    else if (nname == "exact") r.numerics = AttentionNumerics::EXACT;
    else throw type_error(env, "option 'numerics' must be 'llama' or 'exact'");
  }
  Napi::Value group = o.Get("group");
  if (!group.IsUndefined()) {
    std::string gname = group.IsString() ? group.As<Napi::String>().Utf8Value() : "";
    if (gname == "union") r.group = GroupMode::kUnion;
    else if (gname == "mean") r.group = GroupMode::kMean;
    else if (gname == "joint") r.group = GroupMode::kJoint;
    else throw type_error(env, "option 'group' must be 'union', 'mean' or 'joint'");
  }
}

Napi::Value float_array(Napi::Env env, const std::vector<float>& v) {
  Napi::Float32Array out = Napi::Float32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), out.Data());
  return out;
}

// The onProgress of an options object at info[index] (undefined when absent); `call`
// names the method in the TypeErrors.
Napi::Value progress_option(const Napi::CallbackInfo& info, size_t index, const char* call) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || info[index].IsUndefined()) return env.Undefined();
  if (!info[index].IsObject()) throw type_error(env, std::string(call) + " options must be an object");
  Napi::Value on_progress = info[index].As<Napi::Object>().Get("onProgress");
  if (!on_progress.IsUndefined() && !on_progress.IsFunction()) throw type_error(env, "option 'onProgress' must be a function");
  return on_progress;
}

std::vector<int32_t> token_arg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw type_error(info.Env(), "tokens must be an Int32Array");
  Napi::Int32Array arr = info[0].As<Napi::Int32Array>();
  return std::vector<int32_t>(arr.Data(), arr.Data() + arr.ElementLength());
}

}  // namespace

Napi::Function SessionWrap::define(Napi::Env env, Napi::FunctionReference* model_ctor) {
  g_model_ctor = model_ctor;
  return DefineClass(env, "Session",
                     {InstanceMethod("eval", &SessionWrap::eval), InstanceMethod("evalInto", &SessionWrap::eval_into),
                      InstanceMethod("prefill", &SessionWrap::prefill),
                      InstanceMethod("prefillDocument", &SessionWrap::prefill_document),
                      InstanceMethod("cancel", &SessionWrap::cancel),
                      InstanceMethod("buildIndex", &SessionWrap::build_index),
                      InstanceMethod("tokens", &SessionWrap::tokens),
                      InstanceMethod("attachStore", &SessionWrap::attach_store),
                      InstanceMethod("flushStore", &SessionWrap::flush_store),
                      InstanceMethod("storeInfo", &SessionWrap::store_info),
                      InstanceMethod("storeIdentity", &SessionWrap::store_identity),
                      InstanceMethod("residency", &SessionWrap::residency),
                      InstanceMethod("truncate", &SessionWrap::truncate),
                      InstanceMethod("sealPrefix", &SessionWrap::seal_prefix),
                      InstanceMethod("nPast", &SessionWrap::n_past), InstanceMethod("nCtx", &SessionWrap::n_ctx),
                      InstanceMethod("kvBytes", &SessionWrap::kv_bytes),
                      InstanceMethod("hostRamBytes", &SessionWrap::host_ram_bytes),
                      InstanceMethod("sparseActive", &SessionWrap::sparse_active),
                      InstanceMethod("buildDue", &SessionWrap::build_due),
                      InstanceMethod("threads", &SessionWrap::threads), InstanceMethod("times", &SessionWrap::times),
                      InstanceMethod("resetTimes", &SessionWrap::reset_times),
                      InstanceMethod("lastStats", &SessionWrap::last_stats),
                      InstanceMethod("exportQK", &SessionWrap::export_qk),
                      InstanceMethod("fillSynthetic", &SessionWrap::fill_synthetic),
                      InstanceMethod("close", &SessionWrap::close)});
}

SessionWrap::SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(g_model_ctor->Value()))
    throw type_error(env, "first argument must be a Model");
  ModelWrap* mw = ModelWrap::Unwrap(info[0].As<Napi::Object>());
  model_ = mw->shared();
  model_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
  SessionOptions opts;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsObject()) throw type_error(env, "options must be an object");
    Napi::Object o = info[1].As<Napi::Object>();
    opts.n_ctx = int_option(o, "ctx", default_ctx(*model_), 1, kMaxCtx);
    opts.n_threads = int_option(o, "threads", 0, 0, 256);
    opts.n_batch = int_option(o, "batch", 512, 1, 65536);
    read_retrieval_settings(o, opts.retrieval);
    // RAM budget of the host tier: ramBudget bytes, or ramBudgetFrac of its unlimited size
    const double budget = opt_number(o, "ramBudget", 0);
    const double frac = opt_number(o, "ramBudgetFrac", 0);
    if (!(budget >= 0 && budget <= 9.0e18)) throw type_error(env, "ramBudget must be a byte count >= 0");
    if (!(frac >= 0 && frac <= 1)) throw type_error(env, "ramBudgetFrac must be in [0, 1]");
    opts.ram_budget_bytes = uint64_t(budget);
    opts.ram_budget_frac = frac;
    Napi::Value ev = o.Get("eviction");
    if (!ev.IsUndefined()) {
      const std::string e = ev.IsString() ? ev.As<Napi::String>().Utf8Value() : "";
      if (e == "lru") opts.eviction = EvictionPolicy::kLru;
      else if (e == "lfu") opts.eviction = EvictionPolicy::kLfu;
      else throw type_error(env, "option 'eviction' must be 'lru' or 'lfu'");
    }
  } else {
    opts.n_ctx = default_ctx(*model_);
  }
  guarded(env, [&] { session_ = std::make_unique<Session>(*model_, opts); });
}

void SessionWrap::check_idle(Napi::Env env) {
  if (busy_) throw make_error(env, "BUSY", "the session is evaluating; wait for the previous call");
  if (!session_) throw make_error(env, "CLOSED", "the session is closed");
}

Session& SessionWrap::live(Napi::Env env) {
  if (!session_) throw make_error(env, "CLOSED", "the session is closed");
  return *session_;
}

Session& SessionWrap::idle(Napi::Env env) {
  check_idle(env);
  return *session_;
}

Napi::Value SessionWrap::close(const Napi::CallbackInfo& info) {
  check_idle(info.Env());
  session_.reset();  // frees the KV cache and indexes now, not at garbage collection
  return info.Env().Undefined();
}

// The logits the job left in the session (Session::logits(), untouched until
// the next call, which cannot start before the worker settles) are read by
// to_js on the JS thread, without a copy of their own on the worker thread.
Napi::Value SessionWrap::eval(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejecting(env, [&] {
    auto tokens = std::make_shared<std::vector<int32_t>>(token_arg(info));
    const bool all_logits = arg_bool(info, 1, false);
    check_idle(env);
    return SessionWorker<SessionWrap>::start(
        env, this, [this, tokens, all_logits] { session_->eval(*tokens, all_logits); },
        [this](Napi::Env e) { return float_array(e, session_->logits()); });
  });
}

// eval(tokens) into the caller's array, resolved with it: a decode loop that
// passes the same array every step allocates nothing. A new Float32Array of
// n_vocab floats a step (192 KiB for a 49K vocabulary, 501 KiB for 128K)
// mostly came on fresh pages, zeroed and then written: smol, streaming, one
// session alternating blocks of 64 steps, 23.1 page faults a step against 5.9
// (the KV cache's new pages), 8.42 against 8.21 ms a step (12-14 us a fault
// on this VM).
Napi::Value SessionWrap::eval_into(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejecting(env, [&] {
    auto tokens = std::make_shared<std::vector<int32_t>>(token_arg(info));
    Napi::Float32Array out = arg_float32_array(info, 1, "out");
    const size_t n_vocab = size_t(idle(env).model().hparams().n_vocab);
    if (out.ElementLength() != n_vocab)
      throw type_error(env, "out must hold n_vocab (" + std::to_string(n_vocab) + ") floats, not " +
                                std::to_string(out.ElementLength()));
    // held from the JS thread only (to_js, destroyed with the worker there)
    auto target = std::make_shared<Napi::Reference<Napi::Float32Array>>(Napi::Persistent(out));
    return SessionWorker<SessionWrap>::start(
        env, this, [this, tokens] { session_->eval(*tokens, false); },
        [this, target](Napi::Env e) -> Napi::Value {
          Napi::Float32Array a = target->Value();
          const std::vector<float>& v = session_->logits();
          if (a.ElementLength() != v.size())  // its buffer was transferred or detached meanwhile
            throw type_error(e, "the tokens were evaluated, but out no longer holds n_vocab floats "
                                "(its buffer was detached)");
          std::copy(v.begin(), v.end(), a.Data());
          return a;
        });
  });
}

Napi::Value SessionWrap::prefill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejecting(env, [&] {
    auto tokens = std::make_shared<std::vector<int32_t>>(token_arg(info));
    check_idle(env);
    return SessionWorker<SessionWrap>::start(
        env, this, [this, tokens] { session_->prefill(*tokens); },
        [this](Napi::Env e) { return float_array(e, session_->logits()); });
  });
}

Napi::Value SessionWrap::prefill_document(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejecting(env, [&] {
    auto tokens = std::make_shared<std::vector<int32_t>>(token_arg(info));
    const Napi::Value on_progress = progress_option(info, 1, "prefillDocument");
    check_idle(env);
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    cancel_ = cancel;
    const bool report = on_progress.IsFunction();
    return SessionProgressWorker<SessionWrap>::start(
        env, this, on_progress, cancel,
        [this, tokens, cancel, report](const SessionProgressWorker<SessionWrap>::Report& send) {
          PrefillControl ctl;
          ctl.cancel = cancel.get();
          // Each report carries the host tier's RAM as measured here, on the
          // thread running the call (every getter answers BUSY meanwhile): at
          // the first report, the last, and at most every 250 ms between.
          using Clock = std::chrono::steady_clock;
          Clock::time_point measured{};
          double ram = 0;
          if (report)
            ctl.progress = [&](int64_t done, int64_t total) {
              const Clock::time_point now = Clock::now();
              if (measured == Clock::time_point{} || done == total || now - measured >= std::chrono::milliseconds(250)) {
                ram = double(session_->host_ram_bytes());
                measured = now;
              }
              send(done, total, ram);
            };
          session_->prefill_document(*tokens, ctl);
        },
        [this](Napi::Env e) { return float_array(e, session_->logits()); }, [this] { cancel_.reset(); });
  });
}

Napi::Value SessionWrap::cancel(const Napi::CallbackInfo& info) {
  if (!cancel_) return Napi::Boolean::New(info.Env(), false);
  cancel_->store(true);
  return Napi::Boolean::New(info.Env(), true);
}

Napi::Value SessionWrap::build_index(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejecting(env, [&] {
    const Napi::Value on_progress = progress_option(info, 0, "buildIndex");
    check_idle(env);
    auto ms = std::make_shared<double>(0);
    if (!on_progress.IsFunction())
      return SessionWorker<SessionWrap>::start(
          env, this, [this, ms] { *ms = session_->build_index(); },
          [ms](Napi::Env e) { return Napi::Number::New(e, *ms); });
    // (indexed layers built, indexed layers), before each layer and at the end; a build
    // is not cancelled part way (its indexes go to the store as they are built)
    return SessionProgressWorker<SessionWrap>::start(
        env, this, on_progress, std::make_shared<std::atomic<bool>>(false),
        [this, ms](const SessionProgressWorker<SessionWrap>::Report& send) {
          *ms = session_->build_index([&](int done, int total) { send(done, total, 0); });
        },
        [ms](Napi::Env e) { return Napi::Number::New(e, *ms); }, [] {});
  });
}

Napi::Value SessionWrap::tokens(const Napi::CallbackInfo& info) {
  const std::vector<int32_t>& t = idle(info.Env()).tokens();
  Napi::Int32Array out = Napi::Int32Array::New(info.Env(), t.size());
  std::copy(t.begin(), t.end(), out.Data());
  return out;
}

Napi::Value SessionWrap::truncate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_idle(env);
  int64_t n = arg_int(info, 0, "n", 0, session_->n_past());
  guarded(env, [&] { session_->truncate(n); });
  return env.Undefined();
}

Napi::Value SessionWrap::seal_prefix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_idle(env);
  int64_t n = arg_int(info, 0, "n", 0, session_->n_ctx());
  guarded(env, [&] { session_->seal_prefix(n); });
  return env.Undefined();
}

Napi::Value SessionWrap::n_past(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(idle(info.Env()).n_past()));
}
Napi::Value SessionWrap::n_ctx(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(live(info.Env()).n_ctx()));
}
Napi::Value SessionWrap::kv_bytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(idle(info.Env()).kv_bytes()));
}
Napi::Value SessionWrap::host_ram_bytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(idle(info.Env()).host_ram_bytes()));
}
Napi::Value SessionWrap::sparse_active(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), idle(info.Env()).sparse_active());
}
Napi::Value SessionWrap::build_due(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), idle(info.Env()).index_build_due());
}
Napi::Value SessionWrap::threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), live(info.Env()).n_threads());
}

Napi::Value SessionWrap::times(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  const PhaseTimes& t = idle(info.Env()).times();
  o.Set("matmulMs", t.matmul_ms);
  o.Set("attentionMs", t.attention_ms);
  o.Set("otherMs", t.other_ms);
  return o;
}

Napi::Value SessionWrap::last_stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const StepStats& st = idle(info.Env()).last_stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("tokens", double(st.tokens));
  o.Set("mode", attention_mode_name(idle(info.Env()).retrieval().mode));
  // the static set the session runs with: asked for, or adopted from a document's store
  o.Set("sinks", idle(info.Env()).retrieval().sinks);
  o.Set("window", idle(info.Env()).retrieval().window);
  o.Set("sparse", idle(info.Env()).sparse_active());
  Napi::Object ms = Napi::Object::New(env);
  ms.Set("matmul", st.matmul_ms);
  ms.Set("fullAttention", st.full_attention_ms);
  ms.Set("staticAttention", st.static_ms);
  ms.Set("search", st.search_ms);
  ms.Set("retrievedAttention", st.retrieved_ms);
  ms.Set("merge", st.merge_ms);
  ms.Set("other", st.other_ms);
  ms.Set("indexBuild", st.index_build_ms);
  ms.Set("indexInsert", st.index_insert_ms);
  ms.Set("monitor", st.monitor_ms);
  o.Set("ms", ms);
  o.Set("keysScanned", double(st.keys_scanned));
  o.Set("keysIndexed", double(st.keys_indexed));
  o.Set("keysScannedFrac", st.keys_scanned_frac());
  o.Set("keysRetrieved", double(st.keys_retrieved));
  o.Set("topK", st.top_k);
  o.Set("widened", st.widened);
  if (st.has_quality()) {
    o.Set("recall", st.recall());
    o.Set("massCaptured", st.mass());
  }
  std::vector<int32_t> pos;
  std::vector<float> w;
  st.top_positions(size_t(StepStats::kMaxPositions), pos, w);
  Napi::Int32Array p = Napi::Int32Array::New(env, pos.size());
  Napi::Float32Array wa = Napi::Float32Array::New(env, w.size());
  std::copy(pos.begin(), pos.end(), p.Data());
  std::copy(w.begin(), w.end(), wa.Data());
  o.Set("positions", p);
  o.Set("weights", wa);
  o.Set("indexBytes", double(idle(info.Env()).index_bytes()));
  return o;
}

Napi::Value SessionWrap::fill_synthetic(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_idle(env);
  const int64_t n = arg_int(info, 0, "n", 1, int64_t(1) << 30);
  const int64_t seed = arg_int(info, 1, "seed", 0, int64_t(1) << 40);
  guarded(env, [&] { session_->fill_synthetic(n, uint64_t(seed)); });
  return env.Undefined();
}

Napi::Value SessionWrap::export_qk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_idle(env);
  const int layer = int(arg_int(info, 0, "layer", 0, 1 << 20));
  const int head = int(arg_int(info, 1, "kvHead", 0, 1 << 20));
  return guarded(env, [&]() -> Napi::Value {
    std::vector<float> k, q;
    session_->export_qk(layer, head, k, q);
    Napi::Object o = Napi::Object::New(env);
    Napi::Float32Array ka = Napi::Float32Array::New(env, k.size());
    Napi::Float32Array qa = Napi::Float32Array::New(env, q.size());
    std::copy(k.begin(), k.end(), ka.Data());
    std::copy(q.begin(), q.end(), qa.Data());
    o.Set("keys", ka);
    o.Set("queries", qa);
    o.Set("dim", session_->model().hparams().head_dim);
    return o;
  });
}

Napi::Value SessionWrap::reset_times(const Napi::CallbackInfo& info) {
  idle(info.Env()).times() = PhaseTimes{};
  return info.Env().Undefined();
}

}  // namespace tome::addon
