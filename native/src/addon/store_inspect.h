// inspectStore(path) -> { key: value } of a KV store's meta table (format,
// version, model_fp, tokenizer_fp, settings, n_tokens, index_complete,
// created_ms, last_used_ms, label.*), identity unchecked: for `tome cache list`.
// Throws STORE_NOT_FOUND, STORE_CORRUPT, ...
#pragma once
#include <napi.h>

namespace tome::addon {

Napi::Value inspect_store(const Napi::CallbackInfo& info);

}  // namespace tome::addon
