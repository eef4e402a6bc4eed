#include "model/fingerprint.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "common/ggml_type.h"
#include "kvstore/block_checksum.h"
#include "model/model.h"

namespace tome {

namespace {

// Streams typed values into one running checksum.
struct Hasher {
  uint64_t h = 0x746f6d65ull;
  void bytes(const void* p, size_t n) { h = block_checksum(p, n, h); }
  void u64(uint64_t v) { bytes(&v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void value(const GgufValue& v) {
    u64(uint64_t(v.type));
    u64(uint64_t(v.elem_type));
    u64(uint64_t(v.i));
    bytes(&v.f, sizeof v.f);
    str(v.str);
    u64(v.strs.size());
    for (const std::string& s : v.strs) str(s);
    u64(v.ints.size());
    if (!v.ints.empty()) bytes(v.ints.data(), v.ints.size() * sizeof(int64_t));
    u64(v.floats.size());
    if (!v.floats.empty()) bytes(v.floats.data(), v.floats.size() * sizeof(double));
  }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
  }
};

bool is_tokenizer_key(const std::string& k) { return k.rfind("tokenizer.", 0) == 0; }

}  // namespace

std::string model_fingerprint(const Model& model) {
  const GgufFile& g = model.gguf();
  Hasher hs;
  for (const GgufKV& kv : g.metadata()) {
    if (is_tokenizer_key(kv.key)) continue;
    hs.str(kv.key);
    hs.value(kv.value);
  }
  std::map<uint32_t, uint64_t> bytes_by_type;
  for (const GgufTensorInfo& t : g.tensors()) {
    hs.str(t.name);
    hs.u64(t.type);
    hs.bytes(t.ne, sizeof t.ne);
    hs.u64(t.offset);
    const size_t edge = size_t(std::min<uint64_t>(t.nbytes, 4096));
    hs.bytes(t.data, edge);
    hs.bytes(t.data + (t.nbytes - edge), edge);
    bytes_by_type[t.type] += t.nbytes;
  }
  hs.u64(g.file_size());
  uint32_t dominant = 0;
  uint64_t most = 0;
  for (const auto& [type, n] : bytes_by_type)
    if (n > most) most = n, dominant = type;
  const char* tname = ggml_type_name(dominant);
  std::string type = tname ? tname : "?";
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return model.hparams().arch_name + ":" + type + ":" + hs.hex();
}

std::string tokenizer_fingerprint(const Model& model) {
  const GgufFile& g = model.gguf();
  Hasher hs;
  for (const GgufKV& kv : g.metadata()) {
    if (!is_tokenizer_key(kv.key)) continue;
    hs.str(kv.key);
    hs.value(kv.value);
  }
  return g.get_string("tokenizer.ggml.model").value_or("none") + ":" + hs.hex();
}

}  // namespace tome
