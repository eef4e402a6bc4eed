// The synthetic writer's K-quant mixes (kquant_mix.h) against llama.cpp's own quantizer:
// a synthetic f16 model quantized by llama_model_quantize (libllama of node-llama-cpp's
// build, loaded with dlopen) to Q3_K_M / Q4_K_M / Q5_K_M has every tensor in the type the
// writer gives it in the same model's q*_k_m file: the recipe (use_more_bits, the tied
// embedding as the output, a fused QKV as attn_v, 8 experts' Q8_0 attention) and the
// fallbacks of the smol shape's 576-wide rows. One difference is by design (README,
// synthetic_model.h): where a Q3_K row does not fit, the writer takes IQ4_NL as the
// quantizer behind most published files did, this build Q4_0.
#include <dlfcn.h>

#include <cstdint>
#include <string>

#include "cpu/thread_pool.h"
#include "gguf/gguf_file.h"
#include "ggml_library.h"
#include "model/kquant_mix.h"
#include "model/synthetic_model.h"
#include "temp_dir.h"
#include "test_harness.h"

using tome::GgmlType;
using tome::KQuantMix;

namespace {

// llama.h's llama_model_quantize_params of this release (its defaults come from
// llama_model_quantize_default_params; only nthread and ftype are set here).
struct QuantizeParams {
  int32_t nthread;
  int32_t ftype;
  int32_t output_tensor_type;
  int32_t token_embedding_type;
  bool allow_requantize, quantize_output_tensor, only_copy, pure, keep_split, dry_run;
  const void* imatrix;
  const void* kv_overrides;
  const void* tt_overrides;
  const int32_t* prune_layers;
  size_t max_buf_size;
};

struct LlamaQuantizer {
  QuantizeParams (*default_params)() = nullptr;
  uint32_t (*quantize)(const char* in, const char* out, const QuantizeParams* params) = nullptr;
};

LlamaQuantizer load_quantizer() {
  const std::string path = ggml_library::lib_dir() + "/libllama.v0.4.0.so";
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) SKIP("cannot load " + path + " (npm install brings node-llama-cpp)");
  LlamaQuantizer q;
  q.default_params = reinterpret_cast<QuantizeParams (*)()>(dlsym(lib, "llama_model_quantize_default_params"));
  q.quantize = reinterpret_cast<uint32_t (*)(const char*, const char*, const QuantizeParams*)>(
      dlsym(lib, "llama_model_quantize"));
  if (!q.default_params || !q.quantize) TOME_FAIL("libllama has no llama_model_quantize");
  // its progress lines off (llama_log_set with a callback that drops them)
  using LogFn = void (*)(int level, const char* text, void* user);
  if (auto set_log = reinterpret_cast<void (*)(LogFn, void*)>(dlsym(lib, "llama_log_set")))
    set_log([](int, const char*, void*) {}, nullptr);
  return q;
}

struct MixCase {
  const char* arch;
  KQuantMix mix;
  int llama_ftype;  // LLAMA_FTYPE_MOSTLY_Q3_K_M 12, Q4_K_M 15, Q5_K_M 17
  int layers;
  int experts;
};

// A 512-token vocabulary (llama's SentencePiece): the embedding matrices stay small.
std::string vocab_path() { return tome_test::data_dir() + "/models/stories260K.gguf"; }

void write_model(const MixCase& c, GgmlType type, KQuantMix mix, const std::string& out) {
  tome::SyntheticModelSpec spec;
  spec.arch = c.arch;
  spec.shape = "smol";
  spec.layers = c.layers;
  spec.experts = c.experts;
  spec.type = type;
  spec.mix = mix;
  spec.vocab_path = vocab_path();
  spec.out_path = out;
  tome::ThreadPool pool(2);
  tome::write_synthetic_model(spec, pool);
}

std::string type_name(uint32_t t) { return tome::ggml_type_name(t); }

}  // namespace

TEST(mixes_match_llama_cpp_quantizer) {
  if (FILE* f = std::fopen(vocab_path().c_str(), "rb")) std::fclose(f);
  else SKIP("test data not found (../shared or $TOME_TEST_DATA)");
  const LlamaQuantizer llama = load_quantizer();
  const MixCase cases[] = {
      {"llama", KQuantMix::kQ4_K_M, 15, 8, 0},   {"llama", KQuantMix::kQ3_K_M, 12, 4, 0},
      {"llama", KQuantMix::kQ5_K_M, 17, 4, 0},   {"phi3", KQuantMix::kQ4_K_M, 15, 4, 0},
      {"qwen3moe", KQuantMix::kQ4_K_M, 15, 2, 8}, {"qwen3moe", KQuantMix::kQ3_K_M, 12, 2, 8},
  };
  tome_test::TempDir dir;
  for (const MixCase& c : cases) {
    const std::string label = std::string(c.arch) + " ftype " + std::to_string(c.llama_ftype);
    const std::string f16 = dir.file("f16.gguf"), theirs = dir.file("llama.gguf"), ours = dir.file("tome.gguf");
    write_model(c, GgmlType::F16, KQuantMix::kNone, f16);
    QuantizeParams p = llama.default_params();
    p.nthread = 2;
    p.ftype = c.llama_ftype;
    if (llama.quantize(f16.c_str(), theirs.c_str(), &p) != 0) TOME_FAIL(label + ": llama_model_quantize failed");
    write_model(c, tome::kquant_mix_base(c.mix), c.mix, ours);
    auto a = tome::GgufFile::open(theirs), b = tome::GgufFile::open(ours);
    CHECK_EQ(a->tensors().size(), b->tensors().size());
    // the mix's name as llama.cpp's quantizer writes it (llama_ftype)
    CHECK_EQ(a->get_int("general.file_type").value_or(-1), b->get_int("general.file_type").value_or(-2));
    const int n_layer = c.layers, n_expert = c.experts;
    const bool tied = b->tensor("output.weight") == nullptr;
    int q6 = 0;
    for (const tome::GgufTensorInfo& t : b->tensors()) {
      const tome::GgufTensorInfo* l = a->tensor(t.name);
      if (!l) TOME_FAIL(label + ": llama.cpp's file has no " + t.name);
      const GgmlType planned = tome::kquant_mix_type(c.mix, t.name, n_layer, n_expert, tied);
      const bool q3_fallback = planned == GgmlType::Q3_K && t.type == uint32_t(GgmlType::IQ4_NL) &&
                               l->type == uint32_t(GgmlType::Q4_0);
      if (l->type != t.type && !q3_fallback)
        TOME_FAIL(label + ": " + t.name + " is " + type_name(t.type) + ", llama.cpp's " + type_name(l->type));
      q6 += t.type == uint32_t(GgmlType::Q6_K);
    }
    // the mixes do put matrices in Q6_K here (1536-wide ffn_down rows fit its blocks)
    if (c.mix != KQuantMix::kQ3_K_M && q6 == 0) TOME_FAIL(label + ": no Q6_K matrix");
  }
}

TOME_TEST_MAIN()
