// KvSpill on its own: slots of rows round-trip byte-exact, row by row (runs of
// slots written at once as each alone); a row
// whose bytes changed on disk, a slot never written and one forgotten read as
// absent (a damaged row does not spoil the slot's other rows); a write the file
// system refuses (file size limit) leaves the slot (or the run's slots) absent; the file has no
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

constexpr size_t kRowBytes = 256, kRows = 32, kSlotBytes = kRowBytes * kRows, kSlots = 64;

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<uint8_t> b(n);
  for (auto& x : b) x = uint8_t(g());
  return b;
}

// Row r of the slot reads back as row r of data.
bool row_reads_back(const KvSpill& s, size_t slot, size_t r, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out(kRowBytes, 0xEE);
  return s.read_row(slot, r, out.data()) && std::memcmp(out.data(), data.data() + r * kRowBytes, kRowBytes) == 0;
}

bool slot_reads_back(const KvSpill& s, size_t slot, const std::vector<uint8_t>& data) {
  for (size_t r = 0; r < kRows; ++r)
    if (!row_reads_back(s, slot, r, data)) return false;
  return true;
}

}  // namespace

TEST(rows_round_trip_and_leave_no_name_behind) {
  TempDir dir;
  auto s = KvSpill::create(dir.path, kRowBytes, kRows, kSlots);
  CHECK(s != nullptr);
  CHECK(std::filesystem::is_empty(dir.path));  // unnamed
  std::vector<std::vector<uint8_t>> data;
  for (size_t i = 0; i < kSlots; i += 3) {
    data.push_back(random_bytes(kSlotBytes, uint32_t(i)));
    CHECK(s->write(i, data.back().data()));
  }
  CHECK_EQ(s->writes(), int64_t(data.size()));
  CHECK_EQ(s->bytes(), data.size() * kSlotBytes);
  for (size_t i = 0; i < kSlots; ++i) {
    if (i % 3 == 0) {
      CHECK(s->has(i));
      CHECK(slot_reads_back(*s, i, data[i / 3]));
    } else {
      std::vector<uint8_t> out(kRowBytes);
      CHECK(!s->read_row(i, 0, out.data()));  // never written (a hole)
    }
  }
  // a rewritten slot holds the new bytes; a forgotten one is absent; rows past the slot do not exist
  CHECK(s->write(3, data[0].data()));
  CHECK(slot_reads_back(*s, 3, data[0]));
  s->forget(6);
  CHECK(!s->has(6));
  std::vector<uint8_t> out(kRowBytes);
  CHECK(!s->read_row(6, 0, out.data()));
  CHECK(!s->read_row(0, kRows, out.data()));
  CHECK(!s->write(kSlots, data[0].data()));  // out of range

  // a run of slots in one write: each slot its own, checked as written alone
  std::vector<uint8_t> run = random_bytes(3 * kSlotBytes, 77);
  CHECK(s->write(40, 3, run.data()));
  for (size_t i = 0; i < 3; ++i)
    CHECK(slot_reads_back(*s, 40 + i, std::vector<uint8_t>(run.begin() + i * kSlotBytes, run.begin() + (i + 1) * kSlotBytes)));
  std::vector<uint8_t> whole(3 * kSlotBytes);
  std::vector<uint8_t> ok(3);
  s->read_slots(40, 3, whole.data(), ok.data());
  CHECK(whole == run && ok[0] && ok[1] && ok[2]);
  CHECK(!s->write(kSlots - 2, 3, run.data()));  // past the end: nothing written
  CHECK(!s->has(kSlots - 2));
}

TEST(damaged_rows_read_as_absent) {
  TempDir dir;
  auto s = KvSpill::create(dir.path, kRowBytes, kRows, kSlots);
  CHECK(s != nullptr);
  const auto a = random_bytes(kSlotBytes, 1), b = random_bytes(kSlotBytes, 2);
  CHECK(s->write(0, a.data()));
  CHECK(s->write(5, a.data()));
  CHECK(s->write(9, b.data()));
  const int fd = s->fd();
  // one flipped bit in row 7 of slot 5
  uint8_t byte = 0;
  const off_t at = off_t(5 * kSlotBytes + 7 * kRowBytes + 100);
  CHECK_EQ(pread(fd, &byte, 1, at), 1);
  byte ^= 0x10;
  CHECK_EQ(pwrite(fd, &byte, 1, at), 1);
  CHECK(!row_reads_back(*s, 5, 7, a));
  for (size_t r = 0; r < kRows; ++r)
    if (r != 7) CHECK(row_reads_back(*s, 5, r, a));  // the slot's other rows are intact
  // slot 9 overwritten with slot 0's bytes: well-formed rows, the wrong ones
  std::vector<uint8_t> slot0(kSlotBytes);
  CHECK_EQ(pread(fd, slot0.data(), kSlotBytes, 0), ssize_t(kSlotBytes));
  CHECK_EQ(pwrite(fd, slot0.data(), kSlotBytes, off_t(9 * kSlotBytes)), ssize_t(kSlotBytes));
  for (size_t r = 0; r < kRows; ++r) CHECK(!row_reads_back(*s, 9, r, a) && !row_reads_back(*s, 9, r, b));
  // rows shifted by one within slot 0: each is another row's bytes
  std::vector<uint8_t> shifted(slot0.begin() + kRowBytes, slot0.end());
  shifted.insert(shifted.end(), slot0.begin(), slot0.begin() + kRowBytes);
  CHECK_EQ(pwrite(fd, shifted.data(), kSlotBytes, 0), ssize_t(kSlotBytes));
  for (size_t r = 0; r < kRows; ++r) CHECK(!row_reads_back(*s, 0, r, a));
}

TEST(a_refused_write_leaves_the_slot_absent) {
  TempDir dir;
  const auto a = random_bytes(kSlotBytes, 3);
  // the child may write files up to 3 slots long: slot 2 fits, slot 3 does not
  const int rc = store_test::run_child(
      [&] {
        auto s = KvSpill::create(dir.path, kRowBytes, kRows, kSlots);
        if (!s) return 2;
        if (!s->write(2, a.data()) || !slot_reads_back(*s, 2, a)) return 3;
        if (s->write(3, a.data()) || s->has(3) || s->write(40, a.data())) return 4;
        if (s->writes() != 1 || s->bytes() != kSlotBytes) return 5;
        // a run over slots 2 and 3 (half of it fits): neither present
        const std::vector<uint8_t> two(2 * kSlotBytes, 9);
        return !s->write(2, 2, two.data()) && !s->has(2) && !s->has(3) && s->bytes() == 0 ? 0 : 6;
      },
      long(3 * kSlotBytes));
  CHECK_EQ(rc, 0);
}

TEST(no_spill_where_no_file_can_be_made) {
  CHECK(KvSpill::create("/nonexistent/folder/of/tome", kRowBytes, kRows, kSlots) == nullptr);
  if (geteuid() != 0) {  // root writes anywhere
    TempDir dir;
    std::filesystem::permissions(dir.path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    CHECK(KvSpill::create(dir.path, kRowBytes, kRows, kSlots) == nullptr);
    std::filesystem::permissions(dir.path, std::filesystem::perms::owner_all);
  }
}

// A write that would leave its file system less free space than asked is refused (the rows
// stay in the store): the scratch file never takes the room the store needs to commit.
TEST(a_write_into_the_free_space_kept_is_refused) {
  TempDir dir;
  std::vector<uint8_t> slot(kRows * kRowBytes, 9);
  auto roomy = KvSpill::create(dir.path, kRowBytes, kRows, kSlots, 0);
  CHECK(roomy->write(0, slot.data()));
  CHECK(roomy->has(0));
  auto tight = KvSpill::create(dir.path, kRowBytes, kRows, kSlots, uint64_t(1) << 62);  // more than any disk
  CHECK(!tight->write(0, slot.data()));
  CHECK(!tight->has(0));
  CHECK_EQ(tight->writes(), int64_t(0));
}

TOME_TEST_MAIN()
