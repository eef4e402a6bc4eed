// inspectGguf(path): the header, metadata and tensor table of a GGUF as a plain
// JS object (large arrays summarized by length and first items).
#pragma once
#include <napi.h>

namespace tome::addon {
Napi::Value inspect_gguf(const Napi::CallbackInfo& info);
}
