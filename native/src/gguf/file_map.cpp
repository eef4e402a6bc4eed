#include "gguf/file_map.h"

#include <cerrno>
#include <cstring>
#include <limits>

#include "common/error.h"

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#define NOMINMAX
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace tome {

#ifdef _WIN32

namespace {
std::wstring widen(const std::string& utf8) {
  int n = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), int(utf8.size()), nullptr, 0);
  std::wstring w(size_t(n > 0 ? n : 0), L'\0');
  if (n > 0) MultiByteToWideChar(CP_UTF8, 0, utf8.data(), int(utf8.size()), &w[0], n);
  return w;
}
std::string last_error_text() { return "Windows error " + std::to_string(GetLastError()); }
}  // namespace

std::unique_ptr<FileMap> FileMap::open(const std::string& path) {
  std::unique_ptr<FileMap> m(new FileMap());
  HANDLE f = CreateFileW(widen(path).c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (f == INVALID_HANDLE_VALUE) throw Error("IO_OPEN", "cannot open " + path + ": " + last_error_text());
  m->file_ = f;
  LARGE_INTEGER size;
  if (!GetFileSizeEx(f, &size)) throw Error("IO_OPEN", "cannot stat " + path + ": " + last_error_text());
  m->size_ = uint64_t(size.QuadPart);
  if (m->size_ == 0) return m;
  if (m->size_ > std::numeric_limits<size_t>::max())
    throw Error("IO_MMAP", path + " is too large to map on this system");
  HANDLE mapping = CreateFileMappingW(f, nullptr, PAGE_READONLY, 0, 0, nullptr);
  if (!mapping) throw Error("IO_MMAP", "cannot map " + path + ": " + last_error_text());
  m->mapping_ = mapping;
  void* p = MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 0);
  if (!p) throw Error("IO_MMAP", "cannot map " + path + ": " + last_error_text());
  m->data_ = static_cast<const uint8_t*>(p);
  return m;
}

FileMap::~FileMap() {
  if (data_) UnmapViewOfFile(data_);
  if (mapping_) CloseHandle(mapping_);
  if (file_) CloseHandle(file_);
}

#else

std::unique_ptr<FileMap> FileMap::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("IO_OPEN", "cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw Error("IO_OPEN", "cannot stat " + path + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error("IO_OPEN", "cannot open " + path + ": not a regular file");
  }
  std::unique_ptr<FileMap> m(new FileMap());
  m->size_ = uint64_t(st.st_size);
  if (m->size_ == 0) {  // mmap refuses length 0; an empty file parses as empty bytes
    ::close(fd);
    return m;
  }
  if (m->size_ > std::numeric_limits<size_t>::max()) {
    ::close(fd);
    throw Error("IO_MMAP", path + " is too large to map on this system");
  }
  void* p = ::mmap(nullptr, size_t(m->size_), PROT_READ, MAP_PRIVATE, fd, 0);
  int e = errno;
  ::close(fd);  // the mapping keeps the file open
  if (p == MAP_FAILED) throw Error("IO_MMAP", "cannot map " + path + ": " + std::strerror(e));
  m->data_ = static_cast<const uint8_t*>(p);
  return m;
}

FileMap::~FileMap() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_t(size_));
}

#endif

}  // namespace tome
