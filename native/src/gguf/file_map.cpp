#include "gguf/file_map.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>

#include "common/error.h"
#include "common/windows_api.h"

#ifndef _WIN32
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace tome {

namespace {
// The whole pages of [p, p + n) within [base, base + size), as [from, to) (from >= to: none).
void whole_pages(const uint8_t* base, uint64_t size, const uint8_t* p, uint64_t n, size_t page, uintptr_t& from,
                 uintptr_t& to) {
  const uintptr_t b = reinterpret_cast<uintptr_t>(base), q = reinterpret_cast<uintptr_t>(p);
  const uintptr_t lo = std::max(q, b), hi = std::min(q + uintptr_t(n), b + uintptr_t(size));
  from = (lo + page - 1) / page * page;
  to = hi / page * page;
}
}  // namespace

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

// VirtualUnlock on pages that are not locked takes them out of the working set.
void FileMap::release(const uint8_t* p, uint64_t n) const noexcept {
  if (!data_ || !p || n == 0) return;
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  uintptr_t from, to;
  whole_pages(data_, size_, p, n, size_t(si.dwPageSize), from, to);
  if (to > from) VirtualUnlock(reinterpret_cast<void*>(from), SIZE_T(to - from));
}

#else

namespace {
// The file mapped read-only at a 2 MiB-aligned address, so that the page
// cache's large folios (Linux 6.x readahead, with MADV_HUGEPAGE asking for
// 2 MiB ones) can be mapped as whole 2 MiB pages: a decode step streams every
// weight once, and on 4 KiB pages that is a TLB miss (a nested page walk in a
// VM) every 4 KiB, more of them while a long context's random reads hold the
// TLB. Measured (smol q8_0, one process, the same weights in two files mapped
// this way and unaligned, each model with a 4K prefilled and a 128K synthetic
// retrieval session, blocks of 32 steps alternating, six each): matmul 5.58
// against 6.52 ms a step at 4K, 5.57 against 6.96 at 128K (ranges 5.29-6.07
// against 6.14-7.98). Mapped this way after the page cache was dropped, 129 of
// the 133 MB file came on 2 MiB pages (smaps' FilePmdMapped; 88 MB aligned
// without the advice, none unaligned); pages the cache already holds as small
// folios stay small. The mapping stays file-backed either way (the kernel may
// drop its pages and read them again); where no aligned range can be had it is
// an ordinary mapping.
void* map_on_huge_boundary(int fd, size_t size) {
  constexpr size_t kHuge = size_t(2) << 20;
  if (size >= kHuge && size <= std::numeric_limits<size_t>::max() - kHuge) {
    void* r = ::mmap(nullptr, size + kHuge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r != MAP_FAILED) {
      const uintptr_t base = reinterpret_cast<uintptr_t>(r);
      const uintptr_t at = (base + kHuge - 1) / kHuge * kHuge;
      void* p = ::mmap(reinterpret_cast<void*>(at), size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
      if (p == MAP_FAILED) {
        const int e = errno;
        ::munmap(r, size + kHuge);
        errno = e;
        return MAP_FAILED;
      }
      // the reservation's head and tail around the file (page-rounded)
      const size_t page = size_t(sysconf(_SC_PAGESIZE));
      const uintptr_t end = (at + size + page - 1) / page * page;
      if (at > base) ::munmap(r, at - base);
      if (base + size + kHuge > end) ::munmap(reinterpret_cast<void*>(end), base + size + kHuge - end);
#ifdef MADV_HUGEPAGE
      ::madvise(p, size / kHuge * kHuge, MADV_HUGEPAGE);
#endif
      return p;
    }
  }
  return ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
}
}  // namespace

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
  void* p = map_on_huge_boundary(fd, size_t(m->size_));
  int e = errno;
  ::close(fd);  // the mapping keeps the file open
  if (p == MAP_FAILED) throw Error("IO_MMAP", "cannot map " + path + ": " + std::strerror(e));
  m->data_ = static_cast<const uint8_t*>(p);
  return m;
}

FileMap::~FileMap() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_t(size_));
}

void FileMap::release(const uint8_t* p, uint64_t n) const noexcept {
  if (!data_ || !p || n == 0) return;
  uintptr_t from, to;
  whole_pages(data_, size_, p, n, size_t(sysconf(_SC_PAGESIZE)), from, to);
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

#endif

}  // namespace tome
