// A loaded model: the mapped GGUF, its hyperparameters, weights and tokenizer.
// Immutable after load, so many sessions may share one Model.
#pragma once
#include <memory>
#include <string>

#include "gguf/gguf_file.h"
#include "model/hparams.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace tome {

class Model {
 public:
  // Throws tome::Error: GGUF_* (bad file), MODEL_* (bad hparams/tensors),
  // UNSUPPORTED_TYPE, TOKENIZER_*.
  static std::unique_ptr<Model> load(const std::string& path);

  const GgufFile& gguf() const { return *gguf_; }
  const HParams& hparams() const { return hp_; }
  const Weights& weights() const { return w_; }
  const Tokenizer& tokenizer() const { return *tok_; }

 private:
  Model() = default;
  std::unique_ptr<GgufFile> gguf_;
  HParams hp_;
  Weights w_;
  std::unique_ptr<Tokenizer> tok_;
};

}  // namespace tome
