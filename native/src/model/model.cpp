#include "model/model.h"

#include "common/error.h"

namespace tome {

std::unique_ptr<Model> Model::load(const std::string& path) {
  std::unique_ptr<Model> m(new Model());
  m->gguf_ = GgufFile::open(path);
  m->hp_ = read_hparams(*m->gguf_);
  m->tok_ = Tokenizer::from_gguf(*m->gguf_);
  if (m->hp_.n_vocab == 0) m->hp_.n_vocab = m->tok_->n_vocab();
  m->w_ = load_weights(*m->gguf_, m->hp_);
  return m;
}

}  // namespace tome
