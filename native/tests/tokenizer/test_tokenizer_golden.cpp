// tome's tokenizer against llama.cpp's answers recorded in
// golden/tokenizer_golden.json (written by native/tools/make-tokenizer-golden.mjs
// through node-llama-cpp). Per fixture GGUF:
//   tokens   encode(text, false, parse_special) for >= 300 strings, both modes
//   pieces   token_to_piece for every (or a sample of) token id, both modes
//   facts    token types after llama.cpp's fix-ups, end-of-generation ids,
//            BOS/EOS and whether they are added
//   books    whole books: token count and FNV-1a 64 of the ids
// and per pre-tokenizer, the word splits against JS RegExp running the same
// regex list.
//
// Where llama.cpp aborts (TinyStories-656K: a character with no token and no
// byte token; llama.cpp's byte fallback throws), the golden holds null and tome
// is only required to answer with the UNK id in place of that character.
#include <cstring>

#include "gguf_patch.h"
#include "mini_json.h"
#include "tok_test_util.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/utf8.h"

using namespace tok_test;

namespace {

const mini_json::Value& golden() {
  static const mini_json::Value g = [] {
    const std::string path = std::string(TOME_SOURCE_ROOT) + "/native/tests/tokenizer/golden/tokenizer_golden.json";
    if (!file_exists(path)) TOME_FAIL("missing " + path + " (node native/tools/make-tokenizer-golden.mjs)");
    return mini_json::parse(read_file(path));
  }();
  return g;
}

// A golden model entry is a fixture file plus optional metadata edits; `variant`
// names the edits: "" (none), "key=value" or "-key" (removed), joined by ' '.
std::string describe_patch(const mini_json::Value& patch) {
  std::string d;
  for (const auto& e : patch.arr) {
    if (!d.empty()) d += " ";
    const std::string& op = e["op"].str;
    if (op == "remove") d += "-" + e["key"].str;
    else if (op == "set_bool") d += e["key"].str + "=" + (e["value"].b ? "true" : "false");
    else d += e["key"].str + "=" + e["value"].str;
  }
  return d;
}

const mini_json::Value& golden_model(const std::string& file, const std::string& variant) {
  for (const auto& m : golden()["models"].arr)
    if (m["file"].str == file && describe_patch(m["patch"]) == variant) return m;
  TOME_FAIL("golden has no model " + file + " [" + variant + "]");
}

// The fixture with the golden entry's edits applied.
Loaded load_variant(const std::string& file, const std::string& variant) {
  if (variant.empty()) return load(file);
  const std::string path = models_dir() + "/" + file;
  if (!file_exists(path)) SKIP("missing fixture " + path);
  std::vector<gguf_patch::Edit> edits;
  for (const auto& e : golden_model(file, variant)["patch"].arr) {
    const std::string& op = e["op"].str;
    if (op == "remove") edits.push_back({gguf_patch::Edit::REMOVE, e["key"].str, "", false});
    else if (op == "set_bool") edits.push_back({gguf_patch::Edit::SET_BOOL, e["key"].str, "", e["value"].b});
    else edits.push_back({gguf_patch::Edit::SET_STRING, e["key"].str, e["value"].str, false});
  }
  const std::string raw = read_file(path);
  Loaded l;
  l.gguf = tome::GgufFile::from_bytes(gguf_patch::apply(std::vector<uint8_t>(raw.begin(), raw.end()), edits));
  l.tok = tome::Tokenizer::from_gguf(*l.gguf);
  return l;
}

// llama_detokenize's clean_up_tokenization_spaces passes (llama-vocab.cpp),
// written the same way, in place, because the index juggling of the second
// pass decides edge cases.
std::string clean_spaces(std::string t) {
  int32_t total = int32_t(t.size());
  char* text = &t[0];
  // 1: " ?" " !" " ." " ," lose the space
  const int32_t total1 = total;
  total = total ? 1 : 0;
  for (int32_t i = 1; i < total1; ++i) {
    const char x = text[i];
    if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) total--;
    text[total++] = x;
  }
  // 2: " ' " -> "'"
  const int32_t total2 = total;
  total = total ? 1 : 0;
  for (int32_t i = 1; i < total2; ++i) {
    const char x = text[i];
    if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ') {
      total--;
      text[++i] = '\0';
    }
    text[total++] = x;
  }
  // 3: " 's" " 'm" " 're" " 've" lose the space
  const int32_t total3 = total;
  total = total ? 1 : 0;
  for (int32_t i = 1; i < total3; ++i) {
    const char x = text[i];
    if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3) {
      const char x1 = text[i + 1];
      if (x1 == 's' || x1 == 'm') {
        total--;
      } else if (i + 2 < total3) {
        const char x2 = text[i + 2];
        if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) total--;
      }
    }
    text[total++] = x;
  }
  t.resize(size_t(total));
  return t;
}

// Bytes as a JS string would hold them (ill-formed parts -> U+FFFD).
std::string as_js_string(const std::string& bytes) {
  std::string out;
  tome::utf8::append_valid_utf8(out, bytes, false);
  return out;
}

uint64_t fnv1a64(const std::vector<int32_t>& ids) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int32_t id : ids)
    for (int k = 0; k < 4; ++k) {
      h ^= (uint32_t(id) >> (8 * k)) & 0xFF;
      h *= 0x100000001b3ull;
    }
  return h;
}

void check_tokens(const std::string& file, const std::string& variant = "") {
  Loaded l = load_variant(file, variant);
  const auto& m = golden_model(file, variant);
  const std::string name = file + (variant.empty() ? "" : " [" + variant + "]");
  const auto& strings = golden()["strings"];
  int n_equal = 0, n_aborted = 0, n_bad = 0;
  std::string first_bad;
  for (const char* mode : {"plain", "special"}) {
    const bool parse_special = std::strcmp(mode, "special") == 0;
    const auto& want_all = m[mode];
    for (size_t i = 0; i < strings.size(); ++i) {
      const std::string& text = strings[i].str;
      const auto got = l.tok->encode(text, false, parse_special);
      if (want_all[i].is_null()) {  // llama.cpp aborted: tome must answer, with UNK in it
        ++n_aborted;
        bool has_unk = false;
        for (int32_t id : got) has_unk = has_unk || l.tok->token_type(id) == tome::TokenType::UNKNOWN ||
                                         l.tok->token_text(id) == "<unk>";
        if (!has_unk && first_bad.empty()) first_bad = std::string(mode) + " " + show(text) + ": no UNK in " + ids_str(got);
        if (!has_unk) ++n_bad;
        continue;
      }
      const auto want = want_all[i].as_ids();
      if (got == want) {
        ++n_equal;
      } else {
        if (first_bad.empty()) first_bad = std::string(mode) + " " + show(text) + ": got " + ids_str(got) + " want " + ids_str(want);
        ++n_bad;
      }
    }
  }
  std::printf("     %s: %d equal to llama.cpp, %d where llama.cpp aborts, %d wrong\n", name.c_str(), n_equal,
              n_aborted, n_bad);
  if (n_bad) TOME_FAIL(std::to_string(n_bad) + " differ; first: " + first_bad);
}

void check_pieces(const std::string& file, const std::string& variant = "") {
  Loaded l = load_variant(file, variant);
  const auto& m = golden_model(file, variant);
  const std::string name = file + (variant.empty() ? "" : " [" + variant + "]");
  const bool clean = m["clean_spaces"].b;
  const int32_t bos = int32_t(m["bos"].num);
  const auto ids = m["pieces"]["ids"].as_ids();
  int n_equal = 0, n_bad = 0;
  std::string first_bad;
  for (const char* mode : {"plain", "special"}) {
    const bool special = std::strcmp(mode, "special") == 0;
    const auto& want_all = m["pieces"][mode];
    for (size_t k = 0; k < ids.size(); ++k) {
      if (want_all[k].is_null()) {  // not recorded (special mode: NORMAL tokens)
        if (!special) TOME_FAIL("golden piece of id " + std::to_string(ids[k]) + " is null");
        continue;
      }
      // The golden is llama_detokenize([bos, id]): piece(bos) + piece(id), spaces cleaned.
      std::string text = l.tok->token_to_piece(bos, special) + l.tok->token_to_piece(ids[k], special);
      if (clean) text = clean_spaces(text);
      const std::string got = as_js_string(text);
      if (got == want_all[k].str) {
        ++n_equal;
      } else {
        if (first_bad.empty())
          first_bad = std::string(mode) + " id " + std::to_string(ids[k]) + ": got " + show(got) + " want " + show(want_all[k].str);
        ++n_bad;
      }
    }
  }
  std::printf("     %s: %d pieces equal, %d wrong\n", name.c_str(), n_equal, n_bad);
  if (n_bad) TOME_FAIL(std::to_string(n_bad) + " pieces differ; first: " + first_bad);
}

tome::TokenType type_of_llama_attr(int64_t a) {
  // llama_token_attr bits: UNKNOWN 1, UNUSED 2, NORMAL 4, CONTROL 8, USER_DEFINED 16, BYTE 32
  if (a & 8) return tome::TokenType::CONTROL;
  if (a & 16) return tome::TokenType::USER_DEFINED;
  if (a & 1) return tome::TokenType::UNKNOWN;
  if (a & 32) return tome::TokenType::BYTE;
  if (a & 2) return tome::TokenType::UNUSED;
  if (a & 4) return tome::TokenType::NORMAL;
  return tome::TokenType::UNDEFINED;
}

void check_facts(const std::string& file, const std::string& variant = "") {
  Loaded l = load_variant(file, variant);
  const auto& m = golden_model(file, variant);
  const std::string name = file + (variant.empty() ? "" : " [" + variant + "]");
  const auto& t = *l.tok;
  CHECK_EQ(t.n_vocab(), int32_t(m["n_vocab"].num));
  CHECK_EQ(t.bos(), m["bos"].is_null() ? -1 : int32_t(m["bos"].num));
  CHECK_EQ(t.eos(), m["eos"].is_null() ? -1 : int32_t(m["eos"].num));
  CHECK_EQ(t.add_bos(), m["add_bos"].b);
  CHECK_EQ(t.add_eos(), m["add_eos"].b);

  std::vector<tome::TokenType> want(size_t(t.n_vocab()), tome::TokenType::NORMAL);
  for (const auto& pair : m["attrs"].arr) want[size_t(pair[0].num)] = type_of_llama_attr(pair[1].as_int());
  for (int32_t id = 0; id < t.n_vocab(); ++id)
    if (t.token_type(id) != want[id])
      TOME_FAIL("token " + std::to_string(id) + " " + show(t.token_text(id)) + " has type " +
                std::to_string(int(t.token_type(id))) + ", llama.cpp " + std::to_string(int(want[id])));

  std::vector<bool> eog(size_t(t.n_vocab()), false);
  for (int32_t id : m["eog"].as_ids()) eog[size_t(id)] = true;
  for (int32_t id = 0; id < t.n_vocab(); ++id)
    if (t.is_eog(id) != eog[id]) TOME_FAIL("is_eog(" + std::to_string(id) + ") disagrees with llama.cpp");

  // add_special puts BOS / EOS where llama.cpp says.
  const auto plain = t.encode("Hello world", false, false);
  const auto with = t.encode("Hello world", true, false);
  std::vector<int32_t> expect = plain;
  if (t.add_bos()) expect.insert(expect.begin(), t.bos());
  if (t.add_eos()) expect.push_back(t.eos());
  CHECK_EQ(ids_str(with), ids_str(expect));
}

void check_books(const std::string& file, const std::string& variant = "") {
  Loaded l = load_variant(file, variant);
  const auto& m = golden_model(file, variant);
  const std::string name = file + (variant.empty() ? "" : " [" + variant + "]");
  int checked = 0;
  for (const auto& b : m["books"].arr) {
    if (b["aborted"].b) continue;
    const std::string path = tome_test::data_dir() + "/books/" + b["file"].str;
    if (!file_exists(path)) SKIP("missing " + path);
    const auto ids = l.tok->encode(read_file(path), false, b["parse_special"].b);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(ids)));
    if (int64_t(ids.size()) != b["n_tokens"].as_int() || b["fnv1a64"].str != hex)
      TOME_FAIL(b["file"].str + (b["parse_special"].b ? " (special)" : "") + ": " + std::to_string(ids.size()) +
                " tokens, fnv " + hex + "; llama.cpp " + std::to_string(b["n_tokens"].as_int()) + ", " +
                b["fnv1a64"].str);
    ++checked;
  }
  std::printf("     %s: %d book tokenizations equal\n", name.c_str(), checked);
}

void check_splits(const std::string& pre) {
  const tome::PreTokenizerSpec* spec = tome::find_pre_tokenizer(pre);
  CHECK(spec != nullptr);
  const auto& strings = golden()["strings"];
  for (const auto& s : golden()["splits"].arr) {
    if (s["pre"].str != pre) continue;
    int n_equal = 0, n_bad = 0;
    std::string first_bad;
    for (size_t i = 0; i < strings.size(); ++i) {
      std::vector<std::string> want;
      for (const auto& p : s["pieces"][i].arr) want.push_back(p.str);
      const auto got = tome::pre_split_utf8(strings[i].str, spec->steps);
      if (got == want) {
        ++n_equal;
        continue;
      }
      ++n_bad;
      if (first_bad.empty()) {
        first_bad = show(strings[i].str) + ": got";
        for (const auto& g : got) first_bad += " " + show(g);
        first_bad += " want";
        for (const auto& w : want) first_bad += " " + show(w);
      }
    }
    std::printf("     %s: %d of %zu splits equal to JS RegExp\n", pre.c_str(), n_equal, strings.size());
    if (n_bad) TOME_FAIL(std::to_string(n_bad) + " splits differ; first: " + first_bad);
    return;
  }
  TOME_FAIL("golden has no splits for " + pre);
}

}  // namespace

#define GOLDEN_MODEL_TESTS(tag, file)               \
  TEST(golden_tokens_##tag) { check_tokens(file); } \
  TEST(golden_pieces_##tag) { check_pieces(file); } \
  TEST(golden_facts_##tag) { check_facts(file); }   \
  TEST(golden_books_##tag) { check_books(file); }

GOLDEN_MODEL_TESTS(stories260k, "stories260K.gguf")
GOLDEN_MODEL_TESTS(tinystories656k, "TinyStories-656K.f16.gguf")
GOLDEN_MODEL_TESTS(llama2_tiny_random, "llama-2-tiny-random.gguf")
GOLDEN_MODEL_TESTS(gpt2, "vocab/ggml-vocab-gpt-2.gguf")
GOLDEN_MODEL_TESTS(deepseek_coder, "vocab/ggml-vocab-deepseek-coder.gguf")
GOLDEN_MODEL_TESTS(llama_spm, "vocab/ggml-vocab-llama-spm.gguf")

// The same real vocabularies with other pre-tokenizers / flags (metadata edited
// the same way for llama.cpp): the llama-bpe, qwen2, default, starcoder, falcon,
// tekken, seed-coder and gpt-4o BPE paths end to end, deepseek-llm and hunyuan-dense (deepseek-v3's
// regexes) on the deepseek-coder vocabulary,
// and SPM without the space prefix.
#define GOLDEN_VARIANT_TESTS(tag, file, variant)                    \
  TEST(golden_tokens_##tag) { check_tokens(file, variant); }        \
  TEST(golden_facts_##tag) { check_facts(file, variant); }          \
  TEST(golden_books_##tag) { check_books(file, variant); }

#define GPT2_VOCAB "vocab/ggml-vocab-gpt-2.gguf"
GOLDEN_VARIANT_TESTS(gpt2_vocab_pre_llama_bpe, GPT2_VOCAB, "tokenizer.ggml.pre=llama-bpe")
GOLDEN_VARIANT_TESTS(gpt2_vocab_pre_qwen2, GPT2_VOCAB, "tokenizer.ggml.pre=qwen2")
GOLDEN_VARIANT_TESTS(gpt2_vocab_pre_default, GPT2_VOCAB, "tokenizer.ggml.pre=default")
GOLDEN_VARIANT_TESTS(gpt2_vocab_pre_missing, GPT2_VOCAB, "-tokenizer.ggml.pre")
GOLDEN_VARIANT_TESTS(gpt2_vocab_pre_starcoder, GPT2_VOCAB, "tokenizer.ggml.pre=starcoder")
GOLDEN_VARIANT_TESTS(gpt2_vocab_pre_falcon, GPT2_VOCAB, "tokenizer.ggml.pre=falcon")
GOLDEN_VARIANT_TESTS(gpt2_vocab_pre_tekken, GPT2_VOCAB, "tokenizer.ggml.pre=tekken")
GOLDEN_VARIANT_TESTS(gpt2_vocab_pre_seed_coder, GPT2_VOCAB, "tokenizer.ggml.pre=seed-coder")
GOLDEN_VARIANT_TESTS(gpt2_vocab_pre_gpt4o, GPT2_VOCAB, "tokenizer.ggml.pre=gpt-4o")
GOLDEN_VARIANT_TESTS(deepseek_vocab_pre_deepseek_llm, "vocab/ggml-vocab-deepseek-coder.gguf",
                     "tokenizer.ggml.pre=deepseek-llm")
GOLDEN_VARIANT_TESTS(deepseek_vocab_pre_hunyuan_dense, "vocab/ggml-vocab-deepseek-coder.gguf",
                     "tokenizer.ggml.pre=hunyuan-dense")
GOLDEN_VARIANT_TESTS(llama_spm_no_space_prefix, "vocab/ggml-vocab-llama-spm.gguf",
                     "tokenizer.ggml.add_space_prefix=false")

TEST(golden_splits_gpt2) { check_splits("gpt-2"); }
TEST(golden_splits_default) { check_splits("default"); }
TEST(golden_splits_llama_bpe) { check_splits("llama-bpe"); }
TEST(golden_splits_qwen2) { check_splits("qwen2"); }
TEST(golden_splits_seed_coder) { check_splits("seed-coder"); }
TEST(golden_splits_tekken) { check_splits("tekken"); }
TEST(golden_splits_gpt4o) { check_splits("gpt-4o"); }
TEST(golden_splits_deepseek_coder) { check_splits("deepseek-coder"); }
TEST(golden_splits_deepseek_llm) { check_splits("deepseek-llm"); }
TEST(golden_splits_deepseek_v3) { check_splits("deepseek-v3"); }

TOME_TEST_MAIN()
