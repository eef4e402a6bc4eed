// inspectStore(path) -> { key: value } of a KV store's meta table (format,
// version, model_fp, tokenizer_fp, settings, n_tokens, index_complete,
// created_ms, last_used_ms, label.*), identity unchecked: for `tome cache list`.
// Throws STORE_NOT_FOUND, STORE_CORRUPT, ...
// removeStoreIfUnused(path) -> "removed" | "in_use" | "absent": deletes a store
// and SQLite's files beside it under the store's own lock (KvStore::remove_if_unused).
#pragma once
#include <napi.h>

namespace tome::addon {

Napi::Value inspect_store(const Napi::CallbackInfo& info);
Napi::Value remove_store_if_unused(const Napi::CallbackInfo& info);

}  // namespace tome::addon
