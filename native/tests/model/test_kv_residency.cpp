// KvResidency on its own (a KV cache, a store, no model), its rows checked
// byte for byte against the rows written (the oracle) while a budget moves
// them between the cache, the row cache, the spill file and the store:
//   - under budgets from unlimited down to a few rows more than one step
//     retrieves, with LFU and LRU, with and without the spill;
//   - with the spill file damaged midway (reads fall back to the store);
//   - after a lazy start whose unread units were copied to the spill
//     (spill_unread): rows read back from the spill only, never a store block;
//   - a step that retrieves more rows than the budget can hold fails with
//     BUDGET_TOO_SMALL and leaves nothing half-read: later steps are exact;
//   - the host tier never goes over the budget.
#include <algorithm>
#include <cstring>
#include <random>
#include <unistd.h>
#include <vector>

#include "../kvstore/store_test_util.h"
#include "common/error.h"
#include "kvstore/kv_store.h"
#include "model/kv_cache.h"
#include "model/kv_residency.h"
#include "test_harness.h"

using namespace tome;
using store_test::TempDir;

namespace {

constexpr int L = 2, H = 2, D = 64;  // head_dim 64: units of 32 rows
constexpr int64_t N = 1024, kSinks = 32, kWindow = 64;
constexpr int64_t kWindowStart = N - kWindow;

StoreIdentity identity() {
  StoreIdentity id;
  id.model_fp = "test:residency";
  id.tokenizer_fp = "test";
  id.settings = "numerics=llama";
  id.n_layer = L;
  id.n_head_kv = H;
  id.head_dim = D;
  return id;
}

// A cache of N positions of random rows, committed to a store; `want` keeps the rows.
struct Setup {
  TempDir dir;
  KvCache kv{L, H, D, N + 128};
  std::unique_ptr<KvStore> store;
  std::vector<uint16_t> want_k, want_v;  // (L, H, N, D)
  Setup() {
    std::mt19937 g(7);
    want_k.resize(size_t(L) * H * N * D);
    want_v.resize(want_k.size());
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h)
        for (int64_t i = 0; i < N * D; ++i) {
          const size_t at = (size_t(l) * H + size_t(h)) * size_t(N * D) + size_t(i);
          want_k[at] = kv.k(l, h)[i] = uint16_t(g());
          want_v[at] = kv.v(l, h)[i] = uint16_t(g());
        }
    store = KvStore::open(dir.file("r.kv"), identity());
    std::vector<int32_t> tokens(size_t(N), 1);
    store->append([&](int l, int h, bool value) { return value ? kv.v(l, h) : kv.k(l, h); }, tokens.data(), 0, N, {});
  }
  bool row_is(int l, int h, int64_t pos, const uint16_t* k, const uint16_t* v) const {
    const size_t at = ((size_t(l) * H + size_t(h)) * size_t(N) + size_t(pos)) * D;
    return std::memcmp(k, &want_k[at], D * 2) == 0 && std::memcmp(v, &want_v[at], D * 2) == 0;
  }
};

// One decode-like step per call: per (layer, head) `n` rows of the indexed span,
// a few of them hot (drawn again and again), checked against the oracle.
struct Steps {
  std::mt19937 g{11};
  int64_t wrong = 0;
  void run(Setup& s, KvResidency& r, int steps, int n) {
    std::vector<int32_t> rows;
    std::vector<uint16_t> k, v;
    for (int step = 0; step < steps; ++step)
      for (int l = 0; l < L; ++l)
        for (int h = 0; h < H; ++h) {
          r.begin_epoch();
          rows.clear();
          for (int j = 0; j < n; ++j) {
            const bool hot = g() % 3 == 0;
            rows.push_back(int32_t(kSinks + (hot ? int64_t(g() % 40) * 7 : int64_t(g() % (kWindowStart - kSinks)))));
          }
          rows.push_back(int32_t(N - 1));  // one row of the window (in place)
          k.assign(rows.size() * D, 0);
          v.assign(rows.size() * D, 0);
          r.gather_rows(l, h, rows.data(), int64_t(rows.size()), k.data(), v.data());
          for (size_t j = 0; j < rows.size(); ++j) wrong += !s.row_is(l, h, rows[j], &k[j * D], &v[j * D]);
        }
  }
};

void update(KvResidency& r, uint64_t budget) { r.update(N, kSinks, kWindowStart, N, 0, budget); }

// What a budget holds before any row read back: the tables and the static
// set's units (in place: they count).
uint64_t floor_bytes(const KvResidency& r) {
  int64_t units = 0;
  for (int64_t u = 0; u * r.unit_rows() < N; ++u)
    units += u * r.unit_rows() < kSinks || (u + 1) * r.unit_rows() > kWindowStart;
  return r.unlimited_bytes(0, 0) + uint64_t(units) * L * H * uint64_t(r.unit_rows()) * (2 * D * 2);
}

}  // namespace

TEST(rows_read_back_are_the_rows_written_under_any_budget) {
  for (EvictionPolicy policy : {EvictionPolicy::kLfu, EvictionPolicy::kLru})
    for (bool spill : {true, false})
      for (double share : {1.0, 0.5, 0.25, 0.0}) {
        Setup s;
        KvResidency r(s.kv, *s.store, L, H, policy, spill);
        CHECK_EQ(r.spill() != nullptr, spill);
        const uint64_t unlimited = r.unlimited_bytes(N, 0);
        const uint64_t tables = floor_bytes(r);
        // share 0: room for the rows of one (layer, head) step and a few more
        // (the static set, in place, is a tenth of these rows: its part of any budget)
        const uint64_t budget = share > 0 ? uint64_t(share * double(unlimited)) : tables + 80 * (2 * D * 2 + 16);
        update(r, std::max(budget, tables + 80 * (2 * D * 2 + 16)));
        Steps steps;
        steps.run(s, r, 30, 50);
        update(r, budget);  // between steps, as a session does
        steps.run(s, r, 30, 50);
        const ResidencyStats st = r.stats();
        std::printf("%s spill %d share %.1f: %lld hits, %lld rows read (%lld from the spill, %lld store blocks), "
                    "%lld evictions, %lld units released, peak %llu of %llu\n",
                    policy == EvictionPolicy::kLfu ? "lfu" : "lru", int(spill), share, (long long)st.hits,
                    (long long)st.misses, (long long)st.spill_reads, (long long)st.store_reads,
                    (long long)st.evictions, (long long)st.units_released, (unsigned long long)st.peak_bytes,
                    (unsigned long long)st.budget_bytes);
        CHECK_EQ(steps.wrong, 0);
        CHECK(st.peak_bytes <= st.budget_bytes);
        if (share == 1.0) CHECK_EQ(st.misses, 0);
        if (share < 0.5) CHECK(st.misses > 0 && st.units_released > 0);
        if (share == 0.0) CHECK(st.evictions > 0);
        if (spill && share < 0.5) CHECK(st.spill_reads > 0);
        if (!spill) CHECK_EQ(st.spill_reads, 0);
      }
}

TEST(a_damaged_spill_falls_back_to_the_store) {
  Setup s;
  KvResidency r(s.kv, *s.store, L, H, EvictionPolicy::kLfu);
  CHECK(r.spill() != nullptr);
  const uint64_t tables = floor_bytes(r);
  update(r, tables + 120 * (2 * D * 2 + 16));
  Steps steps;
  steps.run(s, r, 20, 50);
  const ResidencyStats before = r.stats();
  CHECK(before.spill_writes > 0);
  // every spilled byte flipped
  const int fd = r.spill()->fd();
  std::vector<uint8_t> buf(1 << 16);
  for (off_t at = 0;; at += off_t(buf.size())) {
    const ssize_t got = pread(fd, buf.data(), buf.size(), at);
    if (got <= 0) break;
    for (ssize_t i = 0; i < got; ++i) buf[size_t(i)] ^= 0xA5;
    CHECK_EQ(pwrite(fd, buf.data(), size_t(got), at), got);
  }
  steps.run(s, r, 20, 50);
  const ResidencyStats after = r.stats();
  std::printf("damaged spill: %lld -> %lld store blocks read, %lld -> %lld rows from the spill\n",
              (long long)before.store_reads, (long long)after.store_reads, (long long)before.spill_reads,
              (long long)after.spill_reads);
  CHECK_EQ(steps.wrong, 0);
  CHECK(after.store_reads > before.store_reads);
}

TEST(a_lazy_start_copied_to_the_spill_reads_no_store_block_while_decoding) {
  Setup s;
  KvResidency r(s.kv, *s.store, L, H, EvictionPolicy::kLfu);
  CHECK(r.spill() != nullptr);
  r.start_unread(N, kSinks, kWindowStart, N);
  // what a lazy restore leaves unread is not in the cache: garbage there
  int64_t left = 0;
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h)
      for (int64_t pos = 0; pos < N; ++pos)
        if (!r.must_stay(pos, kSinks, kWindowStart, N)) {
          std::memset(s.kv.k(l, h) + size_t(pos) * D, 0x7B, D * 2);
          std::memset(s.kv.v(l, h) + size_t(pos) * D, 0x7B, D * 2);
          ++left;
        }
  CHECK(left > 0);
  // every block holds an unread unit (a block is 128 positions, a unit 32)
  CHECK_EQ(r.spill_unread(), int64_t(L) * H * (N / 128));
  const ResidencyStats copied = r.stats();
  CHECK_EQ(copied.spill_writes * r.unit_rows(), left);
  update(r, r.unlimited_bytes(N, 0) / 4);
  Steps steps;
  steps.run(s, r, 20, 50);
  const ResidencyStats st = r.stats();
  CHECK_EQ(steps.wrong, 0);
  CHECK(st.misses > 0);
  CHECK_EQ(st.spill_reads, st.misses);  // every row read back from the spill,
  CHECK_EQ(st.store_reads, copied.store_reads);  // none from a store block
  CHECK_EQ(r.spill_unread(), int64_t(0));  // nothing left to copy
}

TEST(a_step_larger_than_the_budget_fails_and_leaves_nothing_half_read) {
  Setup s;
  KvResidency r(s.kv, *s.store, L, H, EvictionPolicy::kLfu);
  const uint64_t tables = floor_bytes(r);
  update(r, tables + 40 * (2 * D * 2 + 16));  // 40 rows
  std::vector<int32_t> rows;
  for (int64_t p = kSinks; p < kSinks + 60; ++p) rows.push_back(int32_t(p * 5));
  std::vector<uint16_t> k(rows.size() * D), v(rows.size() * D);
  r.begin_epoch();
  CHECK_THROWS_CODE(r.gather_rows(0, 0, rows.data(), int64_t(rows.size()), k.data(), v.data()), "BUDGET_TOO_SMALL");
  Steps steps;  // smaller steps, over the same rows among others
  steps.run(s, r, 10, 20);
  r.begin_epoch();
  rows.resize(30);
  r.gather_rows(0, 0, rows.data(), 30, k.data(), v.data());
  for (size_t j = 0; j < 30; ++j) CHECK(s.row_is(0, 0, rows[j], &k[j * D], &v[j * D]));
  CHECK_EQ(steps.wrong, 0);
  CHECK(r.stats().peak_bytes <= r.stats().budget_bytes);
}

// A truncate cuts the store inside a released unit (a rewind to a position that is not a
// multiple of the unit): the unit's rows below the cut come back from the cut block, both when
// every row is put back (load_all: the budget no longer wanted) and when the residency stays
// (update: the unit is in the new window). load_all left such a unit released (zeros, then
// committed over the cut block by the next flush under a valid checksum); update refused the
// cut block as damaged.
TEST(a_cut_inside_a_released_unit_puts_its_rows_below_the_cut_back) {
  for (bool keep : {false, true}) {
    Setup s;
    KvResidency r(s.kv, *s.store, L, H, EvictionPolicy::kLfu);
    update(r, floor_bytes(r));  // every unit of the indexed span released
    CHECK(r.stats().units_released > 0);
    const int64_t cut = 500;  // inside the unit [480, 512)
    CHECK(cut % r.unit_rows() != 0);
    s.store->truncate(cut);
    if (keep) r.update(cut, kSinks, cut - kWindow, cut, 0, floor_bytes(r) + 64 * r.unit_rows() * (2 * D * 2));
    else r.load_all(cut);
    int64_t wrong = 0;
    for (int l = 0; l < L; ++l)
      for (int h = 0; h < H; ++h)
        for (int64_t p = keep ? cut - kWindow : 0; p < cut; ++p)
          wrong += !s.row_is(l, h, p, s.kv.k(l, h) + p * D, s.kv.v(l, h) + p * D);
    CHECK_EQ(wrong, 0);
  }
}

TOME_TEST_MAIN()
