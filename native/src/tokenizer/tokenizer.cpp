// The Tokenizer behind tokenizer.h: llama.cpp's llama_vocab::impl::tokenize and
// token_to_piece over a Vocab.
//   encode:  special-token partition -> per text fragment:
//              SPM: [space prefix] + escape ' ' as U+2581 -> SpmTokenizer
//              BPE: pre-split into words -> byte-encode -> merges (cached per word)
//            with BOS / EOS around it when add_special asks.
//   pieces:  computed once for every token (as llama.cpp's piece cache).
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "common/error.h"
#include "gguf/gguf_file.h"
#include "tokenizer/bpe_merger.h"
#include "tokenizer/byte_encoding.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/special_partition.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace tome {
namespace {

const std::string kEscapedSpace = "\xE2\x96\x81";  // U+2581

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out += to;
  }
  out.append(s, pos, std::string::npos);
  s.swap(out);
}

// The byte of a <0xNN> token (strtol over the two hex digits, 0 if none).
char byte_of_byte_token(const std::string& text) {
  int value = 0;
  for (size_t i = 3; i < 5 && i < text.size(); ++i) {
    const char c = text[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else break;
    value = value * 16 + d;
  }
  return char(value);
}

// Bytes the "[UNK_BYTE_...]" forms of a whole vocabulary's pieces may add
// beyond the token texts themselves. Each such form repeats the whole token
// text, so a token of L bytes of two-byte code points outside the byte map
// renders to ~L^2/2 bytes: one crafted 1 MiB token (the GGUF string limit)
// would ask for ~550 GB as the tokenizer loads. Real vocabularies have a few such tokens of a
// few bytes each; this allowance is far above them.
constexpr size_t kMaxUnkByteExpansion = size_t(64) << 20;

// A byte-level BPE token's text back to bytes. A code point outside the byte
// map gives llama.cpp's "[UNK_BYTE_0x<hex>" + whole token text + "]".
// `allowance` is what the vocabulary's pieces may still grow beyond their
// texts; a piece that would pass it throws TOKENIZER_VOCAB before allocating.
std::string decode_byte_level(const std::string& text, int32_t id, size_t& allowance) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (uint32_t cp : utf8::decode_utf8_lossy(text)) {
    const int b = bytes::utf8_cp_to_byte(cp);
    if (b >= 0) {
      out.push_back(char(b));
      continue;
    }
    std::string enc;
    utf8::append_utf8(enc, cp);
    const size_t form = 12 + 2 * enc.size() + text.size() + 1;  // "[UNK_BYTE_0x" hex text "]"
    if (out.size() + form > text.size() + allowance)
      throw Error("TOKENIZER_VOCAB", "token " + std::to_string(id) + " (" + std::to_string(text.size()) +
                                         " bytes) renders to more than the vocabulary's allowance of " +
                                         std::to_string(kMaxUnkByteExpansion >> 20) +
                                         " MiB for code points outside the byte-level map");
    out += "[UNK_BYTE_0x";
    for (unsigned char c : enc) {
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
    out += text + "]";
  }
  if (out.size() > text.size()) allowance -= out.size() - text.size();
  return out;
}

// 64-bit FNV-1a.
struct Fnv1a {
  uint64_t h = 0xcbf29ce484222325ull;
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 0x100000001b3ull;
    }
  }
  void str(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void u64(uint64_t v) { bytes(&v, sizeof v); }  // little-endian hosts only (as the rest of tome)
  void i32(int32_t v) { bytes(&v, sizeof v); }
};

class LlamaCompatTokenizer final : public Tokenizer {
 public:
  explicit LlamaCompatTokenizer(Vocab vocab) : v_(std::move(vocab)) {
    if (v_.kind == TokenizerKind::BPE) {
      spec_ = find_pre_tokenizer(v_.pre);
      bpe_ = std::make_unique<BpeMerger>(v_);
      pre_name_ = v_.pre.empty() ? "default" : v_.pre;
    } else {
      spm_ = std::make_unique<SpmTokenizer>(v_);
    }
    pieces_.reserve(v_.tokens.size());
    size_t allowance = kMaxUnkByteExpansion;
    for (size_t i = 0; i < v_.tokens.size(); ++i) pieces_.push_back(render(v_.tokens[i], int32_t(i), allowance));
    fingerprint_ = compute_fingerprint();
  }

  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const override {
    std::vector<int32_t> out;
    const std::vector<Fragment> frags = partition_special_tokens(v_, text, parse_special);
    if (add_special && v_.add_bos && v_.bos >= 0) out.push_back(v_.bos);
    if (v_.kind == TokenizerKind::SPM) encode_spm(text, frags, out);
    else encode_bpe(text, frags, out);
    if (add_special && v_.add_eos && v_.eos >= 0) out.push_back(v_.eos);
    return out;
  }

  std::string token_to_piece(int32_t id, bool render_special) const override {
    if (!v_.valid(id)) return {};
    if (!render_special && (v_.tokens[id].attr & (ATTR_UNKNOWN | ATTR_CONTROL))) return {};
    return pieces_[id];
  }

  TokenizerKind kind() const override { return v_.kind; }
  const std::string& pre() const override { return pre_name_; }
  int32_t n_vocab() const override { return v_.n_tokens(); }
  const std::string& token_text(int32_t id) const override {
    if (!v_.valid(id)) throw Error("TOKENIZER_ID", "token id " + std::to_string(id) + " is outside the vocabulary");
    return v_.tokens[id].text;
  }
  TokenType token_type(int32_t id) const override {
    if (!v_.valid(id)) return TokenType::UNDEFINED;
    const uint32_t a = v_.tokens[id].attr;
    if (a & ATTR_CONTROL) return TokenType::CONTROL;
    if (a & ATTR_USER_DEFINED) return TokenType::USER_DEFINED;
    if (a & ATTR_UNKNOWN) return TokenType::UNKNOWN;
    if (a & ATTR_BYTE) return TokenType::BYTE;
    if (a & ATTR_UNUSED) return TokenType::UNUSED;
    if (a & ATTR_NORMAL) return TokenType::NORMAL;
    return TokenType::UNDEFINED;
  }
  int32_t bos() const override { return v_.bos; }
  int32_t eos() const override { return v_.eos; }
  bool add_bos() const override { return v_.add_bos && v_.bos >= 0; }
  bool add_eos() const override { return v_.add_eos && v_.eos >= 0; }
  bool is_eog(int32_t id) const override { return v_.eog.count(id) > 0; }
  uint64_t fingerprint() const override { return fingerprint_; }

 private:
  void encode_spm(std::string_view text, const std::vector<Fragment>& frags, std::vector<int32_t>& out) const {
    bool prev_special = true;  // the text start counts as "after a special token"
    std::string piece;
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        out.push_back(f.token);
        prev_special = true;
        continue;
      }
      piece.clear();
      if (v_.add_space_prefix && prev_special) piece = " ";
      piece.append(text.substr(f.offset, f.length));
      replace_all(piece, " ", kEscapedSpace);
      spm_->tokenize(piece, out);
      prev_special = false;
    }
  }

  void encode_bpe(std::string_view text, const std::vector<Fragment>& frags, std::vector<int32_t>& out) const {
    std::unordered_map<std::string, std::vector<int32_t>> cache;  // byte-encoded word -> ids
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        out.push_back(f.token);
        continue;
      }
      const std::vector<uint32_t> cpts = utf8::decode_utf8_lossy(text.substr(f.offset, f.length));
      std::string word;
      size_t start = 0;
      for (size_t len : pre_split(cpts, spec_->steps)) {
        word.clear();
        for (size_t i = start; i < start + len; ++i) utf8::append_utf8(word, cpts[i]);
        start += len;
        std::string encoded = bytes::encode(word);
        auto it = cache.find(encoded);
        if (it == cache.end()) {
          std::vector<int32_t> ids;
          bpe_->encode_word(encoded, ids);
          it = cache.emplace(std::move(encoded), std::move(ids)).first;
        }
        out.insert(out.end(), it->second.begin(), it->second.end());
      }
    }
  }

  // The piece with render_special set (llama.cpp's token_to_piece cache).
  std::string render(const VocabToken& t, int32_t id, size_t& allowance) const {
    if (t.attr & (ATTR_UNKNOWN | ATTR_CONTROL | ATTR_USER_DEFINED)) return t.text;
    if (t.attr & ATTR_NORMAL) {
      if (v_.kind == TokenizerKind::BPE) return decode_byte_level(t.text, id, allowance);
      std::string s = t.text;
      replace_all(s, kEscapedSpace, " ");
      return s;
    }
    if (t.attr & ATTR_BYTE) return std::string(1, byte_of_byte_token(t.text));
    return {};  // UNUSED / UNDEFINED render as nothing
  }

  uint64_t compute_fingerprint() const {
    Fnv1a h;
    h.str("tome-tokenizer-1");
    h.str(v_.model);
    h.str(spec_ ? spec_->canonical : "");  // aliases of one pre-tokenizer hash alike
    h.u64(v_.tokens.size());
    for (const VocabToken& t : v_.tokens) {
      h.str(t.text);
      h.u64(t.attr);
      uint32_t score_bits;
      std::memcpy(&score_bits, &t.score, sizeof score_bits);
      h.u64(score_bits);
    }
    h.u64(v_.merges.size());
    for (const auto& m : v_.merges) {
      h.str(m.first);
      h.str(m.second);
    }
    for (int32_t id : {v_.bos, v_.eos, v_.eot, v_.eom, v_.unk, v_.sep, v_.pad, v_.mask}) h.i32(id);
    h.u64(uint64_t(v_.add_bos) | uint64_t(v_.add_eos) << 1 | uint64_t(v_.add_space_prefix) << 2 |
          uint64_t(v_.ignore_merges) << 3);
    std::vector<int32_t> eog(v_.eog.begin(), v_.eog.end());
    std::sort(eog.begin(), eog.end());
    h.u64(eog.size());
    for (int32_t id : eog) h.i32(id);
    h.u64(v_.special_order.size());
    for (int32_t id : v_.special_order) h.i32(id);
    return h.h;
  }

  Vocab v_;
  const PreTokenizerSpec* spec_ = nullptr;
  std::unique_ptr<BpeMerger> bpe_;
  std::unique_ptr<SpmTokenizer> spm_;
  std::string pre_name_;  // "" for SPM
  std::vector<std::string> pieces_;
  uint64_t fingerprint_ = 0;
};

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& gguf) {
  return std::make_unique<LlamaCompatTokenizer>(Vocab::from_gguf(gguf));
}

}  // namespace tome
