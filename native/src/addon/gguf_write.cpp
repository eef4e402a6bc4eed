#include "addon/gguf_write.h"

#include <cmath>

#include "addon/js_errors.h"
#include "gguf/gguf_writer.h"

namespace tome::addon {

namespace {

Napi::Array array_of(const Napi::Value& v, const std::string& key) {
  if (!v.IsArray()) throw type_error(v.Env(), "value of '" + key + "' must be an array");
  return v.As<Napi::Array>();
}

double number_of(const Napi::Value& v, const std::string& key) {
  if (!v.IsNumber()) throw type_error(v.Env(), "value of '" + key + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

// A whole number in int32's range: a cast of NaN or 1e12 to int32_t is undefined
// behaviour (on x86 INT_MIN, written into the file as if asked for).
int32_t i32_of(const Napi::Value& v, const std::string& key) {
  const double d = number_of(v, key);
  if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != std::floor(d)) throw type_error(v.Env(), "'" + key + "' must hold i32 values");
  return int32_t(d);
}

void add_entry(GgufWriter& w, const Napi::Object& e) {
  Napi::Env env = e.Env();
  if (!e.Get("key").IsString() || !e.Get("type").IsString()) throw type_error(env, "each entry needs string key and type");
  const std::string key = e.Get("key").As<Napi::String>().Utf8Value();
  const std::string type = e.Get("type").As<Napi::String>().Utf8Value();
  const Napi::Value v = e.Get("value");
  if (type == "string") {
    if (!v.IsString()) throw type_error(env, "value of '" + key + "' must be a string");
    w.set_string(key, v.As<Napi::String>().Utf8Value());
  } else if (type == "u32") {
    double d = number_of(v, key);
    if (!(d >= 0 && d <= 4294967295.0) || d != std::floor(d)) throw type_error(env, "'" + key + "' must be a u32");
    w.set_u32(key, uint32_t(d));
  } else if (type == "i32") {
    w.set_i32(key, i32_of(v, key));
  } else if (type == "f32") {
    w.set_f32(key, float(number_of(v, key)));
  } else if (type == "bool") {
    if (!v.IsBoolean()) throw type_error(env, "value of '" + key + "' must be a boolean");
    w.set_bool(key, v.As<Napi::Boolean>().Value());
  } else if (type == "string[]") {
    Napi::Array a = array_of(v, key);
    std::vector<std::string> out(a.Length());
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value s = a.Get(i);
      if (!s.IsString()) throw type_error(env, "'" + key + "' must hold strings");
      out[i] = s.As<Napi::String>().Utf8Value();
    }
    w.set_array_str(key, std::move(out));
  } else if (type == "i32[]") {
    Napi::Array a = array_of(v, key);
    std::vector<int32_t> out(a.Length());
    for (uint32_t i = 0; i < a.Length(); ++i) out[i] = i32_of(a.Get(i), key);
    w.set_array_i32(key, out);
  } else if (type == "f32[]") {
    Napi::Array a = array_of(v, key);
    std::vector<float> out(a.Length());
    for (uint32_t i = 0; i < a.Length(); ++i) out[i] = float(number_of(a.Get(i), key));
    w.set_array_f32(key, out);
  } else {
    throw type_error(env, "unknown entry type '" + type + "'");
  }
}

}  // namespace

Napi::Value write_gguf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw type_error(env, "entries must be an array");
  std::string path = arg_path(info, 1, "path");
  Napi::Array entries = info[0].As<Napi::Array>();
  return guarded(env, [&]() -> Napi::Value {
    GgufWriter w;
    for (uint32_t i = 0; i < entries.Length(); ++i) {
      Napi::Value e = entries.Get(i);
      if (!e.IsObject()) throw type_error(env, "each entry must be an object");
      add_entry(w, e.As<Napi::Object>());
    }
    w.write_to_file(path);
    return env.Undefined();
  });
}

}  // namespace tome::addon
