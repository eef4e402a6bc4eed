// writeSyntheticModel({ arch, shape, type, vocab, out, seed }) -> Promise<void>
// (the GGUF is generated on a worker thread).
#pragma once
#include <napi.h>

namespace tome::addon {
Napi::Value write_synthetic_model(const Napi::CallbackInfo& info);
}
