#include "addon/sampler_wrap.h"

#include <cmath>

#include "addon/js_errors.h"

namespace tome::addon {

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
    p.top_k = int(opt_number(o, "topK", p.top_k));
    p.top_p = float(opt_number(o, "topP", p.top_p));
    p.min_p = float(opt_number(o, "minP", p.min_p));
    p.repeat_penalty = float(opt_number(o, "repeatPenalty", p.repeat_penalty));
    p.repeat_last_n = int(opt_number(o, "repeatLastN", p.repeat_last_n));
    double seed = opt_number(o, "seed", 0);
    if (!(seed >= 0 && seed <= 9007199254740991.0)) throw type_error(env, "seed must be a non-negative integer");
    p.seed = uint64_t(seed);
    if (!std::isfinite(p.temperature) || !std::isfinite(p.top_p) || !std::isfinite(p.min_p) ||
        !(p.repeat_penalty > 0) || !std::isfinite(p.repeat_penalty))
      throw type_error(env, "sampler options must be finite (repeatPenalty > 0)");
  }
  sampler_ = std::make_unique<Sampler>(p);
}

Napi::Value SamplerWrap::sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw type_error(env, "logits must be a Float32Array");
  Napi::Float32Array logits = info[0].As<Napi::Float32Array>();
  if (logits.ElementLength() == 0) throw type_error(env, "logits must not be empty");
  return Napi::Number::New(env, sampler_->sample(logits.Data(), int(logits.ElementLength())));
}

Napi::Value SamplerWrap::accept(const Napi::CallbackInfo& info) {
  sampler_->accept(int32_t(arg_int(info, 0, "token", 0, INT32_MAX)));
  return info.Env().Undefined();
}

}  // namespace tome::addon
