// Tokenizer behaviour that the golden comparison does not cover by itself:
// StreamDecoder over characters split across byte tokens, piece round trips,
// pre-tokenizer splits on hand-checked strings, special-token rules on
// synthetic vocabularies, refusal of bad metadata, fingerprints, and the
// speed on a whole book (printed, not asserted: tome bench measures speed).
#include <chrono>

#include "gguf_patch.h"
#include "mini_json.h"
#include "tok_test_util.h"
#include "tokenizer/byte_encoding.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/utf8.h"

using namespace tok_test;
using gguf_patch::Edit;

namespace {

bool valid_utf8(const std::string& s) {
  std::string out;
  tome::utf8::append_valid_utf8(out, s, false);
  return out == s;
}

// A tokenizer from a fixture with metadata edits (or from scratch when file is "").
std::unique_ptr<tome::Tokenizer> tokenizer_with(const std::string& file, const std::vector<Edit>& edits,
                                                std::unique_ptr<tome::GgufFile>& keep) {
  std::vector<uint8_t> bytes;
  if (file.empty()) {
    bytes = gguf_patch::empty_gguf();
  } else {
    const std::string path = models_dir() + "/" + file;
    if (!file_exists(path)) SKIP("missing fixture " + path);
    const std::string raw = read_file(path);
    bytes.assign(raw.begin(), raw.end());
  }
  keep = tome::GgufFile::from_bytes(gguf_patch::apply(bytes, edits));
  return tome::Tokenizer::from_gguf(*keep);
}

std::vector<std::string> golden_strings() {
  const std::string path = std::string(TOME_SOURCE_ROOT) + "/native/tests/tokenizer/golden/tokenizer_golden.json";
  const mini_json::Value golden = mini_json::parse(read_file(path));
  std::vector<std::string> out;
  for (const auto& s : golden["strings"].arr) out.push_back(s.str);
  return out;
}

std::vector<std::string> split(const std::string& pre, const std::string& text) {
  const tome::PreTokenizerSpec* spec = tome::find_pre_tokenizer(pre);
  if (!spec) TOME_FAIL("no pre-tokenizer " + pre);
  return tome::pre_split_utf8(text, spec->steps);
}

std::string joined(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += "|" + p;
  return s + "|";
}

}  // namespace

// --- StreamDecoder -----------------------------------------------------------

TEST(stream_decoder_holds_emoji_split_over_byte_tokens) {
  Loaded l = load("stories260K.gguf");
  const std::string text = "Hi \xF0\x9F\x98\x80 and \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 ok";  // 😀, 👨‍👩
  const auto ids = l.tok->encode(text, false, false);
  int byte_tokens = 0;
  for (int32_t id : ids) byte_tokens += l.tok->token_type(id) == tome::TokenType::BYTE;
  CHECK(byte_tokens >= 8);  // the emoji are not in a 512-token vocab: they go out as bytes

  tome::StreamDecoder dec(*l.tok);
  std::string all;
  int empty_pushes = 0;
  for (int32_t id : ids) {
    const std::string chunk = dec.push(id);
    CHECK(valid_utf8(chunk));  // never half a character
    empty_pushes += chunk.empty();
    all += chunk;
  }
  all += dec.flush();
  CHECK(empty_pushes >= 3);
  CHECK_EQ(all, " " + text);  // SPM adds the space prefix
}

TEST(stream_decoder_replaces_what_cannot_complete) {
  Loaded l = load("stories260K.gguf");
  const auto byte_id = [&](int b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    for (int32_t id = 0; id < l.tok->n_vocab(); ++id)
      if (l.tok->token_text(id) == name) return id;
    TOME_FAIL(std::string("no token ") + name);
  };
  tome::StreamDecoder dec(*l.tok);
  CHECK_EQ(dec.push(byte_id(0xF0)), std::string());
  CHECK_EQ(dec.push(byte_id(0x9F)), std::string());
  CHECK_EQ(dec.flush(), std::string("\xEF\xBF\xBD"));  // one U+FFFD for the cut-off F0 9F
  // A lead byte followed by a non-continuation: U+FFFD at once, then the letter.
  CHECK_EQ(dec.push(byte_id(0xE2)), std::string());
  CHECK_EQ(dec.push(byte_id('a')), std::string("\xEF\xBF\xBD" "a"));
  CHECK_EQ(dec.push(byte_id(0xFF)), std::string("\xEF\xBF\xBD"));  // never a lead byte
  CHECK_EQ(dec.flush(), std::string());
}

TEST(stream_decoder_renders_control_tokens_only_when_asked) {
  Loaded l = load("stories260K.gguf");
  tome::StreamDecoder plain(*l.tok), special(*l.tok, true);
  CHECK_EQ(plain.push(l.tok->bos()), std::string());
  CHECK_EQ(special.push(l.tok->bos()), std::string("<s>"));
  CHECK_EQ(l.tok->token_to_piece(l.tok->bos(), false), std::string());
  CHECK_EQ(l.tok->token_to_piece(-1, true), std::string());
  CHECK_EQ(l.tok->token_to_piece(l.tok->n_vocab(), true), std::string());
}

// --- pieces round-trip ---------------------------------------------------------

// Byte-level BPE loses nothing: the pieces of encode(text) spell text again.
static void check_bpe_round_trip(const std::string& file) {
  Loaded l = load(file);
  int n = 0;
  for (const std::string& text : golden_strings()) {
    std::string back;
    for (int32_t id : l.tok->encode(text, false, false)) back += l.tok->token_to_piece(id, false);
    if (back != text) TOME_FAIL(show(text) + " came back as " + show(back));
    ++n;
  }
  std::printf("     %s: %d strings round-trip\n", file.c_str(), n);
}
TEST(pieces_round_trip_gpt2) { check_bpe_round_trip("vocab/ggml-vocab-gpt-2.gguf"); }
TEST(pieces_round_trip_deepseek_coder) { check_bpe_round_trip("vocab/ggml-vocab-deepseek-coder.gguf"); }

// SPM with byte fallback: the pieces spell " " + text (the space prefix); "▁" in
// the input itself reads back as a space.
static void check_spm_round_trip(const std::string& file) {
  Loaded l = load(file);
  int n = 0;
  for (const std::string& text : golden_strings()) {
    if (text.empty() || text.find("\xE2\x96\x81") != std::string::npos) continue;
    std::string back;
    for (int32_t id : l.tok->encode(text, false, false)) back += l.tok->token_to_piece(id, false);
    if (back != " " + text) TOME_FAIL(show(text) + " came back as " + show(back));
    ++n;
  }
  std::printf("     %s: %d strings round-trip\n", file.c_str(), n);
}
TEST(pieces_round_trip_stories260k) { check_spm_round_trip("stories260K.gguf"); }
TEST(pieces_round_trip_llama_spm) { check_spm_round_trip("vocab/ggml-vocab-llama-spm.gguf"); }

// --- pre-tokenizers on hand-checked strings ------------------------------------

TEST(pre_split_gpt2) {
  CHECK_EQ(joined(split("gpt-2", "Hello world")), std::string("|Hello| world|"));
  CHECK_EQ(joined(split("gpt-2", "  hello")), std::string("| | hello|"));
  CHECK_EQ(joined(split("gpt-2", "a   ")), std::string("|a|   |"));
  CHECK_EQ(joined(split("gpt-2", "don't DON'T")), std::string("|don|'t| DON|'|T|"));
  CHECK_EQ(joined(split("gpt-2", "x 12345!?")), std::string("|x| 12345|!?|"));
}

TEST(pre_split_llama3_and_qwen2) {
  CHECK_EQ(joined(split("llama-bpe", "1234567")), std::string("|123|456|7|"));
  CHECK_EQ(joined(split("qwen2", "1234")), std::string("|1|2|3|4|"));
  CHECK_EQ(joined(split("llama-bpe", "DON'T stop")), std::string("|DON|'T| stop|"));
  CHECK_EQ(joined(split("llama-bpe", "a\n\n  b")), std::string("|a|\n\n| | b|"));
  CHECK_EQ(joined(split("llama-bpe", "x!!\n\ny")), std::string("|x|!!\n\n|y|"));
  CHECK_EQ(joined(split("llama-bpe", "(hello")), std::string("|(hello|"));
}

TEST(pre_split_deepseek_coder) {
  CHECK_EQ(joined(split("deepseek-coder", "a\r\nb")), std::string("|a|\r|\n|b|"));
  CHECK_EQ(joined(split("deepseek-coder", "x=12;")), std::string("|x|=|1|2|;|"));
  CHECK_EQ(joined(split("deepseek-coder", "中文 abc")), std::string("|中文| abc|"));
  // Each step re-splits the pieces of the one before: "\u3000文" (from \s?\p{L}+)
  // is cut again by the CJK step.
  CHECK_EQ(joined(split("deepseek-coder", "中\xE3\x80\x80文")), std::string("|中|\xE3\x80\x80|文|"));
  // U+3000 lies inside the CJK step's ranges but is White_Space, which llama.cpp
  // hides from that step: it does not join a run of arrows.
  CHECK_EQ(joined(split("deepseek-coder", "→→")), std::string("|→→|"));
  CHECK_EQ(joined(split("deepseek-coder", "→\xE3\x80\x80→")), std::string("|→|\xE3\x80\x80|→|"));
}

TEST(pre_split_default) {
  CHECK_EQ(joined(split("default", "a$b 1234567")), std::string("|a|$|b| |123|456|7|"));
  CHECK_EQ(tome::find_pre_tokenizer(""), tome::find_pre_tokenizer("default"));
  CHECK(tome::find_pre_tokenizer("no-such-pre") == nullptr);
}

// --- special tokens on synthetic vocabularies -----------------------------------

// A byte-level vocab: the 256 byte tokens, a few words, and specials given by type.
static std::vector<Edit> synthetic_bpe(const std::vector<std::pair<std::string, int32_t>>& extra,
                                       const std::string& pre = "gpt-2") {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(tome::bytes::byte_to_utf8(uint8_t(b)));
    types.push_back(1);
  }
  for (const auto& [text, type] : extra) {
    tokens.push_back(text);
    types.push_back(type);
  }
  return {
      {Edit::SET_STRING, "general.architecture", "gpt2"},
      {Edit::SET_STRING, "tokenizer.ggml.model", "gpt2"},
      {Edit::SET_STRING, "tokenizer.ggml.pre", pre},
      {Edit::SET_STRINGS, "tokenizer.ggml.tokens", "", false, tokens},
      {Edit::SET_I32S, "tokenizer.ggml.token_type", "", false, {}, types},
      {Edit::SET_STRINGS, "tokenizer.ggml.merges", "", false, {"h i"}},
  };
}

TEST(special_tokens_user_defined_always_control_only_when_parsing) {
  std::unique_ptr<tome::GgufFile> keep;
  auto tok = tokenizer_with("", synthetic_bpe({{"hi", 1}, {"<ctl>", 3}, {"<usr>", 4}}), keep);
  const int32_t hi = 256, ctl = 257, usr = 258;
  CHECK_EQ(ids_str(tok->encode("hi", false, false)), ids_str({hi}));
  // user-defined: split out either way
  CHECK_EQ(ids_str(tok->encode("<usr>hi", false, false)), ids_str({usr, hi}));
  // control: only with parse_special
  CHECK_EQ(ids_str(tok->encode("<ctl>", false, true)), ids_str({ctl}));
  CHECK(tok->encode("<ctl>", false, false).size() == 5);
  // rendering: user-defined always, control only with render_special
  CHECK_EQ(tok->token_to_piece(usr, false), std::string("<usr>"));
  CHECK_EQ(tok->token_to_piece(ctl, false), std::string());
  CHECK_EQ(tok->token_to_piece(ctl, true), std::string("<ctl>"));
}

TEST(special_tokens_longest_first) {
  std::unique_ptr<tome::GgufFile> keep;
  auto tok = tokenizer_with("", synthetic_bpe({{"<a>", 3}, {"<a><b>", 3}, {"<b>", 3}}), keep);
  const int32_t a = 256, ab = 257, b = 258;
  CHECK_EQ(ids_str(tok->encode("<a><b><a>", false, true)), ids_str({ab, a}));
  CHECK_EQ(ids_str(tok->encode("<b><a><b>", false, true)), ids_str({b, ab}));
}

TEST(end_of_generation_by_text) {
  std::unique_ptr<tome::GgufFile> keep;
  // "<|im_end|>" typed NORMAL in the file: llama.cpp makes it CONTROL and EOG.
  auto tok = tokenizer_with("", synthetic_bpe({{"<|im_end|>", 1}, {"<|im_start|>", 3}}), keep);
  CHECK(tok->is_eog(256));
  CHECK(!tok->is_eog(257));
  CHECK(tok->token_type(256) == tome::TokenType::CONTROL);
  CHECK_EQ(ids_str(tok->encode("<|im_end|>", false, true)), ids_str({256}));
  CHECK_EQ(tok->bos(), 11);  // BPE default when the file names none
  CHECK(!tok->add_bos());
}

TEST(llama3_defaults_add_bos_and_ignore_merges) {
  std::unique_ptr<tome::GgufFile> keep;
  auto edits = synthetic_bpe({{"hello", 1}}, "llama-bpe");
  edits.push_back({Edit::SET_U32, "tokenizer.ggml.bos_token_id", "", false, {}, {}, {}, 1});
  auto tok = tokenizer_with("", edits, keep);
  CHECK(tok->add_bos());
  // no merge makes "hello", but llama3 takes a whole word that is a token
  CHECK_EQ(ids_str(tok->encode("hello", true, false)), ids_str({1, 256}));
}

// --- refusals ----------------------------------------------------------------

TEST(refuses_bad_metadata) {
  std::unique_ptr<tome::GgufFile> keep;
  const std::string gpt2 = "vocab/ggml-vocab-gpt-2.gguf";
  CHECK_THROWS_CODE(tokenizer_with(gpt2, {{Edit::REMOVE, "tokenizer.ggml.model"}}, keep), "TOKENIZER_MISSING");
  CHECK_THROWS_CODE(tokenizer_with(gpt2, {{Edit::REMOVE, "tokenizer.ggml.tokens"}}, keep), "TOKENIZER_MISSING");
  CHECK_THROWS_CODE(tokenizer_with(gpt2, {{Edit::SET_STRING, "tokenizer.ggml.model", "bert"}}, keep), "TOKENIZER_MODEL");
  CHECK_THROWS_CODE(tokenizer_with(gpt2, {{Edit::SET_STRING, "tokenizer.ggml.pre", "kimi-k2"}}, keep), "TOKENIZER_PRE");
  CHECK_THROWS_CODE(tokenizer_with(gpt2, {{Edit::REMOVE, "tokenizer.ggml.merges"}}, keep), "TOKENIZER_MERGES");
  CHECK_THROWS_CODE(tokenizer_with(gpt2, {{Edit::SET_I32S, "tokenizer.ggml.token_type", "", false, {}, {1, 1}}}, keep),
                    "TOKENIZER_VOCAB");
  CHECK_THROWS_CODE(tokenizer_with("", {{Edit::SET_STRING, "tokenizer.ggml.model", "llama"},
                                        {Edit::SET_STRINGS, "tokenizer.ggml.tokens", "", false, {"a", "b", "a"}}},
                                   keep),
                    "TOKENIZER_VOCAB");
}

// A NORMAL byte-level token holding code points outside the byte map renders
// as llama.cpp does, "[UNK_BYTE_0x<hex>" + the whole text + "]" per such code
// point, so a long one renders to the square of its length. A vocabulary whose
// pieces would grow past the allowance (64 MiB) is refused as it loads: here 5
// tokens of 8 KiB of U+0416 would render to 5 x 4096 x 8 KiB (~168 MB); one of
// 1 MiB (the GGUF string limit) would have asked for ~550 GB.
TEST(bpe_pieces_outside_the_byte_map_are_bounded) {
  std::unique_ptr<tome::GgufFile> keep;
  auto tok = tokenizer_with("", synthetic_bpe({{"a\xD0\x96", 1}}), keep);
  CHECK_EQ(tok->token_to_piece(256, false), std::string("a[UNK_BYTE_0xd096a\xD0\x96]"));

  std::vector<std::pair<std::string, int32_t>> hostile;
  for (int i = 0; i < 5; ++i) {
    std::string text(1, char('a' + i));
    for (int j = 0; j < 4096; ++j) text += "\xD0\x96";
    hostile.emplace_back(text, 1);
  }
  CHECK_THROWS_CODE(tokenizer_with("", synthetic_bpe(hostile), keep), "TOKENIZER_VOCAB");
  // the same texts typed USER_DEFINED render as themselves: nothing to refuse
  for (auto& h : hostile) h.second = 4;
  CHECK_EQ(tokenizer_with("", synthetic_bpe(hostile), keep)->token_to_piece(256, false), hostile[0].first);
}

// --- fingerprint -----------------------------------------------------------------

TEST(fingerprint_follows_what_decides_tokenization) {
  std::unique_ptr<tome::GgufFile> k1, k2, k3;
  const std::string gpt2 = "vocab/ggml-vocab-gpt-2.gguf";
  auto a = tokenizer_with(gpt2, {}, k1);
  auto b = tokenizer_with(gpt2, {{Edit::SET_STRING, "general.name", "renamed"}}, k2);
  auto c = tokenizer_with(gpt2, {{Edit::SET_STRING, "tokenizer.ggml.pre", "llama-bpe"}}, k3);
  CHECK_EQ(a->fingerprint(), b->fingerprint());
  CHECK(a->fingerprint() != c->fingerprint());
  Loaded spm = load("vocab/ggml-vocab-llama-spm.gguf");
  Loaded tiny = load("llama-2-tiny-random.gguf");
  CHECK(spm.tok->fingerprint() != a->fingerprint());
  // The same Llama-2 vocabulary in two files: one says add_bos_token and pre
  // "default", the other leaves both to the SPM defaults. Same tokenization,
  // same fingerprint.
  CHECK_EQ(spm.tok->fingerprint(), tiny.tok->fingerprint());
  CHECK_EQ(a->fingerprint(), tokenizer_with(gpt2, {}, k2)->fingerprint());  // stable across loads
}

// --- speed -----------------------------------------------------------------------

static void time_book(const std::string& file) {
  Loaded l = load(file);
  const std::string path = tome_test::data_dir() + "/books/moby-dick_pg2701.txt";
  if (!file_exists(path)) SKIP("missing " + path);
  const std::string text = read_file(path);
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids = l.tok->encode(text, true, false);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("     %s: moby-dick %.2f MB -> %zu tokens in %.3f s\n", file.c_str(), text.size() / 1e6, ids.size(), s);
  CHECK(ids.size() > text.size() / 8);
}
TEST(speed_book_gpt2) { time_book("vocab/ggml-vocab-gpt-2.gguf"); }
TEST(speed_book_deepseek_coder) { time_book("vocab/ggml-vocab-deepseek-coder.gguf"); }
TEST(speed_book_llama_spm) { time_book("vocab/ggml-vocab-llama-spm.gguf"); }

TOME_TEST_MAIN()
