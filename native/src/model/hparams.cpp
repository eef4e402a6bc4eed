#include "model/hparams.h"

#include <string>

#include "common/error.h"
#include "gguf/gguf_file.h"

namespace tome {

namespace {

int64_t require_int(const GgufFile& g, const std::string& key) {
  auto v = g.get_int(key);
  if (!v) throw Error("MODEL_HPARAMS", "missing metadata key '" + key + "'");
  return *v;
}

int checked_dim(int64_t v, const std::string& key, int64_t max) {
  if (v <= 0 || v > max)
    throw Error("MODEL_HPARAMS", "metadata '" + key + "' = " + std::to_string(v) + " is out of range (1.." +
                                     std::to_string(max) + ")");
  return int(v);
}

}  // namespace

HParams read_hparams(const GgufFile& g) {
  HParams hp;
  auto arch = g.get_string("general.architecture");
  if (!arch) throw Error("MODEL_ARCH", "missing 'general.architecture'");
  hp.arch_name = *arch;
  if (*arch == "llama") {
    hp.arch = Arch::LLAMA;
    hp.rope_style = RopeStyle::NORM;
  } else if (*arch == "qwen2") {
    hp.arch = Arch::QWEN2;
    hp.rope_style = RopeStyle::NEOX;
  } else if (*arch == "qwen3") {
    hp.arch = Arch::QWEN3;
    hp.rope_style = RopeStyle::NEOX;
  } else {
    throw Error("MODEL_ARCH", "unsupported architecture '" + *arch + "' (tome runs llama, qwen2 and qwen3)");
  }
  const std::string a = *arch + ".";
  hp.n_layer = checked_dim(require_int(g, a + "block_count"), a + "block_count", 4096);
  hp.n_embd = checked_dim(require_int(g, a + "embedding_length"), a + "embedding_length", 1 << 17);
  hp.n_ff = checked_dim(require_int(g, a + "feed_forward_length"), a + "feed_forward_length", 1 << 20);
  hp.n_head = checked_dim(require_int(g, a + "attention.head_count"), a + "attention.head_count", 4096);
  hp.n_head_kv = checked_dim(g.get_int(a + "attention.head_count_kv").value_or(hp.n_head),
                             a + "attention.head_count_kv", hp.n_head);
  if (hp.n_head % hp.n_head_kv != 0)
    throw Error("MODEL_HPARAMS", "head_count " + std::to_string(hp.n_head) + " is not a multiple of head_count_kv " +
                                     std::to_string(hp.n_head_kv));
  if (hp.n_embd % hp.n_head != 0 && !g.find(a + "attention.key_length"))
    throw Error("MODEL_HPARAMS", "embedding_length is not a multiple of head_count");
  hp.head_dim = checked_dim(g.get_int(a + "attention.key_length").value_or(hp.n_embd / hp.n_head),
                            a + "attention.key_length", 1024);
  int64_t vlen = g.get_int(a + "attention.value_length").value_or(hp.head_dim);
  if (vlen != hp.head_dim)
    throw Error("MODEL_HPARAMS", "value_length != key_length is not supported");
  hp.n_ctx_train = checked_dim(g.get_int(a + "context_length").value_or(2048), a + "context_length", 1 << 30);
  hp.n_rot = checked_dim(g.get_int(a + "rope.dimension_count").value_or(hp.head_dim), a + "rope.dimension_count",
                         hp.head_dim);
  if (hp.n_rot % 2 != 0) throw Error("MODEL_HPARAMS", "rope.dimension_count must be even");
  hp.rms_eps = float(g.get_float(a + "attention.layer_norm_rms_epsilon").value_or(1e-5));
  if (!(hp.rms_eps > 0 && hp.rms_eps < 1)) throw Error("MODEL_HPARAMS", "layer_norm_rms_epsilon out of range");
  hp.rope_freq_base = float(g.get_float(a + "rope.freq_base").value_or(10000.0));
  if (!(hp.rope_freq_base > 1)) throw Error("MODEL_HPARAMS", "rope.freq_base out of range");

  // Linear RoPE scaling (rope.scaling.type = linear, factor f): positions / f.
  auto scaling = g.get_string(a + "rope.scaling.type");
  double factor = g.get_float(a + "rope.scaling.factor").value_or(0.0);
  if (!scaling && factor == 0.0) factor = 0.0;
  if (scaling && *scaling != "none" && *scaling != "linear")
    throw Error("MODEL_HPARAMS", "rope scaling '" + *scaling + "' is not supported (none, linear)");
  if (scaling && *scaling == "linear" && factor > 0) hp.rope_freq_scale = float(1.0 / factor);
  if (auto s = g.get_float(a + "rope.scale_linear"); s && *s > 0) hp.rope_freq_scale = float(1.0 / *s);

  auto tokens = g.get_array("tokenizer.ggml.tokens");
  hp.n_vocab = int(g.get_int(a + "vocab_size").value_or(tokens ? int64_t(tokens->array_size()) : 0));
  return hp;
}

}  // namespace tome
