// JS class Tokenizer: new Tokenizer(path) reads only the GGUF's tokenizer
// metadata (works on vocab-only files). tokenize / tokenToPiece / isEog / nVocab.
#pragma once
#include <napi.h>

#include <memory>

#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace tome::addon {

class TokenizerWrap : public Napi::ObjectWrap<TokenizerWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit TokenizerWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value tokenize(const Napi::CallbackInfo& info);
  Napi::Value token_to_piece(const Napi::CallbackInfo& info);
  Napi::Value is_eog(const Napi::CallbackInfo& info);
  Napi::Value n_vocab(const Napi::CallbackInfo& info);
  std::unique_ptr<Tokenizer> tok_;
};

// Shared by ModelWrap and TokenizerWrap.
Napi::Value tokenize_js(const Napi::CallbackInfo& info, const Tokenizer& tok);
Napi::Value token_to_piece_js(const Napi::CallbackInfo& info, const Tokenizer& tok);

}  // namespace tome::addon
