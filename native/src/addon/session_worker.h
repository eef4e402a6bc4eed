// SessionWorker: runs one job on a Session off the JS thread and settles a
// promise with what to_js makes of the result. While it runs the session is
// busy (a second call rejects with BUSY) and the JS object is kept alive.
// A tome::Error rejects with its code; bad_alloc with OUT_OF_MEMORY.
#pragma once
#include <napi.h>

#include <functional>
#include <string>

#include "addon/js_errors.h"
#include "common/error.h"

namespace tome::addon {

template <class Owner>
class SessionWorker : public Napi::AsyncWorker {
 public:
  using Job = std::function<void()>;                    // worker thread
  using ToJs = std::function<Napi::Value(Napi::Env)>;  // JS thread, after the job

  // Marks owner busy and queues the job; returns the promise.
  static Napi::Promise start(Napi::Env env, Owner* owner, Job job, ToJs to_js) {
    owner->busy() = true;
    owner->Ref();
    auto* w = new SessionWorker(env, owner, std::move(job), std::move(to_js));
    Napi::Promise p = w->deferred_.Promise();
    w->Queue();
    return p;
  }

  void Execute() override {
    try {
      job_();
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
    release();
    deferred_.Resolve(to_js_(Env()));
  }
  void OnError(const Napi::Error& e) override {
    release();
    deferred_.Reject(make_error(Env(), code_, e.Message()).Value());
  }

 private:
  SessionWorker(Napi::Env env, Owner* owner, Job job, ToJs to_js)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), owner_(owner), job_(std::move(job)),
        to_js_(std::move(to_js)) {}
  void release() {
    owner_->busy() = false;
    owner_->Unref();
  }
  Napi::Promise::Deferred deferred_;
  Owner* owner_;
  Job job_;
  ToJs to_js_;
  std::string code_ = "INTERNAL";
};

}  // namespace tome::addon
