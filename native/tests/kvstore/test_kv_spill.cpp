// KvSpill on its own: slots round-trip byte-exact; a slot whose bytes changed
// on disk, one never written and one forgotten read as absent; a write the
// file system refuses (file size limit) leaves the slot absent; the file has no
// name in its folder; a folder that cannot hold a file gives no spill.
#include <cstring>
#include <filesystem>
#include <random>
#include <unistd.h>
#include <vector>

#include "kvstore/kv_spill.h"
#include "store_test_util.h"
#include "test_harness.h"

using namespace tome;
using store_test::TempDir;

namespace {

constexpr size_t kHalf = 4096, kSlot = 2 * kHalf, kSlots = 64;

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<uint8_t> b(n);
  for (auto& x : b) x = uint8_t(g());
  return b;
}

bool reads_back(const KvSpill& s, size_t slot, const std::vector<uint8_t>& k, const std::vector<uint8_t>& v) {
  std::vector<uint8_t> a(kHalf, 0xEE), b(kHalf, 0xEE);
  return s.read(slot, a.data(), kHalf, b.data(), kHalf) && a == k && b == v;
}

}  // namespace

TEST(slots_round_trip_and_leave_no_name_behind) {
  TempDir dir;
  auto s = KvSpill::create(dir.path, kSlot, kSlots);
  CHECK(s != nullptr);
  CHECK(std::filesystem::is_empty(dir.path));  // unnamed
  std::vector<std::vector<uint8_t>> k, v;
  for (size_t i = 0; i < kSlots; i += 3) {
    k.push_back(random_bytes(kHalf, uint32_t(2 * i)));
    v.push_back(random_bytes(kHalf, uint32_t(2 * i + 1)));
    CHECK(s->write(i, k.back().data(), kHalf, v.back().data(), kHalf));
  }
  CHECK_EQ(s->writes(), int64_t(k.size()));
  CHECK_EQ(s->bytes(), k.size() * kSlot);
  for (size_t i = 0, j = 0; i < kSlots; ++i) {
    if (i % 3 == 0) {
      CHECK(s->has(i));
      CHECK(reads_back(*s, i, k[j], v[j]));
      ++j;
    } else {
      std::vector<uint8_t> a(kHalf), b(kHalf);
      CHECK(!s->read(i, a.data(), kHalf, b.data(), kHalf));  // never written (a hole)
    }
  }
  // rewritten slots hold the new bytes; forgotten ones are absent
  CHECK(s->write(3, v[0].data(), kHalf, k[0].data(), kHalf));
  CHECK(reads_back(*s, 3, v[0], k[0]));
  s->forget(6);
  CHECK(!s->has(6));
  std::vector<uint8_t> a(kHalf), b(kHalf);
  CHECK(!s->read(6, a.data(), kHalf, b.data(), kHalf));
  CHECK(!s->write(kSlots, k[0].data(), kHalf, v[0].data(), kHalf));  // out of range
  CHECK(!s->write(0, k[0].data(), kHalf, v[0].data(), kHalf - 1));   // wrong size
}

TEST(damaged_slots_read_as_absent) {
  TempDir dir;
  auto s = KvSpill::create(dir.path, kSlot, kSlots);
  CHECK(s != nullptr);
  const auto k = random_bytes(kHalf, 1), v = random_bytes(kHalf, 2);
  for (size_t slot : {0, 5, 9}) CHECK(s->write(slot, k.data(), kHalf, v.data(), kHalf));
  // one flipped bit in slot 5's V half; slot 9 overwritten with the file's bytes one past slot 0
  const int fd = s->fd();
  uint8_t byte = 0;
  CHECK_EQ(pread(fd, &byte, 1, off_t(5 * kSlot + kHalf + 100)), 1);
  byte ^= 0x10;
  CHECK_EQ(pwrite(fd, &byte, 1, off_t(5 * kSlot + kHalf + 100)), 1);
  std::vector<uint8_t> shifted(kSlot);
  CHECK_EQ(pread(fd, shifted.data(), kSlot, 1), ssize_t(kSlot));
  CHECK_EQ(pwrite(fd, shifted.data(), kSlot, off_t(9 * kSlot)), ssize_t(kSlot));
  CHECK(reads_back(*s, 0, k, v));
  CHECK(!reads_back(*s, 5, k, v));
  CHECK(!reads_back(*s, 9, k, v));
}

TEST(a_refused_write_leaves_the_slot_absent) {
  TempDir dir;
  const auto k = random_bytes(kHalf, 3), v = random_bytes(kHalf, 4);
  // the child may write files up to 3 slots long: slot 2 fits, slot 3 does not
  const int rc = store_test::run_child(
      [&] {
        auto s = KvSpill::create(dir.path, kSlot, kSlots);
        if (!s) return 2;
        if (!s->write(2, k.data(), kHalf, v.data(), kHalf) || !reads_back(*s, 2, k, v)) return 3;
        if (s->write(3, k.data(), kHalf, v.data(), kHalf) || s->has(3) || s->write(40, k.data(), kHalf, v.data(), kHalf))
          return 4;
        return s->writes() == 1 && s->bytes() == kSlot ? 0 : 5;
      },
      long(3 * kSlot));
  CHECK_EQ(rc, 0);
}

TEST(no_spill_where_no_file_can_be_made) {
  CHECK(KvSpill::create("/nonexistent/folder/of/tome", kSlot, kSlots) == nullptr);
  if (geteuid() != 0) {  // root writes anywhere
    TempDir dir;
    std::filesystem::permissions(dir.path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    CHECK(KvSpill::create(dir.path, kSlot, kSlots) == nullptr);
    std::filesystem::permissions(dir.path, std::filesystem::perms::owner_all);
  }
}

TOME_TEST_MAIN()
