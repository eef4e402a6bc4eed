// writeGguf(entries, path): writes a metadata-only GGUF (no tensors), e.g. a
// vocabulary built from a Hugging Face tokenizer.json. entries:
//   [{ key, type: "string"|"u32"|"i32"|"f32"|"bool"|"string[]"|"i32[]"|"f32[]", value }]
#pragma once
#include <napi.h>

namespace tome::addon {
Napi::Value write_gguf(const Napi::CallbackInfo& info);
}
