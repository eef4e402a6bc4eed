// Rewrites the metadata of a GGUF held in memory: set a string or bool key
// (replacing it in place or appending it) or remove a key, keeping every other
// byte as it was. The tests use it to give a real vocabulary another
// pre-tokenizer or flag, exactly as native/tools/make-tokenizer-golden.mjs does
// for the files it has llama.cpp tokenize. Files with tensors are refused
// (their data alignment would move).
#pragma once
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace gguf_patch {

struct Edit {
  enum Op { SET_STRING, SET_BOOL, REMOVE, SET_STRINGS, SET_I32S, SET_F32S, SET_U32 } op;
  std::string key;
  std::string str = {};
  bool b = false;
  std::vector<std::string> strs = {};
  std::vector<int32_t> i32s = {};
  std::vector<float> f32s = {};
  uint32_t u32 = 0;
};

namespace detail {

inline uint64_t rd64(const std::vector<uint8_t>& d, size_t at) {
  if (at + 8 > d.size()) throw std::runtime_error("gguf_patch: truncated");
  uint64_t v;
  std::memcpy(&v, d.data() + at, 8);
  return v;
}
inline uint32_t rd32(const std::vector<uint8_t>& d, size_t at) {
  if (at + 4 > d.size()) throw std::runtime_error("gguf_patch: truncated");
  uint32_t v;
  std::memcpy(&v, d.data() + at, 4);
  return v;
}
inline size_t scalar_size(uint32_t type) {
  switch (type) {
    case 0: case 1: case 7: return 1;
    case 2: case 3: return 2;
    case 4: case 5: case 6: return 4;
    case 10: case 11: case 12: return 8;
    default: return 0;
  }
}
// Byte length of a value of `type` starting at `at`.
inline size_t value_size(const std::vector<uint8_t>& d, size_t at, uint32_t type) {
  if (type == 8) return 8 + rd64(d, at);
  if (type == 9) {
    const uint32_t elem = rd32(d, at);
    const uint64_t n = rd64(d, at + 4);
    size_t len = 12;
    for (uint64_t i = 0; i < n; ++i) len += value_size(d, at + len, elem);
    return len;
  }
  const size_t s = scalar_size(type);
  if (!s) throw std::runtime_error("gguf_patch: unknown type");
  return s;
}
inline void put64(std::vector<uint8_t>& o, uint64_t v) { o.insert(o.end(), (uint8_t*)&v, (uint8_t*)&v + 8); }
inline void put32(std::vector<uint8_t>& o, uint32_t v) { o.insert(o.end(), (uint8_t*)&v, (uint8_t*)&v + 4); }
inline void put_str(std::vector<uint8_t>& o, const std::string& s) {
  put64(o, s.size());
  o.insert(o.end(), s.begin(), s.end());
}
inline std::vector<uint8_t> encode_value(const Edit& e) {
  std::vector<uint8_t> v;
  switch (e.op) {
    case Edit::SET_STRING:
      put32(v, 8);
      put_str(v, e.str);
      break;
    case Edit::SET_BOOL:
      put32(v, 7);
      v.push_back(e.b ? 1 : 0);
      break;
    case Edit::SET_U32:
      put32(v, 4);
      put32(v, e.u32);
      break;
    case Edit::SET_STRINGS:
      put32(v, 9);
      put32(v, 8);
      put64(v, e.strs.size());
      for (const auto& s : e.strs) put_str(v, s);
      break;
    case Edit::SET_I32S:
      put32(v, 9);
      put32(v, 5);
      put64(v, e.i32s.size());
      for (int32_t x : e.i32s) put32(v, uint32_t(x));
      break;
    case Edit::SET_F32S:
      put32(v, 9);
      put32(v, 6);
      put64(v, e.f32s.size());
      for (float x : e.f32s) {
        uint32_t bits;
        std::memcpy(&bits, &x, 4);
        put32(v, bits);
      }
      break;
    case Edit::REMOVE:
      break;
  }
  return v;
}

}  // namespace detail

inline std::vector<uint8_t> apply(const std::vector<uint8_t>& in, const std::vector<Edit>& edits) {
  using namespace detail;
  if (in.size() < 24 || std::memcmp(in.data(), "GGUF", 4) != 0) throw std::runtime_error("gguf_patch: not GGUF");
  if (rd64(in, 8) != 0) throw std::runtime_error("gguf_patch: only for files without tensors");
  const uint64_t n_kv = rd64(in, 16);
  struct Kv { std::string key; std::vector<uint8_t> typed_value; };
  std::vector<Kv> kvs;
  size_t at = 24;
  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t klen = rd64(in, at);
    std::string key(reinterpret_cast<const char*>(in.data() + at + 8), klen);
    at += 8 + klen;
    const uint32_t type = rd32(in, at);
    const size_t len = 4 + value_size(in, at + 4, type);
    kvs.push_back({key, std::vector<uint8_t>(in.begin() + at, in.begin() + at + len)});
    at += len;
  }
  const size_t rest = at;
  for (const Edit& e : edits) {
    bool found = false;
    for (size_t i = 0; i < kvs.size(); ++i) {
      if (kvs[i].key != e.key) continue;
      found = true;
      if (e.op == Edit::REMOVE) kvs.erase(kvs.begin() + i);
      else kvs[i].typed_value = encode_value(e);
      break;
    }
    if (!found && e.op != Edit::REMOVE) kvs.push_back({e.key, encode_value(e)});
  }
  std::vector<uint8_t> out(in.begin(), in.begin() + 16);
  put64(out, kvs.size());
  for (const Kv& kv : kvs) {
    put_str(out, kv.key);
    out.insert(out.end(), kv.typed_value.begin(), kv.typed_value.end());
  }
  out.insert(out.end(), in.begin() + rest, in.end());
  return out;
}

// A GGUF v3 with no metadata and no tensors, to build synthetic vocabularies on.
inline std::vector<uint8_t> empty_gguf() {
  std::vector<uint8_t> out = {'G', 'G', 'U', 'F'};
  detail::put32(out, 3);
  detail::put64(out, 0);
  detail::put64(out, 0);
  return out;
}

}  // namespace gguf_patch
