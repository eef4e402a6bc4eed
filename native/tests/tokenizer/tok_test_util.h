// Shared helpers for the tokenizer tests: locating fixtures, loading a
// tokenizer from a GGUF, formatting token lists for failure messages.
#pragma once
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "gguf/gguf_file.h"
#include "test_harness.h"
#include "tokenizer/tokenizer.h"

namespace tok_test {

inline bool file_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

inline std::string models_dir() { return tome_test::data_dir() + "/models"; }

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A tokenizer from models/<rel>; SKIPs the test when the fixture is absent.
struct Loaded {
  std::unique_ptr<tome::GgufFile> gguf;
  std::unique_ptr<tome::Tokenizer> tok;
};
inline Loaded load(const std::string& rel) {
  const std::string path = models_dir() + "/" + rel;
  if (!file_exists(path)) SKIP("missing fixture " + path);
  Loaded l;
  l.gguf = tome::GgufFile::open(path);
  l.tok = tome::Tokenizer::from_gguf(*l.gguf);
  return l;
}

inline std::string ids_str(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "]";
}

// Printable form of a test string for messages (escapes control bytes).
inline std::string show(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '\n') o += "\\n";
    else if (c == '\t') o += "\\t";
    else if (c == '\r') o += "\\r";
    else if (c < 0x20) o += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
    else o.push_back(char(c));
  }
  return o + "\"";
}

}  // namespace tok_test
