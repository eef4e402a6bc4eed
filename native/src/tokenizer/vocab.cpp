// Vocab loading, step for step as llama.cpp's llama_vocab::impl::load:
//   1. model kind and pre-tokenizer -> defaults (special ids, add_bos, ...)
//   2. tokens, scores, token types -> attributes
//   3. special ids and add_bos/add_eos from the file override the defaults
//   4. attribute fix-ups by token text (EOT/EOM/FIM look-alikes become CONTROL,
//      the end-of-generation set, gpt-oss / o200k / gemma4 workarounds)
//   5. the special-token split order (longest text first)
//   6. per-model lstrip/rstrip attributes (phi-3, jina, modern-bert)
#include "tokenizer/vocab.h"

#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "gguf/gguf_file.h"
#include "tokenizer/pretokenizer.h"

namespace tome {
namespace {

[[noreturn]] void fail(const std::string& code, const std::string& msg) { throw Error(code, msg); }

uint32_t attr_from_type(int64_t type) {
  switch (type) {
    case 1: return ATTR_NORMAL;
    case 2: return ATTR_UNKNOWN;
    case 3: return ATTR_CONTROL;
    case 4: return ATTR_USER_DEFINED;
    case 5: return ATTR_UNUSED;
    case 6: return ATTR_BYTE;
    default: return ATTR_UNDEFINED;
  }
}

// A numeric array as doubles, whatever integer/float element type it holds.
std::vector<double> numbers_of(const GgufValue& v) {
  if (!v.floats.empty()) return v.floats;
  return std::vector<double>(v.ints.begin(), v.ints.end());
}

bool is_int_elem(GgufValueType t) {
  switch (t) {
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::UINT16:
    case GgufValueType::INT16: case GgufValueType::UINT32: case GgufValueType::INT32:
    case GgufValueType::UINT64: case GgufValueType::INT64:
      return true;
    default:
      return false;
  }
}

// Texts llama.cpp recognises by name (llama-vocab.cpp, "auto-detect special tokens").
const std::vector<std::string> kEotTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<\xEF\xBD\x9C" "end\xE2\x96\x81" "of\xE2\x96\x81" "sentence\xEF\xBD\x9C>",
    "<end_of_utterance>"};
const std::vector<std::string> kEomTexts = {"<|eom_id|>"};
const std::vector<std::string> kFimPreTexts = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>",
    "<PRE>", "\xE2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>"};
const std::vector<std::string> kFimSufTexts = {
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "hole\xEF\xBD\x9C>",
    "<SUF>", "\xE2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>"};
const std::vector<std::string> kFimMidTexts = {
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>",
    "<MID>", "\xE2\x96\x81<MID>", "<|code_middle|>", "<|middle|>"};
const std::vector<std::string> kFimPadTexts = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
const std::vector<std::string> kFimRepTexts = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
const std::vector<std::string> kFimSepTexts = {"<|file_sep|>"};
const std::vector<std::string> kEogTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\xEF\xBD\x9C" "end\xE2\x96\x81" "of\xE2\x96\x81" "sentence\xEF\xBD\x9C>", "[e~["};

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string lowercase_ascii(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Vocab Vocab::from_gguf(const GgufFile& gguf) {
  Vocab v;

  // --- 1. model kind and pre-tokenizer -------------------------------------
  auto model = gguf.get_string("tokenizer.ggml.model");
  if (!model) fail("TOKENIZER_MISSING", "GGUF has no tokenizer.ggml.model");
  v.model = *model;
  v.pre = gguf.get_string("tokenizer.ggml.pre").value_or("");

  if (v.model == "llama") {
    v.kind = TokenizerKind::SPM;
    v.bos = 1;
    v.eos = 2;
    v.unk = 0;
    v.add_space_prefix = true;
    v.add_bos = true;
    v.add_eos = false;
  } else if (v.model == "gpt2") {
    v.kind = TokenizerKind::BPE;
    const GgufValue* merges = gguf.get_array("tokenizer.ggml.merges");
    if (!merges) fail("TOKENIZER_MERGES", "BPE tokenizer without tokenizer.ggml.merges");
    if (merges->elem_type != GgufValueType::STRING)
      fail("TOKENIZER_MERGES", "tokenizer.ggml.merges is not an array of strings");
    v.merges.reserve(merges->strs.size());
    for (const std::string& m : merges->strs) {
      // llama.cpp splits at the first space after the first byte; no space -> ("", "").
      const size_t sp = m.find(' ', 1);
      if (sp == std::string::npos) v.merges.emplace_back();
      else v.merges.emplace_back(m.substr(0, sp), m.substr(sp + 1));
    }
    v.bos = 11;
    v.eos = 11;
    const PreTokenizerSpec* spec = find_pre_tokenizer(v.pre);
    if (!spec) fail("TOKENIZER_PRE", "unsupported pre-tokenizer '" + v.pre + "'");
    v.ignore_merges = spec->ignore_merges;
    v.add_bos = spec->add_bos;
    if (spec->no_bos) v.bos = -1;
  } else {
    fail("TOKENIZER_MODEL", "unsupported tokenizer model '" + v.model + "'");
  }
  if (auto b = gguf.get_bool("tokenizer.ggml.add_space_prefix")) v.add_space_prefix = *b;

  // --- 2. tokens, scores, types ----------------------------------------------
  const GgufValue* toks = gguf.get_array("tokenizer.ggml.tokens");
  if (!toks) fail("TOKENIZER_MISSING", "GGUF has no tokenizer.ggml.tokens");
  if (toks->elem_type != GgufValueType::STRING)
    fail("TOKENIZER_VOCAB", "tokenizer.ggml.tokens is not an array of strings");
  const size_t n = toks->strs.size();
  if (n == 0 || n > size_t(INT32_MAX)) fail("TOKENIZER_VOCAB", "tokenizer.ggml.tokens has " + std::to_string(n) + " entries");

  std::vector<double> scores;
  if (const GgufValue* s = gguf.get_array("tokenizer.ggml.scores")) {
    if (s->elem_type != GgufValueType::FLOAT32 && s->elem_type != GgufValueType::INT32)
      fail("TOKENIZER_VOCAB", "tokenizer.ggml.scores is not an array of float32 or int32");
    scores = numbers_of(*s);
    if (scores.size() < n) fail("TOKENIZER_VOCAB", "tokenizer.ggml.scores has fewer entries than tokens");
  }
  std::vector<int64_t> types;
  if (const GgufValue* t = gguf.get_array("tokenizer.ggml.token_type")) {
    if (!is_int_elem(t->elem_type)) fail("TOKENIZER_VOCAB", "tokenizer.ggml.token_type is not an integer array");
    types = t->ints;
    if (types.size() < n) fail("TOKENIZER_VOCAB", "tokenizer.ggml.token_type has fewer entries than tokens");
  }

  v.tokens.resize(n);
  v.text_to_id.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    VocabToken& t = v.tokens[i];
    t.text = toks->strs[i];
    if (t.text.empty()) t.text = "[EMPTY_" + std::to_string(i) + "]";
    t.score = scores.empty() ? 0.0f : float(scores[i]);
    t.attr = types.empty() ? ATTR_NORMAL : attr_from_type(types[i]);
    if (!v.text_to_id.emplace(t.text, int32_t(i)).second)
      fail("TOKENIZER_VOCAB", "token " + std::to_string(i) + " repeats the text of token " +
                                  std::to_string(v.text_to_id[t.text]));
  }

  // --- 3. special ids and flags from the file ---------------------------------
  struct IdKey { const char* key; int32_t* id; };
  const IdKey id_keys[] = {
      {"tokenizer.ggml.bos_token_id", &v.bos},
      {"tokenizer.ggml.eos_token_id", &v.eos},
      {"tokenizer.ggml.eot_token_id", &v.eot},
      {"tokenizer.ggml.eom_token_id", &v.eom},
      {"tokenizer.ggml.unknown_token_id", &v.unk},
      {"tokenizer.ggml.seperator_token_id", &v.sep},
      {"tokenizer.ggml.padding_token_id", &v.pad},
      {"tokenizer.ggml.mask_token_id", &v.mask},
      {"tokenizer.ggml.fim_pre_token_id", &v.fim_pre},
      {"tokenizer.ggml.fim_suf_token_id", &v.fim_suf},
      {"tokenizer.ggml.fim_mid_token_id", &v.fim_mid},
      {"tokenizer.ggml.fim_pad_token_id", &v.fim_pad},
      {"tokenizer.ggml.fim_rep_token_id", &v.fim_rep},
      {"tokenizer.ggml.fim_sep_token_id", &v.fim_sep},
      {"tokenizer.ggml.prefix_token_id", &v.fim_pre},  // deprecated names
      {"tokenizer.ggml.suffix_token_id", &v.fim_suf},
      {"tokenizer.ggml.middle_token_id", &v.fim_mid},
  };
  for (const IdKey& k : id_keys) {
    if (*k.id >= 0 && !v.valid(*k.id)) *k.id = -1;  // a default outside the vocab is dropped
    auto id = gguf.get_int(k.key);
    if (!id) continue;
    if (*id >= 0 && *id < int64_t(n)) *k.id = int32_t(*id);  // else: keep the default, as llama.cpp
  }
  if (auto b = gguf.get_bool("tokenizer.ggml.add_bos_token")) v.add_bos = *b;
  if (auto b = gguf.get_bool("tokenizer.ggml.add_eos_token")) v.add_eos = *b;

  // --- 4. attribute fix-ups by text -------------------------------------------
  // llama.cpp walks an unordered_map here, so when several candidates exist the
  // one it picks depends on hashing; tome takes the lowest id (noted in README).
  auto force_control = [&](int32_t id) { v.tokens[id].attr |= ATTR_CONTROL; };
  auto detect = [&](int32_t& slot, const std::vector<std::string>& texts) {
    if (slot >= 0) return;
    for (int32_t id = 0; id < int32_t(n); ++id) {
      if (contains(texts, v.tokens[id].text)) {
        slot = id;
        force_control(id);
        return;
      }
    }
  };
  detect(v.eot, kEotTexts);
  detect(v.eom, kEomTexts);
  detect(v.fim_pre, kFimPreTexts);
  detect(v.fim_suf, kFimSufTexts);
  detect(v.fim_mid, kFimMidTexts);
  detect(v.fim_pad, kFimPadTexts);
  detect(v.fim_rep, kFimRepTexts);
  detect(v.fim_sep, kFimSepTexts);

  for (int32_t id : {v.fim_pad, v.fim_rep, v.fim_sep})
    if (id >= 0) v.eog.insert(id);
  for (int32_t id = 0; id < int32_t(n); ++id) {
    const std::string& text = v.tokens[id].text;
    if (contains(kEogTexts, text)) {
      v.eog.insert(id);
      force_control(id);
    }
    // gpt-oss: these always render, so they are user-defined
    if (text == "<|channel|>" || text == "<|message|>" || text == "<|start|>" || text == "<|constrain|>")
      v.tokens[id].attr = ATTR_USER_DEFINED;
  }
  for (int32_t id : {v.eos, v.eot, v.eom})
    if (id >= 0) v.eog.insert(id);

  // o200k_harmony / solar-open: "<|end|>" is not end-of-generation there.
  {
    bool has_return = false, has_call = false, has_flush = false;
    int32_t end_id = -1;
    for (int32_t id : v.eog) {
      const std::string& text = v.tokens[id].text;
      if (text == "<|return|>") has_return = true;
      else if (text == "<|call|>" || text == "<|calls|>") has_call = true;
      else if (text == "<|flush|>") has_flush = true;
      else if (text == "<|end|>") end_id = id;
    }
    if (end_id >= 0 && has_call && (has_return || has_flush)) {
      v.eog.erase(end_id);
      v.tokens[end_id].attr = ATTR_USER_DEFINED;
    }
  }
  // gemma4 / paddleocr: "</s>" is not end-of-generation when "<|tool_response>" is.
  {
    bool has_tool_response = false;
    int32_t s_id = -1;
    for (int32_t id : v.eog) {
      const std::string& text = v.tokens[id].text;
      if (text == "<|tool_response>") has_tool_response = true;
      else if (text == "</s>") s_id = id;
    }
    if (has_tool_response && s_id >= 0) {
      v.eog.erase(s_id);
      v.tokens[s_id].attr = ATTR_NORMAL;
    }
  }

  // --- 5. special-token split order --------------------------------------------
  // The same std::sort call over the same ascending id list as llama.cpp, so that
  // tokens of equal length come out in the same order (std::sort is not stable;
  // with libstdc++ on both sides the order is identical).
  for (int32_t id = 0; id < int32_t(n); ++id)
    if (v.tokens[id].attr & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) v.special_order.push_back(id);
  std::sort(v.special_order.begin(), v.special_order.end(), [&](int32_t a, int32_t b) {
    return v.tokens[a].text.size() > v.tokens[b].text.size();
  });

  // --- 6. lstrip / rstrip by model name -----------------------------------------
  {
    const std::string name = lowercase_ascii(gguf.get_string("general.name").value_or(""));
    const std::string arch = gguf.get_string("general.architecture").value_or("");
    auto has = [](const std::string& s, std::initializer_list<const char*> parts) {
      for (const char* p : parts)
        if (s.find(p) != std::string::npos) return true;
      return false;
    };
    auto set_attr = [&](const char* text, uint32_t bit, bool on) {
      int32_t id = v.find(text);
      if (id < 0) return;
      if (on) v.tokens[id].attr |= bit;
      else v.tokens[id].attr &= ~bit;
    };
    if (has(v.pre, {"jina-v2-de", "jina-v2-es", "jina-v2-code"}) || has(arch, {"nomic-bert-moe", "jina-bert-v3"})) {
      set_attr("<mask>", ATTR_LSTRIP, true);
    } else if (has(name, {"phi-3", "phi3"})) {
      for (int32_t id : v.special_order) v.tokens[id].attr |= ATTR_RSTRIP;
      set_attr("</s>", ATTR_RSTRIP, true);
      for (const char* t : {"<unk>", "<s>", "<|endoftext|>"}) set_attr(t, ATTR_RSTRIP, false);
    } else if (has(name, {"modern-bert"})) {
      set_attr("[MASK]", ATTR_LSTRIP, true);
    }
  }
  return v;
}

}  // namespace tome
