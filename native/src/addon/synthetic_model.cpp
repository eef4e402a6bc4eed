#include "addon/synthetic_model.h"

#include <cmath>
#include <thread>

#include "addon/js_errors.h"
#include "cpu/thread_pool.h"
#include "model/synthetic_model.h"

namespace tome::addon {

namespace {

class WriteWorker : public Napi::AsyncWorker {
 public:
  WriteWorker(Napi::Env env, SyntheticModelSpec spec)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), spec_(std::move(spec)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      ThreadPool pool(int(std::max(1u, std::thread::hardware_concurrency())));
      write_synthetic_model(spec_, pool);
    } catch (const tome::Error& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(make_error(Env(), code_, e.Message()).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  SyntheticModelSpec spec_;
  std::string code_ = "INTERNAL";
};

std::string field(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw type_error(o.Env(), std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

}  // namespace

Napi::Value write_synthetic_model(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejecting(env, [&] {
    if (info.Length() < 1 || !info[0].IsObject()) throw type_error(env, "options must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    SyntheticModelSpec spec;
    spec.arch = field(o, "arch");
    spec.shape = field(o, "shape");
    spec.vocab_path = field(o, "vocab");
    spec.out_path = field(o, "out");
    check_path(env, spec.vocab_path, "option 'vocab'");
    check_path(env, spec.out_path, "option 'out'");
    // a whole number a double holds exactly (a cast of NaN or -1 to uint64_t is undefined behaviour)
    const double seed = opt_number(o, "seed", 1);
    if (!(seed >= 0 && seed <= 9007199254740992.0) || seed != std::floor(seed))
      throw type_error(env, "option 'seed' must be a whole number in [0, 2^53]");
    spec.seed = uint64_t(seed);
    const double yarn = opt_number(o, "yarnFactor", 0);
    if (!(yarn == 0 || (yarn >= 1 && yarn <= 64))) throw type_error(env, "option 'yarnFactor' must be 0 or in [1, 64]");
    spec.yarn_factor = float(yarn);
    for (auto [key, dst] : {std::pair<const char*, bool*>{"longrope", &spec.longrope}, {"sharedExpert", &spec.shared_expert}}) {
      if (!o.Has(key)) continue;
      Napi::Value v = o.Get(key);
      if (!v.IsBoolean() && !v.IsUndefined()) throw type_error(env, std::string("option '") + key + "' must be a boolean");
      *dst = v.IsBoolean() && v.As<Napi::Boolean>().Value();
    }
    for (auto [key, dst] : {std::pair<const char*, int*>{"experts", &spec.experts},
                            {"expertsUsed", &spec.experts_used},
                            {"layers", &spec.layers}}) {
      const double v = opt_number(o, key, 0);
      if (!(v >= 0 && v <= 256) || v != std::floor(v))
        throw type_error(env, std::string("option '") + key + "' must be a whole number in [0, 256]");
      *dst = int(v);
    }
    std::string type = field(o, "type");
    guarded(env, [&] {
      const WeightTypeName t = parse_weight_type(type);
      spec.type = t.type;
      spec.mix = t.mix;
    });
    auto* w = new WriteWorker(env, std::move(spec));
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  });
}

}  // namespace tome::addon
