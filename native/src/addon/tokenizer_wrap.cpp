#include "addon/tokenizer_wrap.h"

#include "addon/js_errors.h"

namespace tome::addon {

Napi::Value tokenize_js(const Napi::CallbackInfo& info, const Tokenizer& tok) {
  Napi::Env env = info.Env();
  std::string text = arg_string(info, 0, "text");
  bool add_special = arg_bool(info, 1, false);
  bool parse_special = arg_bool(info, 2, false);
  return guarded(env, [&]() -> Napi::Value {
    std::vector<int32_t> ids = tok.encode(text, add_special, parse_special);
    Napi::Int32Array out = Napi::Int32Array::New(env, ids.size());
    std::copy(ids.begin(), ids.end(), out.Data());
    return out;
  });
}

Napi::Value token_to_piece_js(const Napi::CallbackInfo& info, const Tokenizer& tok) {
  Napi::Env env = info.Env();
  int64_t id = arg_int(info, 0, "id", 0, tok.n_vocab() - 1);
  bool special = arg_bool(info, 1, false);
  return guarded(env, [&]() -> Napi::Value {
    std::string piece = tok.token_to_piece(int32_t(id), special);
    return Napi::Buffer<char>::Copy(env, piece.data(), piece.size());
  });
}

Napi::Function TokenizerWrap::define(Napi::Env env) {
  return DefineClass(env, "Tokenizer",
                     {InstanceMethod("tokenize", &TokenizerWrap::tokenize),
                      InstanceMethod("tokenToPiece", &TokenizerWrap::token_to_piece),
                      InstanceMethod("isEog", &TokenizerWrap::is_eog), InstanceMethod("nVocab", &TokenizerWrap::n_vocab)});
}

TokenizerWrap::TokenizerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TokenizerWrap>(info) {
  std::string path = arg_path(info, 0, "path");
  guarded(info.Env(), [&] {
    auto g = GgufFile::open(path);
    tok_ = Tokenizer::from_gguf(*g);
  });
}

Napi::Value TokenizerWrap::tokenize(const Napi::CallbackInfo& info) { return tokenize_js(info, *tok_); }
Napi::Value TokenizerWrap::token_to_piece(const Napi::CallbackInfo& info) { return token_to_piece_js(info, *tok_); }
Napi::Value TokenizerWrap::is_eog(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), tok_->is_eog(int32_t(arg_int(info, 0, "id", INT32_MIN, INT32_MAX))));
}
Napi::Value TokenizerWrap::n_vocab(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), tok_->n_vocab());
}

}  // namespace tome::addon
