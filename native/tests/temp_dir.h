// A temporary folder of its own (mkdtemp under the system's temp directory),
// removed with everything in it when the object goes: tests that write files
// run side by side under ctest without meeting.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace tome_test {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tome-native-test-XXXXXX").string();
    path = mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

}  // namespace tome_test
