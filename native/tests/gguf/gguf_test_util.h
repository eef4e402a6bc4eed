// Helpers for the GGUF tests: a raw little-endian byte builder for hand-made
// (broken) files, a small valid model written by GgufWriter, byte patching.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

// CHECK_THROWS_CODE in test_harness.h names its parameter `code`, which the
// preprocessor also substitutes into `_e.code()`, so it does not compile; this
// is the same check with another parameter name.
#define CHECK_GGUF_CODE(stmt, expected) do { bool _thrown = false; \
  try { stmt; } catch (const tome::Error& _e) { _thrown = true; \
    if (_e.code() != (expected)) TOME_FAIL("expected code " + std::string(expected) + ", got " + _e.code() + ": " + _e.what()); } \
  if (!_thrown) TOME_FAIL("expected tome::Error " + std::string(expected) + " from " #stmt); } while (0)

namespace gguf_test {

// Appends GGUF fields in file order; no checks, so anything can be written.
struct Raw {
  std::vector<uint8_t> b;
  Raw& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(uint8_t(v >> (8 * i)));
    return *this;
  }
  Raw& u8(uint8_t v) { return le(v, 1); }
  Raw& u32(uint32_t v) { return le(v, 4); }
  Raw& u64(uint64_t v) { return le(v, 8); }
  Raw& i64(int64_t v) { return le(uint64_t(v), 8); }
  Raw& bytes(const std::string& s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Raw& str(const std::string& s) { return u64(s.size()).bytes(s); }
  Raw& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return bytes("GGUF").u32(version).u64(n_tensors).u64(n_kv);
  }
  Raw& kv_u32(const std::string& key, uint32_t v) { return str(key).u32(4).u32(v); }
  Raw& kv_str(const std::string& key, const std::string& v) { return str(key).u32(8).str(v); }
  Raw& tensor(const std::string& name, std::vector<int64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(uint32_t(ne.size()));
    for (int64_t d : ne) i64(d);
    return u32(type).u64(offset);
  }
  Raw& pad(uint64_t align = 32) {
    while (b.size() % align) b.push_back(0);
    return *this;
  }
  Raw& zeros(size_t n) {
    b.resize(b.size() + n, 0);
    return *this;
  }
};

inline std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 4);
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());  // the tests run on little-endian hosts
  return out;
}

// Deterministic filler bytes.
inline std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> out(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x = x * 1664525u + 1013904223u;
    c = uint8_t(x >> 24);
  }
  return out;
}

// A small model: a few hyperparameters, a 40-token tokenizer-like vocabulary
// (tokens, scores, token types), and tensors of types F32, F16, Q8_0, Q4_0.
// The last tensor is 32 bytes, so the file ends exactly where its data ends and
// every shorter prefix is truncated.
inline void fill_small_model(tome::GgufWriter& w) {
  w.set_string("general.architecture", "llama");
  w.set_string("general.name", "tiny test");
  w.set_u32("llama.block_count", 1);
  w.set_u32("llama.embedding_length", 32);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  for (int i = 3; i < 40; ++i) {
    tokens.push_back(std::string(size_t(1 + i % 5), char('a' + i % 26)));
    scores.push_back(-float(i));
    types.push_back(1);
  }
  w.set_array_str("tokenizer.ggml.tokens", tokens);
  w.set_array_f32("tokenizer.ggml.scores", scores);
  w.set_array_i32("tokenizer.ggml.token_type", types);
  w.add_tensor_owned("token_embd.weight", tome::GgmlType::Q8_0, {32, 40}, pattern(40 * 34, 1));
  w.add_tensor_owned("blk.0.attn_q.weight", tome::GgmlType::F16, {32, 3}, pattern(32 * 3 * 2, 2));
  w.add_tensor_owned("blk.0.ffn_up.weight", tome::GgmlType::Q4_0, {64, 2}, pattern(2 * 2 * 18, 3));
  w.add_tensor_owned("output_norm.weight", tome::GgmlType::F32, {8}, pattern(32, 4));
}

inline std::vector<uint8_t> small_model_bytes() {
  tome::GgufWriter w;
  fill_small_model(w);
  return w.to_bytes();
}

// Offset of the first occurrence of needle in bytes (aborts the test if absent).
inline size_t find_bytes(const std::vector<uint8_t>& bytes, const std::string& needle) {
  for (size_t i = 0; i + needle.size() <= bytes.size(); ++i)
    if (std::memcmp(bytes.data() + i, needle.data(), needle.size()) == 0) return i;
  std::fprintf(stderr, "find_bytes: '%s' not found\n", needle.c_str());
  std::abort();
}

inline void put_le(std::vector<uint8_t>& bytes, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) bytes.at(at + size_t(i)) = uint8_t(v >> (8 * i));
}

// The tome::Error code that parsing bytes gives, or "" when it parses.
inline std::string parse_code(std::vector<uint8_t> bytes, const tome::GgufLimits& limits = {}) {
  try {
    tome::GgufFile::from_bytes(std::move(bytes), limits);
    return "";
  } catch (const tome::Error& e) {
    return e.code();
  }
}

// "CODE: message" from parsing bytes, or "" when it parses.
inline std::string parse_error(std::vector<uint8_t> bytes, const tome::GgufLimits& limits = {}) {
  try {
    tome::GgufFile::from_bytes(std::move(bytes), limits);
    return "";
  } catch (const tome::Error& e) {
    return e.code() + ": " + e.what();
  }
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace gguf_test
