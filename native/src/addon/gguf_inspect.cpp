#include "addon/gguf_inspect.h"

#include "addon/js_errors.h"
#include "gguf/gguf_file.h"

namespace tome::addon {

namespace {

constexpr size_t kArrayPreview = 8;

Napi::Value scalar(Napi::Env env, const GgufValue& v) {
  switch (v.type) {
    case GgufValueType::STRING: return Napi::String::New(env, v.str);
    case GgufValueType::BOOL: return Napi::Boolean::New(env, v.i != 0);
    case GgufValueType::FLOAT32:
    case GgufValueType::FLOAT64: return Napi::Number::New(env, v.f);
    case GgufValueType::UINT64: return Napi::Number::New(env, double(uint64_t(v.i)));
    default: return Napi::Number::New(env, double(v.i));
  }
}

Napi::Value value(Napi::Env env, const GgufValue& v) {
  if (v.type != GgufValueType::ARRAY) return scalar(env, v);
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", "array");
  o.Set("elementType", gguf_value_type_name(v.elem_type));
  o.Set("length", double(v.array_size()));
  Napi::Array items = Napi::Array::New(env);
  size_t n = std::min(v.array_size(), kArrayPreview);
  for (size_t i = 0; i < n; ++i) {
    if (!v.strs.empty()) items.Set(uint32_t(i), v.strs[i]);
    else if (!v.ints.empty()) items.Set(uint32_t(i), double(v.ints[i]));
    else if (!v.floats.empty()) items.Set(uint32_t(i), v.floats[i]);
  }
  o.Set("head", items);
  return o;
}

}  // namespace

Napi::Value inspect_gguf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = arg_path(info, 0, "path");
  return guarded(env, [&]() -> Napi::Value {
    auto g = GgufFile::open(path);
    Napi::Object out = Napi::Object::New(env);
    out.Set("version", g->version());
    out.Set("fileSize", double(g->file_size()));
    out.Set("alignment", double(g->alignment()));
    out.Set("dataOffset", double(g->data_offset()));
    Napi::Object md = Napi::Object::New(env);
    for (const GgufKV& kv : g->metadata()) md.Set(kv.key, value(env, kv.value));
    out.Set("metadata", md);
    Napi::Array tensors = Napi::Array::New(env, g->tensors().size());
    uint32_t i = 0;
    for (const GgufTensorInfo& t : g->tensors()) {
      Napi::Object to = Napi::Object::New(env);
      to.Set("name", t.name);
      to.Set("type", ggml_type_name(t.type));
      const GgmlTypeTraits* tr = ggml_type_traits(t.type);
      to.Set("supported", tr != nullptr && tr->supported);
      Napi::Array shape = Napi::Array::New(env, t.n_dims);
      for (uint32_t d = 0; d < t.n_dims; ++d) shape.Set(d, double(t.ne[d]));
      to.Set("shape", shape);
      to.Set("bytes", double(t.nbytes));
      tensors.Set(i++, to);
    }
    out.Set("tensors", tensors);
    return out;
  });
}

}  // namespace tome::addon
