#include "kvstore/kv_spill.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kvstore/block_checksum.h"

namespace tome {

namespace {

// Seeds the checksum with the slot, so bytes read from the wrong offset fail.
uint64_t slot_checksum(size_t slot, const void* a, size_t na, const void* b, size_t nb) {
  return block_checksum(b, nb, block_checksum(a, na, 0x5B11u ^ (uint64_t(slot) * 0x9E3779B97F4A7C15ull)));
}

int open_unnamed(const std::string& dir) {
#ifdef O_TMPFILE
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
#endif
  // file systems without O_TMPFILE: a named file, unlinked at once
  std::string tmpl = dir + "/.tome-spill-XXXXXX";
  const int named = mkstemp(tmpl.data());
  if (named < 0) return -1;
  ::unlink(tmpl.c_str());
  fcntl(named, F_SETFD, FD_CLOEXEC);
  return named;
}

// Moves all of n bytes through preadv/pwritev at off (short transfers resumed).
template <class Io>
bool transfer_all(Io io, int fd, iovec* v, int nv, off_t off) {
  while (nv > 0) {
    const ssize_t got = io(fd, v, nv, off);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    off += got;
    size_t left = size_t(got);
    while (nv > 0 && left >= v->iov_len) left -= v->iov_len, ++v, --nv;
    if (nv > 0) v->iov_base = static_cast<char*>(v->iov_base) + left, v->iov_len -= left;
  }
  return true;
}

}  // namespace

std::unique_ptr<KvSpill> KvSpill::create(const std::string& dir, size_t slot_bytes, size_t n_slots) {
  if (slot_bytes == 0) return nullptr;
  const int fd = open_unnamed(dir.empty() ? "." : dir);
  if (fd < 0) return nullptr;
  return std::unique_ptr<KvSpill>(new KvSpill(fd, slot_bytes, n_slots));
}

KvSpill::KvSpill(int fd, size_t slot_bytes, size_t n_slots)
    : fd_(fd), slot_bytes_(slot_bytes), present_(n_slots, 0), sums_(n_slots, 0) {}

KvSpill::~KvSpill() { ::close(fd_); }

bool KvSpill::write(size_t slot, const void* a, size_t na, const void* b, size_t nb) {
  if (slot >= present_.size() || na + nb != slot_bytes_) return false;
  forget(slot);
  iovec v[2] = {{const_cast<void*>(a), na}, {const_cast<void*>(b), nb}};
  if (!transfer_all(::pwritev, fd_, v, 2, off_t(slot * slot_bytes_))) return false;
  sums_[slot] = slot_checksum(slot, a, na, b, nb);
  present_[slot] = 1;
  ++present_count_;
  ++writes_;
  return true;
}

bool KvSpill::read(size_t slot, void* a, size_t na, void* b, size_t nb) const {
  if (!has(slot) || na + nb != slot_bytes_) return false;
  iovec v[2] = {{a, na}, {b, nb}};
  return transfer_all(::preadv, fd_, v, 2, off_t(slot * slot_bytes_)) && slot_checksum(slot, a, na, b, nb) == sums_[slot];
}

void KvSpill::forget(size_t slot) {
  if (!has(slot)) return;
  present_[slot] = 0;
  --present_count_;
}

}  // namespace tome
