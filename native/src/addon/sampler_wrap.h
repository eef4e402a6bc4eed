// JS class Sampler: new Sampler({ temperature, topK, topP, minP, repeatPenalty,
// repeatLastN, seed }); sample(logits: Float32Array) -> id; accept(id).
#pragma once
#include <napi.h>

#include <memory>

#include "sampling/sampler.h"

namespace tome::addon {

class SamplerWrap : public Napi::ObjectWrap<SamplerWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit SamplerWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value sample(const Napi::CallbackInfo& info);
  Napi::Value accept(const Napi::CallbackInfo& info);
  std::unique_ptr<Sampler> sampler_;
};

}  // namespace tome::addon
