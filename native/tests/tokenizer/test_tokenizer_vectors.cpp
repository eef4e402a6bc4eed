// llama.cpp's tokenizer test vectors (models/vocab/*.inp / *.out, from
// llama.cpp's models/ folder): each .inp string tokenized with
// add_special=false, parse_special=false must give the .out ids exactly. This is
// llama.cpp's own pass criterion (tests/test-tokenizer-0.cpp), which keys the
// cases by input string, so a repeated input is checked against its last line.
#include <map>

#include "tok_test_util.h"

using namespace tok_test;

namespace {

std::map<std::string, std::vector<int32_t>> read_vectors(const std::string& base) {
  const std::string inp = read_file(base + ".inp");
  std::vector<std::string> texts;
  const std::string sep = "\n__ggml_vocab_test__\n";
  for (size_t pos = 0; pos < inp.size();) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<std::vector<int32_t>> outs;
  std::istringstream out(read_file(base + ".out"));
  for (std::string line; std::getline(out, line);) {
    std::istringstream ls(line);
    std::vector<int32_t> ids;
    for (int32_t id; ls >> id;) ids.push_back(id);
    outs.push_back(ids);
  }
  if (texts.size() != outs.size()) TOME_FAIL(base + ": .inp and .out differ in length");
  std::map<std::string, std::vector<int32_t>> cases;
  for (size_t i = 0; i < texts.size(); ++i) cases[texts[i]] = outs[i];
  return cases;
}

void check_vocab(const std::string& name) {
  Loaded l = load("vocab/ggml-vocab-" + name + ".gguf");
  const auto cases = read_vectors(models_dir() + "/vocab/ggml-vocab-" + name + ".gguf");
  CHECK(cases.size() >= 30);
  int bad = 0;
  std::string first;
  for (const auto& [text, want] : cases) {
    const auto got = l.tok->encode(text, false, false);
    if (got != want) {
      if (bad++ == 0) first = show(text) + ": got " + ids_str(got) + " want " + ids_str(want);
    }
  }
  std::printf("     %s: %zu of %zu vectors equal\n", name.c_str(), cases.size() - bad, cases.size());
  if (bad) TOME_FAIL(std::to_string(bad) + " vectors differ, first " + first);
}

}  // namespace

TEST(vectors_gpt2) { check_vocab("gpt-2"); }
TEST(vectors_deepseek_coder) { check_vocab("deepseek-coder"); }
TEST(vectors_llama_spm) { check_vocab("llama-spm"); }

TOME_TEST_MAIN()
