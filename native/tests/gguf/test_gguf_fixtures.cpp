// The reader on the real GGUF fixtures in <data>/models (facts from its README),
// and a byte-exact rewrite of each through GgufWriter.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "test_harness.h"

using tome::GgmlType;
using tome::GgufFile;

namespace {

std::string model_path(const std::string& name) {
  std::string dir = tome_test::data_dir() + "/models";
  if (!std::filesystem::is_directory(dir)) SKIP("no test data at " + dir);
  return dir + "/" + name;
}

std::unique_ptr<GgufFile> open_model(const std::string& name) { return GgufFile::open(model_path(name)); }

std::map<std::string, int> type_counts(const GgufFile& f) {
  std::map<std::string, int> n;
  for (const auto& t : f.tensors()) n[tome::ggml_type_name(t.type)]++;
  return n;
}

int64_t n_params(const GgufFile& f) {
  int64_t n = 0;
  for (const auto& t : f.tensors()) n += t.n_elements();
  return n;
}

// The data section is exactly the tensors, each padded to the alignment: the last ends at the file end.
void check_data_ends_at_file_end(const GgufFile& f) {
  CHECK_EQ(f.data_offset() % f.alignment(), 0u);
  uint64_t end = f.data_offset();
  for (const auto& t : f.tensors()) {
    CHECK_EQ(t.offset % f.alignment(), 0u);
    CHECK(t.data != nullptr);
    end = std::max(end, f.data_offset() + t.offset + t.nbytes);
  }
  CHECK_EQ(end, f.file_size());
}

void check_llama_hparams(const GgufFile& f, int64_t layers, int64_t embd, int64_t ff, int64_t heads, int64_t kv_heads,
                         int64_t rope_dims, int64_t ctx) {
  CHECK_EQ(*f.get_string("general.architecture"), std::string("llama"));
  CHECK_EQ(*f.get_int("llama.block_count"), layers);
  CHECK_EQ(*f.get_int("llama.embedding_length"), embd);
  CHECK_EQ(*f.get_int("llama.feed_forward_length"), ff);
  CHECK_EQ(*f.get_int("llama.attention.head_count"), heads);
  CHECK_EQ(*f.get_int("llama.attention.head_count_kv"), kv_heads);
  CHECK_EQ(*f.get_int("llama.rope.dimension_count"), rope_dims);
  CHECK_EQ(*f.get_int("llama.context_length"), ctx);
}

void check_vocab_sizes(const GgufFile& f, size_t n_vocab, bool scores, size_t n_merges) {
  const tome::GgufValue* tokens = f.get_array("tokenizer.ggml.tokens");
  CHECK(tokens);
  CHECK(tokens->elem_type == tome::GgufValueType::STRING);
  CHECK_EQ(tokens->array_size(), n_vocab);
  const tome::GgufValue* types = f.get_array("tokenizer.ggml.token_type");
  CHECK(types);
  CHECK(types->elem_type == tome::GgufValueType::INT32);
  CHECK_EQ(types->ints.size(), n_vocab);
  const tome::GgufValue* sc = f.get_array("tokenizer.ggml.scores");
  CHECK_EQ(sc != nullptr, scores);
  if (sc) {
    CHECK(sc->elem_type == tome::GgufValueType::FLOAT32);
    CHECK_EQ(sc->floats.size(), n_vocab);
  }
  const tome::GgufValue* merges = f.get_array("tokenizer.ggml.merges");
  CHECK_EQ(merges ? merges->strs.size() : 0u, n_merges);
}

}  // namespace

TEST(stories260K) {
  auto f = open_model("stories260K.gguf");
  CHECK_EQ(f->version(), 3u);
  CHECK_EQ(f->file_size(), 1185376u);
  CHECK_EQ(f->alignment(), 32u);
  CHECK_EQ(f->metadata().size(), 19u);
  CHECK_EQ(f->tensors().size(), 48u);
  CHECK_EQ(type_counts(*f)["F32"], 48);
  CHECK_EQ(n_params(*f), 292800);
  check_llama_hparams(*f, 5, 64, 172, 8, 4, 8, 2048);
  CHECK_NEAR(*f->get_float("llama.attention.layer_norm_rms_epsilon"), 1e-5, 1e-12);
  CHECK(!f->find("general.file_type"));
  CHECK_EQ(*f->get_string("tokenizer.ggml.model"), std::string("llama"));
  CHECK(!f->get_string("tokenizer.ggml.pre"));
  check_vocab_sizes(*f, 512, true, 0);
  const auto* types = f->get_array("tokenizer.ggml.token_type");
  const auto* tokens = f->get_array("tokenizer.ggml.tokens");
  int n_byte = 0;
  for (size_t i = 0; i < types->ints.size(); ++i) {
    if (types->ints[i] != 6) continue;
    ++n_byte;
    CHECK(tokens->strs[i].size() == 6 && tokens->strs[i].compare(0, 3, "<0x") == 0);
  }
  CHECK_EQ(n_byte, 256);
  // Scores (the README says "all 0.0", which is not so): 0 for the 3 special and
  // 256 byte tokens, then -k for the k-th merged piece.
  const auto& scores = f->get_array("tokenizer.ggml.scores")->floats;
  for (size_t i = 0; i < scores.size(); ++i) CHECK_EQ(scores[i], i < 259 ? 0.0 : -double(i - 259));
  CHECK_EQ(*f->get_int("tokenizer.ggml.unknown_token_id"), 0);
  CHECK_EQ(*f->get_int("tokenizer.ggml.bos_token_id"), 1);
  CHECK_EQ(*f->get_int("tokenizer.ggml.eos_token_id"), 2);
  CHECK_EQ(*f->get_int("tokenizer.ggml.seperator_token_id"), int64_t(0xFFFFFFFF));
  CHECK_EQ(*f->get_int("tokenizer.ggml.padding_token_id"), int64_t(0xFFFFFFFF));
  const auto* embd = f->tensor("token_embd.weight");
  CHECK(embd);
  CHECK_EQ(embd->n_dims, 2u);
  CHECK_EQ(embd->ne[0], 64);
  CHECK_EQ(embd->ne[1], 512);
  CHECK_EQ(embd->nbytes, 64u * 512 * 4);
  CHECK(f->tensor("output.weight"));
  check_data_ends_at_file_end(*f);
}

TEST(tinystories_656k_f16) {
  auto f = open_model("TinyStories-656K.f16.gguf");
  CHECK_EQ(f->file_size(), 1364064u);
  CHECK_EQ(f->metadata().size(), 32u);
  CHECK_EQ(f->tensors().size(), 20u);
  auto n = type_counts(*f);
  CHECK_EQ(n["F16"], 15);
  CHECK_EQ(n["F32"], 5);
  CHECK_EQ(n_params(*f), 656000);
  check_llama_hparams(*f, 2, 128, 384, 8, 4, 16, 512);
  CHECK_NEAR(*f->get_float("llama.attention.layer_norm_rms_epsilon"), 1e-6, 1e-12);
  CHECK_NEAR(*f->get_float("llama.rope.freq_base"), 10000.0, 0);
  CHECK_EQ(*f->get_int("general.file_type"), 1);
  CHECK_EQ(*f->get_int("llama.vocab_size"), 2048);
  CHECK_EQ(*f->get_string("tokenizer.ggml.pre"), std::string("default"));
  check_vocab_sizes(*f, 2048, true, 0);
  for (double s : f->get_array("tokenizer.ggml.scores")->floats) CHECK_EQ(s, -1000.0);
  CHECK_EQ(f->get_array("tokenizer.ggml.tokens")->strs[1], std::string("<|start_story|>"));
  CHECK_EQ(*f->get_bool("tokenizer.ggml.add_bos_token"), true);
  CHECK_EQ(*f->get_bool("tokenizer.ggml.add_eos_token"), false);
  CHECK(!f->tensor("output.weight"));  // tied to token_embd
  CHECK(f->tensor("token_embd.weight")->type == uint32_t(GgmlType::F16));
  check_data_ends_at_file_end(*f);
}

TEST(tinystories_656k_q8_0) {
  auto f = open_model("tinystories-656k-q8_0.gguf");
  CHECK_EQ(f->file_size(), 749216u);
  CHECK_EQ(f->metadata().size(), 25u);
  auto n = type_counts(*f);
  CHECK_EQ(n["Q8_0"], 15);
  CHECK_EQ(n["F32"], 5);
  CHECK_EQ(n_params(*f), 656000);
  CHECK_EQ(*f->get_int("general.file_type"), 7);
  check_llama_hparams(*f, 2, 128, 384, 8, 4, 16, 512);
  check_vocab_sizes(*f, 2048, true, 0);
  const auto* embd = f->tensor("token_embd.weight");
  CHECK_EQ(embd->nbytes, 2048u * (128 / 32) * 34);
  check_data_ends_at_file_end(*f);
}

TEST(tinystories_656k_q2_k_mixed_types) {
  auto f = open_model("TinyStories-656K.Q2_K.gguf");
  CHECK_EQ(f->file_size(), 553120u);
  CHECK_EQ(f->metadata().size(), 34u);
  auto n = type_counts(*f);
  CHECK_EQ(n["IQ4_NL"], 14);
  CHECK_EQ(n["Q8_0"], 1);
  CHECK_EQ(n["F32"], 5);
  CHECK_EQ(n_params(*f), 656000);
  CHECK_EQ(*f->get_int("general.file_type"), 10);
  CHECK(f->tensor("token_embd.weight")->type == uint32_t(GgmlType::Q8_0));
  const auto* langs = f->get_array("general.languages");
  CHECK(langs && langs->strs.size() == 1 && langs->strs[0] == "en");
  CHECK_EQ(*f->get_int("general.dataset.count"), 1);
  check_llama_hparams(*f, 2, 128, 384, 8, 4, 16, 512);
  check_vocab_sizes(*f, 2048, true, 0);
  check_data_ends_at_file_end(*f);
}

TEST(llama2_tiny_random) {
  auto f = open_model("llama-2-tiny-random.gguf");
  CHECK_EQ(f->file_size(), 1750560u);
  CHECK_EQ(f->metadata().size(), 18u);
  auto n = type_counts(*f);
  CHECK_EQ(n["F16"], 9);
  CHECK_EQ(n["F32"], 3);
  CHECK_EQ(n_params(*f), 513048);
  CHECK_EQ(*f->get_string("general.name"), std::string("LLaMA v2"));
  check_llama_hparams(*f, 1, 8, 32, 2, 2, 4, 4096);
  check_vocab_sizes(*f, 32000, true, 0);
  CHECK(!f->find("tokenizer.ggml.add_bos_token"));
  CHECK(!f->get_bool("tokenizer.ggml.add_bos_token"));
  const auto* out = f->tensor("output.weight");
  CHECK(out && out->ne[0] == 8 && out->ne[1] == 32000);
  check_data_ends_at_file_end(*f);
}

TEST(vocab_gpt2) {
  auto f = open_model("vocab/ggml-vocab-gpt-2.gguf");
  CHECK_EQ(f->tensors().size(), 0u);
  CHECK_EQ(f->metadata().size(), 16u);
  CHECK_EQ(*f->get_string("general.architecture"), std::string("gpt2"));
  CHECK_EQ(*f->get_string("tokenizer.ggml.model"), std::string("gpt2"));
  CHECK_EQ(*f->get_string("tokenizer.ggml.pre"), std::string("gpt-2"));
  check_vocab_sizes(*f, 50257, false, 50000);
  CHECK_EQ(*f->get_int("tokenizer.ggml.bos_token_id"), 50256);
  CHECK_EQ(*f->get_int("tokenizer.ggml.eos_token_id"), 50256);
  CHECK_EQ(f->data_offset(), f->file_size());  // ends unpadded after the header
}

TEST(vocab_deepseek_coder) {
  auto f = open_model("vocab/ggml-vocab-deepseek-coder.gguf");
  CHECK_EQ(f->tensors().size(), 0u);
  CHECK_EQ(f->metadata().size(), 25u);
  CHECK_EQ(*f->get_string("tokenizer.ggml.pre"), std::string("deepseek-coder"));
  check_vocab_sizes(*f, 32256, false, 31757);
  CHECK_EQ(*f->get_int("tokenizer.ggml.bos_token_id"), 32013);
  CHECK_EQ(*f->get_int("tokenizer.ggml.eos_token_id"), 32014);
  CHECK_EQ(*f->get_int("tokenizer.ggml.padding_token_id"), 32014);
  CHECK_EQ(*f->get_bool("tokenizer.ggml.add_bos_token"), true);
  CHECK_NEAR(*f->get_float("llama.rope.scaling.factor"), 4.0, 0);
}

TEST(vocab_llama_spm) {
  auto f = open_model("vocab/ggml-vocab-llama-spm.gguf");
  CHECK_EQ(f->tensors().size(), 0u);
  CHECK_EQ(f->metadata().size(), 22u);
  CHECK_EQ(*f->get_string("tokenizer.ggml.model"), std::string("llama"));
  check_vocab_sizes(*f, 32000, true, 0);
  CHECK_EQ(*f->get_int("tokenizer.ggml.bos_token_id"), 1);
  CHECK_EQ(*f->get_int("tokenizer.ggml.eos_token_id"), 2);
  CHECK_EQ(*f->get_bool("tokenizer.ggml.add_bos_token"), true);
}

// Reading every fixture and writing it back with GgufWriter (same keys, values,
// tensors, order) gives the original bytes: both follow the same layout rules.
TEST(fixtures_rewrite_byte_exact) {
  const char* names[] = {"stories260K.gguf", "TinyStories-656K.f16.gguf", "tinystories-656k-q8_0.gguf",
                         "TinyStories-656K.Q2_K.gguf", "llama-2-tiny-random.gguf",
                         "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-deepseek-coder.gguf",
                         "vocab/ggml-vocab-llama-spm.gguf"};
  for (const char* name : names) {
    std::string path = model_path(name);
    auto f = GgufFile::open(path);
    tome::GgufWriter w;
    for (const auto& kv : f->metadata()) w.set_value(kv.key, kv.value);
    for (const auto& t : f->tensors()) {
      std::vector<int64_t> dims(t.ne, t.ne + t.n_dims);
      w.add_tensor(t.name, GgmlType(t.type), dims, t.data, size_t(t.nbytes));
    }
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<uint8_t> rewritten = w.to_bytes();
    CHECK_EQ(rewritten.size(), original.size());
    if (rewritten != original) TOME_FAIL(std::string("rewrite differs: ") + name);
    auto g = GgufFile::from_bytes(std::move(original));
    CHECK_EQ(g->metadata().size(), f->metadata().size());
  }
}

TOME_TEST_MAIN()
