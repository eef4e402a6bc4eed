#include "addon/session_wrap.h"

#include "addon/js_errors.h"
#include "addon/model_wrap.h"

namespace tome::addon {

namespace {

Napi::FunctionReference* g_model_ctor = nullptr;

// Runs Session::eval off the JS thread; resolves with the logits.
class EvalWorker : public Napi::AsyncWorker {
 public:
  EvalWorker(Napi::Env env, SessionWrap* owner, std::vector<int32_t> tokens, bool all_logits)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), owner_(owner),
        tokens_(std::move(tokens)), all_logits_(all_logits) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      logits_ = owner_->session().eval(tokens_, all_logits_);
    } catch (const tome::Error& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "OUT_OF_MEMORY";
      SetError("out of memory");
    } catch (const std::exception& e) {
      code_ = "INTERNAL";
      SetError(e.what());
    }
  }
  void OnOK() override {
    owner_->busy() = false;
    owner_->Unref();
    Napi::Float32Array out = Napi::Float32Array::New(Env(), logits_.size());
    std::copy(logits_.begin(), logits_.end(), out.Data());
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& e) override {
    owner_->busy() = false;
    owner_->Unref();
    deferred_.Reject(make_error(Env(), code_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  SessionWrap* owner_;
  std::vector<int32_t> tokens_;
  bool all_logits_;
  std::vector<float> logits_;
  std::string code_ = "INTERNAL";
};

}  // namespace

Napi::Function SessionWrap::define(Napi::Env env, Napi::FunctionReference* model_ctor) {
  g_model_ctor = model_ctor;
  return DefineClass(env, "Session",
                     {InstanceMethod("eval", &SessionWrap::eval), InstanceMethod("truncate", &SessionWrap::truncate),
                      InstanceMethod("nPast", &SessionWrap::n_past), InstanceMethod("nCtx", &SessionWrap::n_ctx),
                      InstanceMethod("kvBytes", &SessionWrap::kv_bytes),
                      InstanceMethod("threads", &SessionWrap::threads), InstanceMethod("times", &SessionWrap::times),
                      InstanceMethod("resetTimes", &SessionWrap::reset_times)});
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
    double ctx = opt_number(o, "ctx", double(model_->hparams().n_ctx_train));
    double threads = opt_number(o, "threads", 0);
    double batch = opt_number(o, "batch", 512);
    if (!(ctx >= 1 && ctx <= double(1 << 24))) throw type_error(env, "ctx must be in [1, 16777216]");
    if (!(threads >= 0 && threads <= 256)) throw type_error(env, "threads must be in [0, 256]");
    if (!(batch >= 1 && batch <= 65536)) throw type_error(env, "batch must be in [1, 65536]");
    opts.n_ctx = int64_t(ctx);
    opts.n_threads = int(threads);
    opts.n_batch = int(batch);
  } else {
    opts.n_ctx = model_->hparams().n_ctx_train;
  }
  guarded(env, [&] { session_ = std::make_unique<Session>(*model_, opts); });
}

void SessionWrap::check_idle(Napi::Env env) {
  if (busy_) throw make_error(env, "BUSY", "the session is evaluating; wait for the previous call");
}

Napi::Value SessionWrap::eval(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw type_error(env, "tokens must be an Int32Array");
  Napi::Int32Array arr = info[0].As<Napi::Int32Array>();
  bool all_logits = arg_bool(info, 1, false);
  check_idle(env);
  std::vector<int32_t> tokens(arr.Data(), arr.Data() + arr.ElementLength());
  busy_ = true;
  Ref();  // the JS object must outlive the worker
  auto* w = new EvalWorker(env, this, std::move(tokens), all_logits);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value SessionWrap::truncate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_idle(env);
  int64_t n = arg_int(info, 0, "n", 0, session_->n_past());
  session_->truncate(n);
  return env.Undefined();
}

Napi::Value SessionWrap::n_past(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(session_->n_past()));
}
Napi::Value SessionWrap::n_ctx(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(session_->n_ctx()));
}
Napi::Value SessionWrap::kv_bytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(session_->kv_bytes()));
}
Napi::Value SessionWrap::threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), session_->n_threads());
}

Napi::Value SessionWrap::times(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  const PhaseTimes& t = session_->times();
  o.Set("matmulMs", t.matmul_ms);
  o.Set("attentionMs", t.attention_ms);
  o.Set("otherMs", t.other_ms);
  return o;
}

Napi::Value SessionWrap::reset_times(const Napi::CallbackInfo& info) {
  session_->times() = PhaseTimes{};
  return info.Env().Undefined();
}

}  // namespace tome::addon
