// tokenizer.ggml.pre names -> split programs (llama.cpp's llm_tokenizer_bpe
// regex lists and load() flags), and the driver that runs a program.
#include "tokenizer/pretokenizer.h"

#include <map>

#include "tokenizer/pretokenize_steps.h"
#include "tokenizer/utf8.h"

namespace tome {
namespace {

using S = SplitStep;

struct Entry {
  std::vector<const char*> names;
  PreTokenizerSpec spec;
};

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = {
      // llama.cpp's default BPE pre-tokenizer (also used when the key is missing)
      {{"default", ""}, {"default", {S::PUNCT_SYMBOL_RUN, S::GPT2, S::NUMBER_RUN, S::ASCII_DIGITS_3}}},
      {{"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
        "modern-bert", "mpt", "olmo", "jais", "exaone4", "trillion", "granite-docling"},
       {"gpt-2", {S::GPT2}}},
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"},
       {"llama3", {S::LLAMA3}, /*ignore_merges=*/true, /*add_bos=*/true}},
      {{"dbrx", "smaug-bpe"}, {"llama3-regex", {S::LLAMA3}}},
      {{"tekken"}, {"tekken", {S::TEKKEN}, /*ignore_merges=*/true, /*add_bos=*/true}},
      {{"gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"}, {"gpt-4o", {S::GPT4O}}},
      {{"glm4", "chatglm-bpe"}, {"chatglm4", {S::LLAMA3}, false, false, /*no_bos=*/true}},
      {{"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open"},
       {"qwen2", {S::QWEN2}}},
      {{"deepseek-coder"},
       {"deepseek-coder", {S::LINE_BREAK_EACH, S::SPACE_LETTERS, S::SPACE_PUNCTS, S::CJK_RUN, S::NUMBER_EACH}}},
      {{"deepseek-llm"},
       {"deepseek-llm", {S::LINE_BREAK_EACH, S::DS_LLM_LETTERS, S::DS_LLM_PUNCTS, S::TRAILING_SPACES, S::CJK_RUN,
                         S::NUMBER_RUN}}},
      {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2"},
       {"starcoder", {S::NUMBER_EACH, S::GPT2}}},
      {{"falcon"}, {"falcon", {S::PUNCT_SYMBOL_RUN, S::GPT2, S::ASCII_DIGITS_3}}},
      {{"seed-coder"}, {"seed-coder", {S::SEED_CODER}}},
      {{"deepseek-v3", "hunyuan-dense", "joyai-llm"}, {"deepseek-v3", {S::NUMBER_1_3, S::CJK_KANA_RUN, S::DS3_WORDS}}},
  };
  return t;
}

using StepFn = void (*)(const uint32_t*, size_t, size_t, std::vector<size_t>&);

StepFn step_fn(SplitStep step) {
  switch (step) {
    case S::GPT2: return split::split_gpt2;
    case S::LLAMA3: return split::split_llama3;
    case S::QWEN2: return split::split_qwen2;
    case S::SEED_CODER: return split::split_seed_coder;
    case S::TEKKEN: return split::split_tekken;
    case S::GPT4O: return split::split_gpt4o;
    case S::PUNCT_SYMBOL_RUN: return split::split_punct_symbol_runs;
    case S::NUMBER_RUN: return split::split_number_runs;
    case S::NUMBER_EACH: return split::split_number_each;
    case S::ASCII_DIGITS_3: return split::split_ascii_digits_3;
    case S::LINE_BREAK_EACH: return split::split_line_break_each;
    case S::SPACE_LETTERS: return split::split_space_letters;
    case S::SPACE_PUNCTS: return split::split_space_puncts;
    case S::CJK_RUN: return split::split_cjk_runs;
    case S::DS_LLM_LETTERS: return split::split_ds_llm_letters;
    case S::DS_LLM_PUNCTS: return split::split_ds_llm_puncts;
    case S::TRAILING_SPACES: return split::split_trailing_spaces;
    case S::NUMBER_1_3: return split::split_numbers_1_3;
    case S::CJK_KANA_RUN: return split::split_cjk_kana_runs;
    case S::DS3_WORDS: return split::split_ds3_words;
  }
  return split::split_gpt2;
}

}  // namespace

const PreTokenizerSpec* find_pre_tokenizer(const std::string& name) {
  static const std::map<std::string, const PreTokenizerSpec*> by_name = [] {
    std::map<std::string, const PreTokenizerSpec*> m;
    for (const Entry& e : table())
      for (const char* n : e.names) m[n] = &e.spec;
    return m;
  }();
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

std::vector<size_t> apply_split_step(SplitStep step, const std::vector<uint32_t>& cpts,
                                     const std::vector<size_t>& pieces) {
  const StepFn fn = step_fn(step);
  std::vector<size_t> out;
  out.reserve(pieces.size() * 2);
  size_t start = 0;
  for (size_t len : pieces) {
    fn(cpts.data(), start, start + len, out);
    start += len;
  }
  return out;
}

std::vector<size_t> pre_split(const std::vector<uint32_t>& cpts, const std::vector<SplitStep>& steps) {
  std::vector<size_t> pieces;
  if (!cpts.empty()) pieces.push_back(cpts.size());
  for (SplitStep step : steps) pieces = apply_split_step(step, cpts, pieces);
  return pieces;
}

std::vector<std::string> pre_split_utf8(std::string_view text, const std::vector<SplitStep>& steps) {
  const std::vector<uint32_t> cpts = utf8::decode_utf8_lossy(text);
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t len : pre_split(cpts, steps)) {
    std::string w;
    for (size_t i = start; i < start + len; ++i) utf8::append_utf8(w, cpts[i]);
    words.push_back(std::move(w));
    start += len;
  }
  return words;
}

}  // namespace tome
