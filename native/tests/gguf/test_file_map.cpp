// FileMap: a file's bytes, mapped read-only; from 2 MiB up on a 2 MiB-aligned
// address (so the page cache's large folios can map as huge pages), with the
// rest of the reservation given back.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "gguf/file_map.h"
#include "temp_dir.h"
#include "test_harness.h"

using tome::FileMap;
using tome_test::TempDir;

namespace {

constexpr size_t kHuge = size_t(2) << 20;

// A file of n bytes whose byte i is a hash of i, so a shifted or wrong page shows.
std::vector<uint8_t> write_file(const std::string& path, size_t n) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t((i * 2654435761u) >> 13);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(n));
  return b;
}

#ifdef __linux__
// Bytes of inaccessible anonymous mappings (what an unreturned reservation
// stays as; neighbouring ones merge, so their count would not show it).
size_t reserved_bytes() {
  std::ifstream maps("/proc/self/maps");
  size_t total = 0;
  for (std::string line; std::getline(maps, line);) {
    unsigned long lo = 0, hi = 0, inode = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s %*s %*s %lu", &lo, &hi, perms, &inode) == 4 &&
        std::string(perms) == "---p" && inode == 0)
      total += hi - lo;
  }
  return total;
}
#endif

}  // namespace

TEST(maps_every_size_byte_for_byte) {
  TempDir dir;
  const std::string path = dir.file("sizes");
  for (size_t n : {size_t(1), size_t(4096), kHuge - 1, kHuge, kHuge + 12345, 5 * kHuge + 7}) {
    const std::vector<uint8_t> want = write_file(path, n);
    auto m = FileMap::open(path);
    CHECK_EQ(m->size(), uint64_t(n));
    bool same = true;
    for (size_t i = 0; i < n && same; ++i) same = m->data()[i] == want[i];
    if (!same) TOME_FAIL("bytes differ at size " + std::to_string(n));
#ifdef __linux__
    if (n >= kHuge && reinterpret_cast<uintptr_t>(m->data()) % kHuge != 0)
      TOME_FAIL("a " + std::to_string(n) + "-byte file is not on a 2 MiB boundary");
#endif
  }
}

TEST(empty_file_maps_as_no_bytes) {
  TempDir dir;
  const std::string path = dir.file("empty");
  write_file(path, 0);
  auto m = FileMap::open(path);
  CHECK_EQ(m->size(), uint64_t(0));
}

#ifdef __linux__
TEST(reservation_is_given_back) {
  // each open reserves 2 MiB more than the file and keeps only the file's
  // pages: what is left of the reservation would stay as inaccessible bytes
  TempDir dir;
  const std::string path = dir.file("reserve");
  write_file(path, 3 * kHuge + 100);
  { auto warm = FileMap::open(path); }
  const size_t before = reserved_bytes();
  for (int i = 0; i < 200; ++i) {
    auto m = FileMap::open(path);
    CHECK(m->data()[0] == uint8_t(0));
  }
  CHECK_EQ(reserved_bytes(), before);
}
#endif

TEST(missing_file_and_folder_are_open_errors) {
  TempDir dir;
  for (const std::string& path : {dir.file("does_not_exist"), dir.path}) {
    try {
      FileMap::open(path);
      TOME_FAIL(path + " opened");
    } catch (const tome::Error& e) {
      CHECK_EQ(std::string(e.code()), std::string("IO_OPEN"));
    }
  }
}

TOME_TEST_MAIN()
