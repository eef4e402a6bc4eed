// SessionWorker: runs one job on a Session off the JS thread and settles a
// promise with what to_js makes of the result. While it runs the session is
// busy (a second call rejects with BUSY) and the JS object is kept alive.
// A tome::Error rejects with its code; bad_alloc with OUT_OF_MEMORY.
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <functional>
#include <memory>
#include <string>

#include "addon/js_errors.h"
#include "common/error.h"

namespace tome::addon {

// Runs a worker's job on the worker thread. False when it threw: then code and
// message say what (tome::Error's own code, OUT_OF_MEMORY, else INTERNAL).
template <class Job>
bool run_job(const Job& job, std::string& code, std::string& message) {
  try {
    job();
    return true;
  } catch (const tome::Error& e) {
    code = e.code();
    message = e.what();
  } catch (const std::bad_alloc&) {
    code = "OUT_OF_MEMORY";
    message = "out of memory";
  } catch (const std::exception& e) {
    code = "INTERNAL";
    message = e.what();
  }
  return false;
}

// Settles a finished job's promise on the JS thread: with what to_js makes of
// its result, or with what to_js throws. to_js reads what the job left in its
// owner (a session's logits), so release (the owner no longer busy nor
// referenced) runs after it: an allocation in to_js may collect an owner
// nothing else holds.
template <class ToJs, class Release>
void settle_after(Napi::Env env, Napi::Promise::Deferred& deferred, const ToJs& to_js, const Release& release) {
  Napi::Value v;
  try {
    v = to_js(env);
  } catch (const Napi::Error& e) {
    release();
    deferred.Reject(e.Value());
    return;
  }
  release();
  deferred.Resolve(v);
}

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
    std::string message;
    if (!run_job([this] { job_(); }, code_, message)) SetError(message);
  }
  void OnOK() override { settle_after(Env(), deferred_, to_js_, [this] { release(); }); }
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

// SessionProgressWorker: a SessionWorker whose job reports progress (done,
// total, and what the job measured of its RAM) from the worker thread to
// on_progress on the JS thread. A report waits until the callback has run, so
// the reports arrive in order, all before the promise settles, and a cancel()
// made from the callback is seen by the job before its next chunk. A callback
// that throws cancels the job (through cancel) and the promise rejects with
// what it threw.
template <class Owner>
class SessionProgressWorker : public Napi::AsyncWorker {
 public:
  using Report = std::function<void(int64_t done, int64_t total, double ram_bytes)>;
  using Job = std::function<void(const Report&)>;      // worker thread
  using ToJs = std::function<Napi::Value(Napi::Env)>;  // JS thread, after the job
  using Done = std::function<void()>;                  // JS thread, as the call settles

  static Napi::Promise start(Napi::Env env, Owner* owner, Napi::Value on_progress,
                             std::shared_ptr<std::atomic<bool>> cancel, Job job, ToJs to_js, Done done) {
    auto* w = new SessionProgressWorker(env, owner, std::move(cancel), std::move(job), std::move(to_js), std::move(done));
    if (on_progress.IsFunction()) {
      // the finalizer may run after this worker is gone (environment teardown): it only sees the shared state
      auto* state = new std::shared_ptr<Ticks>(w->ticks_);
      w->tsfn_ = Napi::ThreadSafeFunction::New(env, on_progress.As<Napi::Function>(), "tome.prefillProgress", 0, 1, state,
                                               [](Napi::Env, std::shared_ptr<Ticks>* t) {
                                                 {
                                                   std::lock_guard<std::mutex> lock((*t)->mu);
                                                   (*t)->closed = true;
                                                 }
                                                 (*t)->cv.notify_all();
                                                 delete t;
                                               });
      w->reporting_ = true;
    }
    owner->busy() = true;
    owner->Ref();
    Napi::Promise p = w->deferred_.Promise();
    w->Queue();
    return p;
  }

  void Execute() override {
    std::string message;
    if (!run_job([this] { job_([this](int64_t done, int64_t total, double ram) { report(done, total, ram); }); },
                 code_, message))
      SetError(message);
    if (reporting_) tsfn_.Release();
  }
  void OnOK() override {
    if (!thrown_.IsEmpty()) {
      release();
      deferred_.Reject(thrown_.Value());
      return;
    }
    settle_after(Env(), deferred_, to_js_, [this] { release(); });
  }
  void OnError(const Napi::Error& e) override {
    release();
    if (!thrown_.IsEmpty()) deferred_.Reject(thrown_.Value());
    else deferred_.Reject(make_error(Env(), code_, e.Message()).Value());
  }

 private:
  struct Ticks {  // one report at a time: the worker thread waits for the JS thread to run it
    std::mutex mu;
    std::condition_variable cv;
    uint64_t asked = 0, ran = 0;
    bool closed = false;  // the environment is going away: nobody runs reports any more
  };

  SessionProgressWorker(Napi::Env env, Owner* owner, std::shared_ptr<std::atomic<bool>> cancel, Job job, ToJs to_js,
                        Done done)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), owner_(owner), cancel_(std::move(cancel)),
        job_(std::move(job)), to_js_(std::move(to_js)), done_(std::move(done)), ticks_(std::make_shared<Ticks>()) {}

  // worker thread: hands (done, total, ram bytes) to the JS thread and waits until it has run
  void report(int64_t done, int64_t total, double ram) {
    if (!reporting_) return;
    uint64_t id;
    {
      std::lock_guard<std::mutex> lock(ticks_->mu);
      if (ticks_->closed) return;
      id = ++ticks_->asked;
    }
    const double d = double(done), t = double(total);
    std::shared_ptr<Ticks> ticks = ticks_;
    const napi_status st = tsfn_.BlockingCall([this, d, t, ram, ticks, id](Napi::Env env, Napi::Function fn) {
      if (thrown_.IsEmpty()) {
        try {
          fn.Call({Napi::Number::New(env, d), Napi::Number::New(env, t), Napi::Number::New(env, ram)});
        } catch (const Napi::Error& e) {
          thrown_ = Napi::Persistent(e.Value());
          cancel_->store(true);
        }
      }
      {
        std::lock_guard<std::mutex> lock(ticks->mu);
        ticks->ran = id;
      }
      ticks->cv.notify_all();
    });
    if (st != napi_ok) return;
    std::unique_lock<std::mutex> lock(ticks_->mu);
    ticks_->cv.wait(lock, [&] { return ticks_->ran >= id || ticks_->closed; });
  }
  void release() {
    owner_->busy() = false;
    done_();
    owner_->Unref();
  }

  Napi::Promise::Deferred deferred_;
  Owner* owner_;
  Napi::ThreadSafeFunction tsfn_;
  bool reporting_ = false;
  Napi::ObjectReference thrown_;  // what on_progress threw (JS thread only)
  std::shared_ptr<std::atomic<bool>> cancel_;
  Job job_;
  ToJs to_js_;
  Done done_;
  std::shared_ptr<Ticks> ticks_;
  std::string code_ = "INTERNAL";
};

}  // namespace tome::addon
