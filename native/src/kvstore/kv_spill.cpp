#include "kvstore/kv_spill.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "kvstore/block_checksum.h"

namespace tome {

namespace {

// Seeded by the row's place, so bytes read from the wrong offset fail.
uint32_t row_checksum(size_t slot, size_t r, const void* data, size_t n) {
  const uint64_t c = block_checksum(data, n, 0x5B11u ^ (uint64_t(slot) * 0x9E3779B97F4A7C15ull) ^ (uint64_t(r) << 48));
  return uint32_t(c ^ (c >> 32));
}

int open_unnamed(const std::string& dir) {
#ifdef O_TMPFILE
  // (O_NOATIME: every row read would otherwise update the file's access time)
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC | O_NOATIME, 0600);
  if (fd >= 0) return fd;
#endif
  // file systems without O_TMPFILE: a named file, unlinked at once
  std::string tmpl = dir + "/.tome-spill-XXXXXX";
  const int named = mkstemp(tmpl.data());
  if (named < 0) return -1;
  ::unlink(tmpl.c_str());
  fcntl(named, F_SETFD, FD_CLOEXEC);
  fcntl(named, F_SETFL, fcntl(named, F_GETFL) | O_NOATIME);
  return named;
}

// All of n bytes through pread/pwrite at off (short transfers resumed).
template <class Io, class Ptr>
bool transfer_all(Io io, int fd, Ptr p, size_t n, off_t off) {
  while (n > 0) {
    const ssize_t got = io(fd, p, n, off);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got, n -= size_t(got), off += got;
  }
  return true;
}

}  // namespace

std::unique_ptr<KvSpill> KvSpill::create(const std::string& dir, size_t row_bytes, size_t rows, size_t n_slots,
                                         uint64_t keep_free) {
  if (row_bytes == 0 || rows == 0) return nullptr;
  const int fd = open_unnamed(dir.empty() ? "." : dir);
  if (fd < 0) return nullptr;
  return std::unique_ptr<KvSpill>(new KvSpill(fd, row_bytes, rows, n_slots, keep_free));
}

KvSpill::KvSpill(int fd, size_t row_bytes, size_t rows, size_t n_slots, uint64_t keep_free)
    : fd_(fd), keep_free_(keep_free), row_bytes_(row_bytes), rows_(rows), present_(n_slots, 0), sums_(n_slots * rows, 0) {}

bool KvSpill::room_for(uint64_t more) const {
  struct statvfs st;
  if (::fstatvfs(fd_, &st) != 0) return false;
  const uint64_t free_bytes = uint64_t(st.f_bavail) * uint64_t(st.f_frsize);
  return free_bytes >= more && free_bytes - more >= keep_free_;
}

KvSpill::~KvSpill() { ::close(fd_); }

bool KvSpill::write(size_t first, size_t n, const void* data) {
  if (first >= present_.size() || n > present_.size() - first) return false;
  for (size_t i = 0; i < n; ++i) forget(first + i);
  const auto* bytes = static_cast<const uint8_t*>(data);
  const uint64_t end = uint64_t(first + n) * slot_bytes();
  if (end > file_end_ && !room_for(end - file_end_)) return false;
  if (!transfer_all(::pwrite, fd_, bytes, n * slot_bytes(), off_t(first * slot_bytes()))) return false;
  file_end_ = std::max(file_end_, end);
  for (size_t i = 0; i < n; ++i) {
    const size_t slot = first + i;
    const uint8_t* at = bytes + i * slot_bytes();
    for (size_t r = 0; r < rows_; ++r) sums_[slot * rows_ + r] = row_checksum(slot, r, at + r * row_bytes_, row_bytes_);
    present_[slot] = 1;
  }
  present_count_ += n;
  writes_ += int64_t(n);
  return true;
}

bool KvSpill::read_row(size_t slot, size_t r, void* out) const {
  if (!has(slot) || r >= rows_) return false;
  auto* bytes = static_cast<uint8_t*>(out);
  return transfer_all(::pread, fd_, bytes, row_bytes_, off_t(slot * slot_bytes() + r * row_bytes_)) &&
         row_checksum(slot, r, out, row_bytes_) == sums_[slot * rows_ + r];
}

void KvSpill::read_slots(size_t first, size_t n, void* out, uint8_t* ok) const {
  auto* bytes = static_cast<uint8_t*>(out);
  const size_t end = std::min(first + n, present_.size());
  // the run's bytes in one read, up to the end of the file (slots past it,
  // never written, are absent; absent slots read as whatever the file holds)
  size_t got = 0;
  const size_t want = end > first ? (end - first) * slot_bytes() : 0;
  while (got < want) {
    const ssize_t r = ::pread(fd_, bytes + got, want - got, off_t(first * slot_bytes() + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += size_t(r);
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t slot = first + i;
    bool good = slot < end && (i + 1) * slot_bytes() <= got && has(slot);
    for (size_t r = 0; good && r < rows_; ++r)
      good = row_checksum(slot, r, bytes + i * slot_bytes() + r * row_bytes_, row_bytes_) == sums_[slot * rows_ + r];
    ok[i] = good ? 1 : 0;
  }
}

void KvSpill::forget(size_t slot) {
  if (!has(slot)) return;
  present_[slot] = 0;
  --present_count_;
}

}  // namespace tome
