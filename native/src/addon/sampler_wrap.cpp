#include "addon/sampler_wrap.h"

#include <cmath>

#include "addon/js_errors.h"

namespace tome::addon {

namespace {

// topK and repeatLastN: whole counts (0 turns each off). Converting NaN, 1e12 or
// -1e12 to int is undefined behaviour (on x86 INT_MIN: the option silently off)
// and 2.5 would truncate, so they are refused like the session's options.
int count_option(const Napi::Object& o, const char* key, int dflt) {
  const double v = opt_number(o, key, dflt);
  if (!(v >= 0 && v <= double(INT32_MAX)) || v != double(int64_t(v)))
    throw type_error(o.Env(), std::string("option '") + key + "' must be an integer in [0, " +
                                  std::to_string(INT32_MAX) + "]");
  return int(v);
}

}  // namespace

Napi::Function SamplerWrap::define(Napi::Env env) {
  return DefineClass(env, "Sampler",
                     {InstanceMethod("sample", &SamplerWrap::sample), InstanceMethod("accept", &SamplerWrap::accept)});
}

SamplerWrap::SamplerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SamplerWrap>(info) {
  Napi::Env env = info.Env();
  SamplerParams p;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsObject()) throw type_error(env, "options must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    p.temperature = float(opt_number(o, "temperature", p.temperature));
    p.top_k = count_option(o, "topK", p.top_k);
    p.top_p = float(opt_number(o, "topP", p.top_p));
    p.min_p = float(opt_number(o, "minP", p.min_p));
    p.repeat_penalty = float(opt_number(o, "repeatPenalty", p.repeat_penalty));
    p.repeat_last_n = count_option(o, "repeatLastN", p.repeat_last_n);
    double seed = opt_number(o, "seed", 0);
    if (!(seed >= 0 && seed <= 9007199254740991.0) || seed != double(int64_t(seed)))
      throw type_error(env, "seed must be a non-negative integer");
    p.seed = uint64_t(seed);
    if (!std::isfinite(p.temperature) || !std::isfinite(p.top_p) || !std::isfinite(p.min_p) ||
        !(p.repeat_penalty > 0) || !std::isfinite(p.repeat_penalty))
      throw type_error(env, "sampler options must be finite (repeatPenalty > 0)");
  }
  sampler_ = std::make_unique<Sampler>(p);
}

Napi::Value SamplerWrap::sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array logits = arg_float32_array(info, 0, "logits");
  // n_vocab is an int: a longer array would wrap to a negative size
  if (logits.ElementLength() == 0 || logits.ElementLength() > size_t(INT32_MAX))
    throw type_error(env, "logits must hold 1 to 2^31-1 values");
  // the candidate list is allocated here: bad_alloc must become a JS error, not terminate
  return Napi::Number::New(env, guarded(env, [&] { return sampler_->sample(logits.Data(), int(logits.ElementLength())); }));
}

Napi::Value SamplerWrap::accept(const Napi::CallbackInfo& info) {
  sampler_->accept(int32_t(arg_int(info, 0, "token", 0, INT32_MAX)));
  return info.Env().Undefined();
}

}  // namespace tome::addon
