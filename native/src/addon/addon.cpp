// tome_cpu.node: the engine's Node-API surface. Classes Model, Session, Sampler;
// functions inspectGguf, inspectStore, cpuFeatures. Every native failure reaches JS as an
// Error with `.code`; bad arguments as TypeErrors with code ERR_INVALID_ARG.
#include <napi.h>

#include "addon/gguf_inspect.h"
#include "addon/js_errors.h"
#include "addon/gguf_write.h"
#include "addon/model_wrap.h"
#include "addon/sampler_wrap.h"
#include "addon/session_wrap.h"
#include "addon/store_inspect.h"
#include "addon/tokenizer_wrap.h"
#include "addon/synthetic_model.h"
#include "cpu/cpu_features.h"

namespace tome::addon {

namespace {

struct AddonData {
  Napi::FunctionReference model_ctor;
  Napi::FunctionReference session_ctor;
  Napi::FunctionReference sampler_ctor;
  Napi::FunctionReference tokenizer_ctor;
};

Napi::Value cpu_features_js(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  const CpuFeatures& f = cpu_features();
  o.Set("avx2", f.avx2);
  o.Set("fma", f.fma);
  o.Set("f16c", f.f16c);
  o.Set("avx512", f.avx512);
  o.Set("avx512vnni", f.avx512vnni);
  o.Set("avxvnni", f.avxvnni);
  o.Set("simd", simd_enabled());
  return o;
}

Napi::Value set_force_scalar_js(const Napi::CallbackInfo& info) {
  set_force_scalar(arg_bool(info, 0, false));
  return info.Env().Undefined();
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);  // freed by Node at env teardown
  Napi::Function model = ModelWrap::define(env);
  data->model_ctor = Napi::Persistent(model);
  Napi::Function session = SessionWrap::define(env, &data->model_ctor);
  data->session_ctor = Napi::Persistent(session);
  Napi::Function sampler = SamplerWrap::define(env);
  data->sampler_ctor = Napi::Persistent(sampler);
  Napi::Function tokenizer = TokenizerWrap::define(env);
  data->tokenizer_ctor = Napi::Persistent(tokenizer);
  exports.Set("Tokenizer", tokenizer);
  exports.Set("Model", model);
  exports.Set("Session", session);
  exports.Set("Sampler", sampler);
  exports.Set("writeGguf", Napi::Function::New(env, write_gguf));
  exports.Set("inspectGguf", Napi::Function::New(env, inspect_gguf));
  exports.Set("inspectStore", Napi::Function::New(env, inspect_store));
  exports.Set("removeStoreIfUnused", Napi::Function::New(env, remove_store_if_unused));
  exports.Set("writeSyntheticModel", Napi::Function::New(env, write_synthetic_model));
  exports.Set("cpuFeatures", Napi::Function::New(env, cpu_features_js));
  exports.Set("setForceScalar", Napi::Function::New(env, set_force_scalar_js));
  return exports;
}

}  // namespace

}  // namespace tome::addon

static Napi::Object init_tome_cpu(Napi::Env env, Napi::Object exports) { return tome::addon::init(env, exports); }

NODE_API_MODULE(tome_cpu, init_tome_cpu)
