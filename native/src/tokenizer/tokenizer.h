// Tokenizer built from a GGUF's tokenizer.ggml.* metadata, equal to llama.cpp's
// llama_tokenize / llama_token_to_piece:
//   model "llama": SentencePiece-style (score-driven merges, "▁" for spaces,
//                  byte fallback <0xNN>, optional add_space_prefix)
//   model "gpt2":  byte-level BPE (ranked merges) after a pre-tokenizer chosen by
//                  tokenizer.ggml.pre: "default" (also when the key is missing),
//                  "gpt-2", "llama-bpe" (Llama 3), "qwen2", "deepseek-coder",
//                  "deepseek-llm", and the names llama.cpp maps onto the same
//                  splitters (see pretokenizer.cpp); others are refused with
//                  TOKENIZER_PRE
// Control/unknown tokens are matched in the text only when parse_special is set;
// user-defined tokens always are (as in llama.cpp).
// Implementation map: vocab.* (loading, llama.cpp's defaults and fix-ups),
// special_partition.*, spm_tokenizer.*, pretokenizer.* + pretokenize_*.cpp,
// bpe_merger.*, byte_encoding.*, unicode_props.* (+ generated unicode_tables.inc),
// utf8.*, tokenizer.cpp, stream_decoder.cpp; README.md lists where tome and
// llama.cpp differ.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tome {

class GgufFile;

enum class TokenizerKind { SPM, BPE };

// Token attributes, from tokenizer.ggml.token_type (llama.cpp's numbering).
enum class TokenType : int32_t { UNDEFINED = 0, NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6 };

class Tokenizer {
 public:
  // Throws tome::Error (TOKENIZER_*) when the metadata is missing or inconsistent.
  static std::unique_ptr<Tokenizer> from_gguf(const GgufFile& gguf);
  virtual ~Tokenizer() = default;

  // add_special: prepend BOS / append EOS as the metadata asks (add_bos_token,
  // add_eos_token, with llama.cpp's defaults per model kind).
  // parse_special: recognise control/user-defined token text in `text`.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const = 0;
  // The bytes a token stands for. Control tokens render as their text only
  // when render_special is set (else empty), byte tokens as their byte.
  virtual std::string token_to_piece(int32_t id, bool render_special) const = 0;

  virtual TokenizerKind kind() const = 0;
  // tokenizer.ggml.pre as written ("default" when absent); "" for SPM.
  virtual const std::string& pre() const = 0;
  virtual int32_t n_vocab() const = 0;
  virtual const std::string& token_text(int32_t id) const = 0;  // TOKENIZER_ID when out of range
  // The type llama.cpp ends up using, after its fix-ups by token text (e.g. a
  // NORMAL "<|im_end|>" becomes CONTROL).
  virtual TokenType token_type(int32_t id) const = 0;
  virtual int32_t bos() const = 0;  // -1 when none
  virtual int32_t eos() const = 0;  // -1 when none
  virtual bool add_bos() const = 0;  // what encode(add_special=true) prepends
  virtual bool add_eos() const = 0;
  // End of generation: eos, eot, eom and the tokens llama.cpp treats as such.
  virtual bool is_eog(int32_t id) const = 0;
  // A hash of everything that determines tokenization (for KV-store fingerprints).
  virtual uint64_t fingerprint() const = 0;
};

// Turns a token stream into text without ever splitting a UTF-8 character:
// bytes of an incomplete character are held until it completes; bytes that can
// never complete one come out as U+FFFD. Its output is always valid UTF-8.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tok, bool render_special = false)
      : tok_(tok), render_special_(render_special) {}
  // Returns the newly completed text (possibly empty).
  std::string push(int32_t token);
  // Returns what is held back (invalid sequences as U+FFFD) and resets.
  std::string flush();

 private:
  const Tokenizer& tok_;
  bool render_special_;
  std::string pending_;
};

}  // namespace tome
