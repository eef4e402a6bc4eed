// Conversion of native failures into JS errors carrying `.code`, and argument
// checks that throw uniform TypeErrors (code ERR_INVALID_ARG).
#pragma once
#include <napi.h>

#include <string>

#include "common/error.h"

namespace tome::addon {

inline Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

inline Napi::Error to_js(Napi::Env env, const tome::Error& e) { return make_error(env, e.code(), e.what()); }

// Runs fn, turning tome::Error and std::exception into JS exceptions.
template <class Fn>
auto guarded(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const tome::Error& e) {
    throw to_js(env, e);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw make_error(env, "OUT_OF_MEMORY", "out of memory");
  } catch (const std::exception& e) {
    throw make_error(env, "INTERNAL", e.what());
  }
}

// Runs start, a promise-returning method's body: what it throws (a bad
// argument, a busy or closed session, a native error as guarded() converts
// it) comes back as a rejected promise, so that every failure of such a
// method reaches its caller's await, as its job's own errors do, and none is
// thrown at the call.
template <class Fn>
Napi::Value rejecting(Napi::Env env, Fn&& start) {
  try {
    return guarded(env, start);
  } catch (const Napi::Error& e) {
    Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
    d.Reject(e.Value());
    return d.Promise();
  }
}

inline Napi::TypeError type_error(Napi::Env env, const std::string& what) {
  Napi::TypeError e = Napi::TypeError::New(env, what);
  e.Set("code", Napi::String::New(env, "ERR_INVALID_ARG"));
  return e;
}

inline std::string arg_string(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsString()) throw type_error(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

// A file path from JS must not hold a NUL byte: the C library stops at the first
// one, so "/data/tome.db\0.gguf" opens, creates or replaces /data/tome.db while
// the caller checked (a folder, an extension) a different name. Node's fs refuses
// such paths for the same reason.
inline void check_path(Napi::Env env, const std::string& path, const std::string& name) {
  if (path.find('\0') != std::string::npos) throw type_error(env, name + " must not contain a NUL byte");
}

inline std::string arg_path(const Napi::CallbackInfo& info, size_t i, const char* name) {
  std::string path = arg_string(info, i, name);
  check_path(info.Env(), path, name);
  return path;
}

inline bool arg_bool(const Napi::CallbackInfo& info, size_t i, bool dflt) {
  if (info.Length() <= i || info[i].IsUndefined()) return dflt;
  if (!info[i].IsBoolean()) throw type_error(info.Env(), "argument " + std::to_string(i) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

inline int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi) {
  if (info.Length() <= i || !info[i].IsNumber()) throw type_error(info.Env(), std::string(name) + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= double(lo) && d <= double(hi)) || d != double(int64_t(d)))
    throw type_error(info.Env(), std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
                                     std::to_string(hi) + "]");
  return int64_t(d);
}

inline Napi::Float32Array arg_float32_array(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw type_error(info.Env(), std::string(name) + " must be a Float32Array");
  return info[i].As<Napi::Float32Array>();
}

// Reads an optional numeric field of an options object.
inline double opt_number(const Napi::Object& o, const char* key, double dflt) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  if (!v.IsNumber()) throw type_error(o.Env(), std::string("option '") + key + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

}  // namespace tome::addon
