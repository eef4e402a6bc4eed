// JS class Model: new Model(path) loads a GGUF (mmap; weights are not copied).
//   info() -> { arch, nLayer, nEmbd, nHead, nHeadKv, headDim, nFf, nVocab, nCtxTrain,
//               nRot, ropeFreqBase, ropeFreqScale, rmsEps, weightBytes, tiedOutput,
//               tokenizer: { kind, pre, bos, eos, addBos, addEos } }
//   tokenize(text, addSpecial, parseSpecial) -> Int32Array
//   tokenToPiece(id, renderSpecial) -> Buffer (raw bytes)
//   isEog(id) -> boolean
#pragma once
#include <napi.h>

#include <memory>

#include "model/model.h"

namespace tome::addon {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit ModelWrap(const Napi::CallbackInfo& info);
  const Model& model() const { return *model_; }
  std::shared_ptr<const Model> shared() const { return model_; }

 private:
  Napi::Value info(const Napi::CallbackInfo& info);
  Napi::Value tokenize(const Napi::CallbackInfo& info);
  Napi::Value token_to_piece(const Napi::CallbackInfo& info);
  Napi::Value is_eog(const Napi::CallbackInfo& info);

  std::shared_ptr<const Model> model_;
};

}  // namespace tome::addon
