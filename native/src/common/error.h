// tome::Error: the one exception type native code throws. It carries a stable
// machine-readable code (e.g. "GGUF_TRUNCATED") and a human message; the N-API
// glue turns it into a JS Error with `.code`. Bad input never aborts the process.
#pragma once
#include <stdexcept>
#include <string>

namespace tome {

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

}  // namespace tome
