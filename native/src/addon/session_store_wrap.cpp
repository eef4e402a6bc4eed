// Session's KV store methods (see session_wrap.h) and inspectStore(path).
#include "addon/js_errors.h"
#include "addon/session_worker.h"
#include "addon/session_wrap.h"
#include "addon/store_inspect.h"
#include "kvstore/kv_store.h"

namespace tome::addon {

Napi::Value SessionWrap::attach_store(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejecting(env, [&] {
    const std::string path = arg_path(info, 0, "path");
    // optional labels { doc: "...", model: "..." } kept in the store's meta for listings
    std::vector<std::pair<std::string, std::string>> labels;
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      if (!info[1].IsObject()) throw type_error(env, "labels must be an object of strings");
      Napi::Object o = info[1].As<Napi::Object>();
      Napi::Array keys = o.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        Napi::Value k = keys.Get(i), v = o.Get(k);
        if (!v.IsString()) throw type_error(env, "labels must be an object of strings");
        labels.emplace_back(k.ToString().Utf8Value(), v.As<Napi::String>().Utf8Value());
      }
    }
    check_idle(env);
    auto restored = std::make_shared<int64_t>(0);
    return SessionWorker<SessionWrap>::start(
        env, this,
        [this, path, labels, restored] {
          auto store = KvStore::open(path, session_->store_identity());
          for (const auto& [k, v] : labels) store->set_label(k, v);
          *restored = session_->attach_store(std::move(store));
        },
        [restored](Napi::Env e) { return Napi::Number::New(e, double(*restored)); });
  });
}

Napi::Value SessionWrap::flush_store(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return rejecting(env, [&] {
    check_idle(env);
    return SessionWorker<SessionWrap>::start(
        env, this, [this] { session_->flush_store(); }, [](Napi::Env e) { return e.Undefined(); });
  });
}

Napi::Value SessionWrap::store_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const KvStore* s = idle(env).store();
  if (!s) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("path", s->path());
  o.Set("nTokens", double(s->n_tokens()));
  o.Set("indexBuiltAt", double(s->index_built_at()));
  o.Set("indexComplete", s->index_complete());
  o.Set("droppedBelow", double(s->dropped_below()));
  return o;
}

Napi::Value SessionWrap::store_identity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const StoreIdentity id = guarded(env, [&] { return idle(env).store_identity(); });
  Napi::Object o = Napi::Object::New(env);
  o.Set("modelFp", id.model_fp);
  o.Set("tokenizerFp", id.tokenizer_fp);
  o.Set("settings", id.settings);
  return o;
}

Napi::Value SessionWrap::residency(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ResidencyStats st = idle(env).residency();
  Napi::Object o = Napi::Object::New(env);
  o.Set("hits", double(st.hits));
  o.Set("rowsRead", double(st.misses));
  o.Set("rowsFromSpill", double(st.spill_reads));
  o.Set("storeReads", double(st.store_reads));
  o.Set("evictions", double(st.evictions));
  o.Set("unitsReleased", double(st.units_released));
  o.Set("residentBytes", double(st.resident_bytes));
  o.Set("indexBytes", double(st.fixed_bytes));
  o.Set("budgetBytes", double(st.budget_bytes));
  o.Set("peakBytes", double(st.peak_bytes));
  o.Set("spillWrites", double(st.spill_writes));
  o.Set("spillBytes", double(st.spill_bytes));
  o.Set("indexesPaged", st.indexes_paged);
  o.Set("indexCacheBytes", double(st.index_cache_bytes));
  o.Set("indexHits", double(st.index_hits));
  o.Set("indexReads", double(st.index_reads));
  o.Set("indexWritebacks", double(st.index_writebacks));
  o.Set("indexEvictions", double(st.index_evictions));
  o.Set("indexSpillBytes", double(st.index_spill_bytes));
  o.Set("codesPaged", st.codes_paged);
  o.Set("codeHits", double(st.code_hits));
  o.Set("codeReads", double(st.code_reads));
  return o;
}

Napi::Value inspect_store(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = arg_path(info, 0, "path");
  const auto meta = guarded(env, [&] { return KvStore::read_meta(path); });
  Napi::Object o = Napi::Object::New(env);
  for (const auto& [k, v] : meta) o.Set(k, v);
  return o;
}

Napi::Value remove_store_if_unused(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = arg_path(info, 0, "path");
  const KvStore::Removal r = guarded(env, [&] { return KvStore::remove_if_unused(path); });
  return Napi::String::New(env, r == KvStore::Removal::kRemoved ? "removed" : r == KvStore::Removal::kInUse ? "in_use" : "absent");
}

}  // namespace tome::addon
