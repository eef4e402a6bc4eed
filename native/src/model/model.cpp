#include "model/model.h"

#include "common/error.h"
#include "model/weight_interleave.h"

namespace tome {

std::unique_ptr<Model> Model::load(const std::string& path) {
  std::unique_ptr<Model> m(new Model());
  m->gguf_ = GgufFile::open(path);
  m->hp_ = read_hparams(*m->gguf_);
  m->tok_ = Tokenizer::from_gguf(*m->gguf_);
  if (m->hp_.n_vocab == 0) m->hp_.n_vocab = m->tok_->n_vocab();
  m->w_ = load_weights(*m->gguf_, m->hp_);
  interleave_weights(m->w_, m->hp_, *m->gguf_, default_interleave_budget());
  return m;
}

}  // namespace tome
