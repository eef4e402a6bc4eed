// FileMap: a whole file mapped read-only (POSIX mmap, or MapViewOfFile on
// Windows). The bytes stay valid until the FileMap is destroyed. An empty file
// maps to data() == nullptr, size() == 0.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace tome {

class FileMap {
 public:
  // Throws tome::Error IO_OPEN (cannot open / not a regular file) or IO_MMAP.
  static std::unique_ptr<FileMap> open(const std::string& path);
  ~FileMap();
  FileMap(const FileMap&) = delete;
  FileMap& operator=(const FileMap&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  // [p, p + n) of the mapping will not be read for a while (the model keeps its own
  // copy): its whole pages leave the process's resident set, the file's page cache
  // keeping them for the system to reclaim; a later read maps them back. A hint: bytes
  // outside the mapping are ignored, and a failure changes nothing.
  void release(const uint8_t* p, uint64_t n) const noexcept;

 private:
  FileMap() = default;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
#ifdef _WIN32
  void* file_ = nullptr;     // HANDLE
  void* mapping_ = nullptr;  // HANDLE
#endif
};

}  // namespace tome
