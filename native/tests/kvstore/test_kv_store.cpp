// KvStore on its own (no model): byte-exact round trips of K/V rows, token ids
// and query rows across reopen, partial and rewritten tail blocks, truncation;
// identity checks; every kind of damage detected (a block's bytes, its
// checksum, a block under another key, a file that is not a database); a full
// disk and an unwritable place give clear errors and keep what was committed;
// query chunks bounded by what a prefill captures; an index image under
// another key and a query chunk with another end refused (checksums version 2),
// stores made before it still read; removal decided under the store's lock,
// and a session opening a store as it is removed; dropped blocks of
// window-only layers; the queries' pages given back once the indexes are complete.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <unistd.h>
#include <vector>

#include "common/error.h"
#include "common/fp16.h"
#include "kvstore/kv_store.h"
#include "kvstore/sqlite_db.h"
#include "store_test_util.h"
#include "test_harness.h"

using namespace tome;
using store_test::TempDir;

namespace {

StoreIdentity identity() {
  StoreIdentity id;
  id.model_fp = "llama:q8_0:0123456789abcdef";
  id.tokenizer_fp = "llama:fedcba9876543210";
  id.settings = "numerics=llama;mode=retrieval;sinks=4;window=8";
  id.n_layer = 2;
  id.n_head_kv = 3;
  id.head_dim = 8;
  return id;
}

// An in-memory context: K/V rows per (layer, head), token ids, query rows.
struct Context {
  int L, H, D;
  int64_t cap;
  std::vector<std::vector<uint16_t>> k, v;  // (L*H) x (cap * D)
  std::vector<int32_t> tokens;
  Context(const StoreIdentity& id, int64_t capacity)
      : L(id.n_layer), H(id.n_head_kv), D(id.head_dim), cap(capacity),
        k(size_t(L * H), std::vector<uint16_t>(size_t(cap * D))), v(k), tokens(size_t(cap)) {}
  void fill(int64_t from, int64_t to, uint32_t seed) {
    std::mt19937 g(seed);
    for (auto* m : {&k, &v})
      for (auto& rows : *m)
        for (int64_t i = from * D; i < to * D; ++i) rows[size_t(i)] = uint16_t(g());
    for (int64_t i = from; i < to; ++i) tokens[size_t(i)] = int32_t(g() % 32000);
  }
  HeadRowsFn rows() {
    return [this](int l, int h, bool value) { return (value ? v : k)[size_t(l * H + h)].data(); };
  }
  bool same_prefix(const Context& o, int64_t n) const {
    for (size_t p = 0; p < k.size(); ++p)
      if (std::memcmp(k[p].data(), o.k[p].data(), size_t(n * D) * 2) ||
          std::memcmp(v[p].data(), o.v[p].data(), size_t(n * D) * 2))
        return false;
    return true;
  }
};

// The store at path, reopened, holds n positions: a's first n rows.
bool reopened_holds(const std::string& path, const StoreIdentity& id, const Context& a, int64_t n) {
  auto s = KvStore::open(path, id);
  Context b(id, a.cap);
  return s->n_tokens() == n && s->read_kv(b.rows(), n) == n && a.same_prefix(b, n);
}

void corrupt(const std::string& path, const char* sql) {
  SqliteDb db(path, false);
  db.exec(sql);
}

}  // namespace

TEST(round_trip_is_byte_exact_across_reopen) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 1000);
  a.fill(0, 1000, 7);
  std::vector<uint16_t> q0(5 * 8), q1(3 * 8);  // bf16 rows
  for (size_t i = 0; i < q0.size(); ++i) q0[i] = fp32_to_bf16(float(i) * 0.37f);
  for (size_t i = 0; i < q1.size(); ++i) q1[i] = fp32_to_bf16(-float(i) * 1.01f);
  {
    auto s = KvStore::open(dir.file("a.kv"), id);
    CHECK_EQ(s->n_tokens(), 0);
    // chunks that start and end inside blocks: the tail block is rewritten
    s->append(a.rows(), a.tokens.data(), 0, 200, {{1, 2, q0.data(), 5}});
    s->append(a.rows(), a.tokens.data(), 200, 201, {{1, 2, q1.data(), 0}});
    s->append(a.rows(), a.tokens.data(), 201, 777, {{1, 2, q1.data(), 3}});
    CHECK_EQ(s->n_tokens(), 777);
  }
  auto s = KvStore::open(dir.file("a.kv"), id);
  CHECK_EQ(s->n_tokens(), 777);
  Context b(id, 1000);
  std::vector<int32_t> ids;
  CHECK_EQ(s->read_tokens(777, ids), 777);
  CHECK(std::equal(ids.begin(), ids.end(), a.tokens.begin()));
  CHECK_EQ(s->read_kv(b.rows(), 777), 777);
  CHECK(a.same_prefix(b, 777));
  std::vector<uint16_t> q;
  CHECK_EQ(s->read_queries(1, 2, 777, 1, q), 777);
  CHECK_EQ(q.size(), q0.size() + q1.size());
  CHECK(std::memcmp(q.data(), q0.data(), q0.size() * 2) == 0);
  CHECK(std::memcmp(q.data() + q0.size(), q1.data(), q1.size() * 2) == 0);
  // queries only of chunks wholly below n
  CHECK_EQ(s->read_queries(1, 2, 500, 1, q), 201);
  CHECK_EQ(q.size(), q0.size());
}

TEST(truncate_then_append_overwrites_the_tail) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 600);
  a.fill(0, 600, 1);
  auto s = KvStore::open(dir.file("t.kv"), id);
  s->append(a.rows(), a.tokens.data(), 0, 500, {});
  s->truncate(300);
  CHECK_EQ(s->n_tokens(), 300);
  a.fill(300, 600, 2);  // a different continuation
  s->append(a.rows(), a.tokens.data(), 300, 600, {});
  s.reset();
  s = KvStore::open(dir.file("t.kv"), id);
  Context b(id, 600);
  std::vector<int32_t> ids;
  CHECK_EQ(s->read_tokens(600, ids), 600);
  CHECK(std::equal(ids.begin(), ids.end(), a.tokens.begin()));
  CHECK_EQ(s->read_kv(b.rows(), 600), 600);
  CHECK(a.same_prefix(b, 600));
}

TEST(indexes_and_their_state_persist) {
  TempDir dir;
  const StoreIdentity id = identity();
  std::vector<uint8_t> img(3000);
  for (size_t i = 0; i < img.size(); ++i) img[i] = uint8_t(i * 31);
  {
    auto s = KvStore::open(dir.file("i.kv"), id);
    CHECK_EQ(s->index_built_at(), -1);
    s->put_index(0, 1, 400, img);
    CHECK(!s->index_complete());
  }
  auto s = KvStore::open(dir.file("i.kv"), id);
  CHECK_EQ(s->index_built_at(), 400);
  std::vector<uint8_t> back;
  CHECK(s->read_index(0, 1, 400, back));
  CHECK(back == img);
  CHECK(!s->read_index(0, 1, 399, back));  // built at another point: not this index
  CHECK(!s->read_index(1, 1, 400, back));
  s->set_index_complete(400);
  CHECK(s->index_complete());
  s->drop_indexes();
  CHECK(!s->read_index(0, 1, 400, back));
  CHECK_EQ(s->index_built_at(), -1);
}

TEST(a_store_has_one_user_at_a_time) {
  // held from its open to its close: another opener (another process, or another
  // connection here) gets STORE_BUSY, and a listing says the store is in use at once
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 300);
  a.fill(0, 300, 1);
  auto s = KvStore::open(dir.file("b.kv"), id);
  s->append(a.rows(), a.tokens.data(), 0, 300, {});
  CHECK_THROWS_CODE(KvStore::open(dir.file("b.kv"), id), "STORE_BUSY");
  CHECK_THROWS_CODE(KvStore::read_meta(dir.file("b.kv")), "STORE_BUSY");
  s.reset();
  CHECK_EQ(KvStore::read_meta(dir.file("b.kv")).at("n_tokens"), "300");
  auto again = KvStore::open(dir.file("b.kv"), id);
  CHECK_EQ(again->n_tokens(), 300);
}

TEST(a_store_of_another_model_or_settings_is_refused) {
  TempDir dir;
  { KvStore::open(dir.file("m.kv"), identity()); }
  auto other = [](void (*change)(StoreIdentity&)) {
    StoreIdentity id = identity();
    change(id);
    return id;
  };
  CHECK_THROWS_CODE(KvStore::open(dir.file("m.kv"), other([](StoreIdentity& i) { i.model_fp[12] = 'x'; })), "STORE_MISMATCH");
  CHECK_THROWS_CODE(KvStore::open(dir.file("m.kv"), other([](StoreIdentity& i) { i.tokenizer_fp = "gpt2:0"; })), "STORE_MISMATCH");
  CHECK_THROWS_CODE(KvStore::open(dir.file("m.kv"), other([](StoreIdentity& i) { i.settings += ";x"; })), "STORE_MISMATCH");
  CHECK_THROWS_CODE(KvStore::open(dir.file("m.kv"), other([](StoreIdentity& i) { i.head_dim = 16; })), "STORE_MISMATCH");
  KvStore::open(dir.file("m.kv"), identity());  // the right identity still opens it
}

TEST(damaged_blocks_end_the_intact_prefix) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 700);
  a.fill(0, 700, 3);
  const std::string path = dir.file("c.kv");
  { KvStore::open(path, id)->append(a.rows(), a.tokens.data(), 0, 700, {}); }
  std::vector<int32_t> ids;
  // one flipped byte in block 3 of (layer 1, head 0)
  corrupt(path, "UPDATE kv SET k = substr(k, 1, 9) || x'55' || substr(k, 11) WHERE layer = 1 AND head = 0 AND block = 3");
  {
    auto s = KvStore::open(path, id);
    Context b(id, 700);
    CHECK_EQ(s->read_kv(b.rows(), 700), 3 * kStoreBlockTokens);
    CHECK(a.same_prefix(b, 3 * kStoreBlockTokens));
    CHECK_EQ(s->read_tokens(700, ids), 700);
  }
  // a checksum changed, a block moved under another key, a token block shortened
  corrupt(path, "UPDATE kv SET crc = crc + 1 WHERE layer = 0 AND head = 2 AND block = 1");
  corrupt(path, "UPDATE kv SET block = 9 WHERE layer = 0 AND head = 1 AND block = 0");
  corrupt(path, "UPDATE tokens SET ids = substr(ids, 1, 100) WHERE block = 2");
  auto s = KvStore::open(path, id);
  Context b(id, 700);
  CHECK_EQ(s->read_kv(b.rows(), 700), 0);
  CHECK_EQ(s->read_tokens(700, ids), 2 * kStoreBlockTokens);
}

TEST(a_query_chunk_larger_than_a_prefill_captures_ends_the_intact_chunks) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 300);
  a.fill(0, 300, 5);
  std::vector<uint16_t> rows(size_t(40) * 8, fp32_to_bf16(1.0f));
  {
    auto s = KvStore::open(dir.file("q.kv"), id);
    s->append(a.rows(), a.tokens.data(), 0, 100, {{0, 1, rows.data(), 20}});
    s->append(a.rows(), a.tokens.data(), 100, 110, {{0, 1, rows.data(), 40}});  // 4 rows a position
  }
  auto s = KvStore::open(dir.file("q.kv"), id);
  std::vector<uint16_t> q;
  CHECK_EQ(s->read_queries(0, 1, 300, 4, q), 110);
  CHECK_EQ(q.size(), size_t(60) * 8);
  // a group of 3 query heads captures at most 3 rows a position: the second chunk is not read
  CHECK_EQ(s->read_queries(0, 1, 300, 3, q), 100);
  CHECK_EQ(q.size(), size_t(20) * 8);
}

TEST(a_truncate_that_counts_a_chunks_rows_cuts_it_instead_of_dropping_it) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 400);
  a.fill(0, 400, 3);
  // one row a position at even positions (the sampling a session would give),
  // 2 rows a kept position (two query heads a group)
  auto rows_of = [](int64_t p0, int64_t p1) { return ((p1 + 1) / 2 - (p0 + 1) / 2) * 2; };
  std::vector<uint16_t> r0(size_t(rows_of(0, 100)) * 8), r1(size_t(rows_of(100, 300)) * 8);
  for (size_t i = 0; i < r0.size(); ++i) r0[i] = fp32_to_bf16(float(i));
  for (size_t i = 0; i < r1.size(); ++i) r1[i] = fp32_to_bf16(-float(i));
  const std::string path = dir.file("c.kv");
  auto write = [&] {
    auto s = KvStore::open(path, id);
    s->truncate(0);
    s->append(a.rows(), a.tokens.data(), 0, 100, {{0, 1, r0.data(), rows_of(0, 100)}, {1, 2, r0.data(), rows_of(0, 100)}});
    s->append(a.rows(), a.tokens.data(), 100, 300, {{0, 1, r1.data(), rows_of(100, 300)}, {1, 2, r1.data(), rows_of(100, 300)}});
  };
  write();
  std::vector<uint16_t> q;
  {
    auto s = KvStore::open(path, id);
    s->truncate(171, rows_of);
    CHECK_EQ(s->n_tokens(), 171);
  }
  {
    auto s = KvStore::open(path, id);
    for (int l : {0, 1}) {
      CHECK_EQ(s->read_queries(l, l + 1, 171, 2, q), 171);  // the coverage ends at the cut, not at 100
      CHECK_EQ(q.size(), size_t(rows_of(0, 171)) * 8);
      CHECK(std::memcmp(q.data(), r0.data(), r0.size() * 2) == 0);
      CHECK(std::memcmp(q.data() + r0.size(), r1.data(), size_t(rows_of(100, 171)) * 16) == 0);
    }
    // what a session then appends continues the cut chunk
    std::vector<uint16_t> r2(size_t(rows_of(171, 200)) * 8, fp32_to_bf16(2.0f));
    s->append(a.rows(), a.tokens.data(), 171, 200, {{0, 1, r2.data(), rows_of(171, 200)}});
    CHECK_EQ(s->read_queries(0, 1, 200, 2, q), 200);
    CHECK_EQ(q.size(), size_t(rows_of(0, 200)) * 8);
  }
  // without the count, a straddling chunk goes whole (as it always did)
  write();
  {
    auto s = KvStore::open(path, id);
    s->truncate(171);
    CHECK_EQ(s->read_queries(0, 1, 171, 2, q), 100);
  }
  // a chunk whose rows are not the count's (another sampling), or damaged, goes whole too
  write();
  corrupt(path, "UPDATE queries SET data = x'0000' || substr(data, 3) WHERE layer = 1 AND pos0 = 100");
  {
    auto s = KvStore::open(path, id);
    s->truncate(171, rows_of);
    CHECK_EQ(s->read_queries(0, 1, 171, 2, q), 171);
    CHECK_EQ(s->read_queries(1, 2, 171, 2, q), 100);  // its checksum failed
  }
  write();
  {
    auto s = KvStore::open(path, id);
    s->truncate(171, [&](int64_t p0, int64_t p1) { return (p1 - p0) * 3; });  // 3 rows a position: not these chunks
    CHECK_EQ(s->read_queries(0, 1, 171, 2, q), 100);
    CHECK_EQ(s->read_queries(1, 2, 171, 2, q), 100);
  }
}

TEST(an_index_image_under_another_key_or_a_query_chunk_with_another_end_is_refused) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 300);
  a.fill(0, 300, 9);
  std::vector<uint8_t> img0(500, 7), img1(500, 9);
  std::vector<uint16_t> rows(size_t(60) * 8, fp32_to_bf16(0.5f));
  const std::string path = dir.file("k.kv");
  {
    auto s = KvStore::open(path, id);
    s->append(a.rows(), a.tokens.data(), 0, 100, {{0, 1, rows.data(), 20}});
    s->append(a.rows(), a.tokens.data(), 100, 110, {{0, 1, rows.data(), 5}});
    s->put_index(0, 1, 110, img0);
    s->put_index(1, 1, 110, img1);
  }
  std::vector<uint8_t> back;
  std::vector<uint16_t> q;
  {
    auto s = KvStore::open(path, id);
    CHECK(s->read_index(0, 1, 110, back) && back == img0);
    CHECK(s->read_index(1, 1, 110, back) && back == img1);
    CHECK_EQ(s->read_queries(0, 1, 300, 3, q), 110);
  }
  // two images of the same size swapped between layers; a chunk's end moved within what its
  // rows allow (5 rows, up to 3 a position: 100..105 would pass the size check)
  corrupt(path, "UPDATE indexes SET layer = 9 WHERE layer = 0; UPDATE indexes SET layer = 0 WHERE layer = 1;"
                "UPDATE indexes SET layer = 1 WHERE layer = 9; UPDATE queries SET pos1 = 105 WHERE pos0 = 100");
  {
    auto s = KvStore::open(path, id);
    CHECK(!s->read_index(0, 1, 110, back));
    CHECK(!s->read_index(1, 1, 110, back));
    CHECK_EQ(s->read_queries(0, 1, 300, 3, q), 100);
  }
  // an image moved to another build point, and a flipped byte in one
  corrupt(path, "UPDATE indexes SET layer = 9 WHERE layer = 0; UPDATE indexes SET layer = 0 WHERE layer = 1;"
                "UPDATE indexes SET layer = 1 WHERE layer = 9; UPDATE indexes SET built_at = 111 WHERE layer = 0;"
                "UPDATE indexes SET image = x'08' || substr(image, 2) WHERE layer = 1");
  auto s = KvStore::open(path, id);
  CHECK(!s->read_index(0, 1, 111, back));
  CHECK(!s->read_index(1, 1, 110, back));
}

TEST(a_store_made_before_checksums_version_2_stays_readable_and_writable) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 300);
  a.fill(0, 300, 11);
  std::vector<uint8_t> img(700);
  for (size_t i = 0; i < img.size(); ++i) img[i] = uint8_t(i * 13);
  std::vector<uint16_t> rows(size_t(20) * 8, fp32_to_bf16(-2.0f));
  const std::string path = dir.file("old.kv");
  { KvStore::open(path, id); }
  corrupt(path, "DELETE FROM meta WHERE key = 'checksums'");  // as every store made before it
  {
    auto s = KvStore::open(path, id);
    s->append(a.rows(), a.tokens.data(), 0, 100, {{0, 1, rows.data(), 20}});
    s->put_index(1, 2, 100, img);
  }
  {
    auto s = KvStore::open(path, id);
    std::vector<uint8_t> back;
    CHECK(s->read_index(1, 2, 100, back) && back == img);  // no trailer: the image as written
    std::vector<uint16_t> q;
    CHECK_EQ(s->read_queries(0, 1, 300, 3, q), 100);
    CHECK(q == rows);
  }
  CHECK(reopened_holds(path, id, a, 100));
  // a version this build does not know is not used
  corrupt(path, "INSERT INTO meta(key, value) VALUES('checksums', '3')");
  CHECK_THROWS_CODE(KvStore::open(path, id), "STORE_MISMATCH");
}

// Query rows are kept as bf16 (half the bytes of f32; the graph built from them is
// the same). A store made before holds f32 rows of a read in progress: it reads them
// as bf16 and goes on writing f32 until its indexes are complete (which deletes
// every row), then bf16. A format this build does not know is not used.
TEST(a_store_made_before_bf16_query_rows_keeps_f32_rows_until_its_indexes_are_complete) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 300);
  a.fill(0, 300, 13);
  std::vector<uint16_t> rows(size_t(20) * 8);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = fp32_to_bf16(float(i) * 0.731f - 40.0f);
  auto chunk_bytes = [](const std::string& path) {
    std::vector<int64_t> sizes;
    SqliteDb db(path, false);
    SqliteStatement q(db, "SELECT length(data) FROM queries ORDER BY pos0");
    while (q.step()) sizes.push_back(q.column_int(0));
    return sizes;
  };
  const std::string fresh = dir.file("new.kv"), old = dir.file("old.kv");
  for (const std::string& path : {fresh, old}) {
    { KvStore::open(path, id); }
    if (path == old) corrupt(path, "DELETE FROM meta WHERE key = 'query_rows'");  // as every store made before it
    {
      auto s = KvStore::open(path, id);
      s->append(a.rows(), a.tokens.data(), 0, 100, {{0, 1, rows.data(), 20}});
    }
    {
      auto s = KvStore::open(path, id);
      s->append(a.rows(), a.tokens.data(), 100, 200, {{0, 1, rows.data(), 10}});
      std::vector<uint16_t> q;
      CHECK_EQ(s->read_queries(0, 1, 300, 3, q), 200);
      CHECK(std::equal(rows.begin(), rows.end(), q.begin()));
      CHECK(std::equal(rows.begin(), rows.begin() + 80, q.begin() + 160));
    }
    const int64_t value_bytes = path == old ? 4 : 2;
    CHECK(chunk_bytes(path) == (std::vector<int64_t>{20 * 8 * value_bytes, 10 * 8 * value_bytes}));
    KvStore::open(path, id)->set_index_complete(200);
    CHECK_EQ(KvStore::read_meta(path).at("query_rows"), "bf16");
    {  // the next read of the document (after a truncate) writes bf16
      auto s = KvStore::open(path, id);
      s->truncate(0);
      s->append(a.rows(), a.tokens.data(), 0, 100, {{0, 1, rows.data(), 20}});
      std::vector<uint16_t> q;
      CHECK_EQ(s->read_queries(0, 1, 300, 3, q), 100);
      CHECK(q == rows);
    }
    CHECK(chunk_bytes(path) == (std::vector<int64_t>{20 * 8 * 2}));
  }
  corrupt(fresh, "UPDATE meta SET value = 'f8' WHERE key = 'query_rows'");
  CHECK_THROWS_CODE(KvStore::open(fresh, id), "STORE_MISMATCH");
}

TEST(a_file_that_is_not_a_store_is_reported) {
  TempDir dir;
  const std::string path = dir.file("junk.kv");
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 9000; ++i) f.put(char(i * 7));
  }
  CHECK_THROWS_CODE(KvStore::open(path, identity()), "STORE_CORRUPT");
  CHECK_THROWS_CODE(KvStore::read_meta(dir.file("absent.kv")), "STORE_NOT_FOUND");
}

TEST(an_unwritable_place_is_reported) {
  // root ignores permissions, so a path on a read-only file system stands in
  CHECK_THROWS_CODE(KvStore::open("/proc/tome-store-test.kv", identity()), "STORE_READONLY");
  if (geteuid() != 0) {
    TempDir dir;
    std::filesystem::permissions(dir.path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    CHECK_THROWS_CODE(KvStore::open(dir.file("x.kv"), identity()), "STORE_READONLY");
    std::filesystem::permissions(dir.path, std::filesystem::perms::owner_all);
  }
}

TEST(a_full_disk_fails_the_append_and_keeps_what_was_committed) {
  TempDir dir;
  const StoreIdentity id = identity();
  const std::string path = dir.file("f.kv");
  Context a(id, 20000);
  a.fill(0, 20000, 5);
  { KvStore::open(path, id)->append(a.rows(), a.tokens.data(), 0, 256, {}); }
  // the child may write at most 2 MB more: a big append hits the limit
  const int rc = store_test::run_child(
      [&] {
        auto s = KvStore::open(path, id);
        try {
          s->append(a.rows(), a.tokens.data(), 256, 20000, {});
        } catch (const Error& e) {
          std::printf("child: [%s] %s\n", e.code().c_str(), e.what());
          return e.code() == "STORE_FULL" ? 0 : 2;
        }
        return 3;
      },
      long(std::filesystem::file_size(path)) + (2l << 20));
  CHECK_EQ(rc, 0);
  CHECK(reopened_holds(path, id, a, 256));
}

// A reader that throws inside read_block (out of memory in the row cache's copy) leaves the
// statement reset: later reads work (it stayed stepped, and every later read failed to bind).
TEST(a_block_reader_that_throws_leaves_later_reads_working) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 300);
  a.fill(0, 300, 3);
  auto s = KvStore::open(dir.file("r.kv"), id);
  s->append(a.rows(), a.tokens.data(), 0, 300, {});
  bool threw = false;
  try {
    s->read_block(0, 0, 0, [](const uint8_t*, const uint8_t*, int64_t) { throw std::bad_alloc(); });
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  CHECK(threw);
  int64_t rows = 0;
  CHECK(s->read_block(1, 2, 1, [&](const uint8_t* k, const uint8_t*, int64_t n) {
    rows = n;
    CHECK(std::memcmp(k, a.k[size_t(1 * 3 + 2)].data() + 128 * 8, size_t(n) * 8 * 2) == 0);
  }));
  CHECK_EQ(rows, 128);
}

// remove_if_unused decides under the store's lock: a store a session holds stays, a closed one
// goes with its side files, a file that is not a database goes, a missing one is absent.
TEST(a_store_is_removed_only_when_no_session_holds_it) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 200);
  a.fill(0, 200, 5);
  const std::string path = dir.file("u.kv");
  {
    auto s = KvStore::open(path, id);
    s->append(a.rows(), a.tokens.data(), 0, 200, {});
    CHECK(KvStore::remove_if_unused(path) == KvStore::Removal::kInUse);
    CHECK(std::filesystem::exists(path));
  }
  CHECK(KvStore::remove_if_unused(path) == KvStore::Removal::kRemoved);
  for (const char* side : {"", "-wal", "-shm"}) CHECK(!std::filesystem::exists(path + side));
  CHECK(KvStore::remove_if_unused(path) == KvStore::Removal::kAbsent);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  std::fputs("not a database, just text long enough to have a header of its own ................", f);
  std::fclose(f);
  CHECK(KvStore::remove_if_unused(path) == KvStore::Removal::kRemoved);
  CHECK(!std::filesystem::exists(path));
}

// A session that opens a store while a remover holds its lock gets the lock only after the
// file is unlinked: it opens the path again, so what it commits is in the store at the path
// (it went into the deleted file, lost when the session closed).
TEST(a_store_removed_while_a_session_opens_it_is_made_again_at_its_path) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 300);
  a.fill(0, 300, 9);
  const std::string path = dir.file("race.kv");
  KvStore::open(path, id)->append(a.rows(), a.tokens.data(), 0, 100, {});
  auto remover = std::make_unique<SqliteDb>(path, false, 0);
  remover->exec("PRAGMA locking_mode = EXCLUSIVE");
  remover->exec("BEGIN EXCLUSIVE");
  std::string failed;
  std::thread opener([&] {
    try {
      auto s = KvStore::open(path, id);  // waits for the lock (2 s)
      CHECK_EQ(s->n_tokens(), 0);  // a new store: the old one is gone
      s->append(a.rows(), a.tokens.data(), 0, 300, {});
    } catch (const Error& e) {
      failed = e.code() + ": " + e.what();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (const char* side : {"-wal", "-shm", ""}) ::unlink((path + side).c_str());
  remover.reset();
  opener.join();
  CHECK_EQ(failed, std::string());
  CHECK(reopened_holds(path, id, a, 300));
}

// A truncate that drops the indexes and then fails to commit (a full disk) leaves the store's
// fields saying what its file says: the indexes and their kind still there (they were cleared
// as the rows were deleted, before the COMMIT failed and SQLite rolled the rows back).
TEST(a_failed_truncate_leaves_the_index_fields_as_the_file_has_them) {
  TempDir dir;
  const StoreIdentity id = identity();
  const std::string path = dir.file("i.kv");
  Context a(id, 1000);
  a.fill(0, 1000, 4);
  {
    auto s = KvStore::open(path, id);
    s->append(a.rows(), a.tokens.data(), 0, 1000, {});
    s->set_index_settings("kind-a");
    s->put_index(0, 0, 800, std::vector<uint8_t>(64, 7));
    s->set_index_complete(800);
  }
  const int rc = store_test::run_child(
      [&] {
        auto s = KvStore::open(path, id);
        try {
          s->truncate(300);  // below the build: drops the indexes
        } catch (const Error& e) {
          std::printf("child: [%s] %s\n", e.code().c_str(), e.what());
          if (e.code() != "STORE_FULL") return 2;
          return s->index_built_at() == 800 && s->index_complete() && s->index_settings() == "kind-a" && s->n_tokens() == 1000 ? 0 : 4;
        }
        return 3;
      },
      0);  // no byte may be written
  CHECK_EQ(rc, 0);
  auto s = KvStore::open(path, id);
  CHECK_EQ(s->index_built_at(), 800);
  CHECK_EQ(s->n_tokens(), 1000);
}


// Blocks of layers that attend a window only, dropped below a point: absent by
// design (a read skips them, the intact prefix runs on), recorded across a
// reopen, lowered by a truncate below it; meta that says otherwise is damage.
TEST(dropped_blocks_are_absent_by_design_and_recorded) {
  TempDir dir;
  const StoreIdentity id = identity();
  const std::string path = dir.file("d.kv");
  Context a(id, 1000);
  a.fill(0, 1000, 3);
  auto rows_equal = [&](const Context& b, int l, int64_t p0, int64_t p1) {
    const size_t at = size_t(p0 * id.head_dim), bytes = size_t((p1 - p0) * id.head_dim) * 2;
    for (int h = 0; h < id.n_head_kv; ++h) {
      const size_t i = size_t(l * id.n_head_kv + h);
      if (std::memcmp(a.k[i].data() + at, b.k[i].data() + at, bytes) || std::memcmp(a.v[i].data() + at, b.v[i].data() + at, bytes))
        return false;
    }
    return true;
  };
  {
    auto s = KvStore::open(path, id);
    s->append(a.rows(), a.tokens.data(), 0, 700, {});
    s->drop_rows_below({0}, 450);  // layer 0's blocks 0-2 (positions below 384)
    CHECK_EQ(s->dropped_below(), 384);
    CHECK(s->dropped(0, 2));
    CHECK(!s->dropped(0, 3));
    CHECK(!s->dropped(1, 0));
    CHECK_THROWS_CODE(s->drop_rows_below({1}, 600), "BAD_ARGUMENT");
    s->drop_rows_below({0}, 300);  // below the mark: nothing changes
    CHECK_EQ(s->dropped_below(), 384);
  }
  {
    SqliteDb db(path, false);
    SqliteStatement q(db, "SELECT layer, count(*) FROM kv WHERE block < 3 GROUP BY layer ORDER BY layer");
    CHECK(q.step());
    CHECK_EQ(q.column_int(0), 1);  // layer 0 has none left there
    CHECK_EQ(q.column_int(1), 3 * id.n_head_kv);
  }
  {
    auto s = KvStore::open(path, id);
    CHECK_EQ(s->dropped_below(), 384);
    CHECK(s->dropped(0, 0));
    Context b(id, 1000);
    CHECK_EQ(s->read_kv(b.rows(), 700), 700);
    CHECK(rows_equal(b, 1, 0, 700));
    CHECK(rows_equal(b, 0, 384, 700));
  }
  // a kept block of layer 0 damaged still ends the intact prefix
  corrupt(path, "UPDATE kv SET crc = crc + 1 WHERE layer = 0 AND head = 1 AND block = 4");
  {
    auto s = KvStore::open(path, id);
    Context b(id, 1000);
    CHECK_EQ(s->read_kv(b.rows(), 700), 512);
    s->truncate(300);  // below the mark: it falls to the block holding 300
    CHECK_EQ(s->dropped_below(), 256);
  }
  {
    auto s = KvStore::open(path, id);
    CHECK_EQ(s->dropped_below(), 256);
    CHECK_EQ(s->n_tokens(), 300);
    s->truncate(0);
    CHECK_EQ(s->dropped_below(), 0);
    s->append(a.rows(), a.tokens.data(), 0, 700, {});  // every block written again
  }
  CHECK(reopened_holds(path, id, a, 700));
  // meta that does not describe a drop
  {
    auto s = KvStore::open(path, id);
    s->drop_rows_below({0}, 256);
  }
  corrupt(path, "UPDATE meta SET value = '100' WHERE key = 'dropped_below'");
  CHECK_THROWS_CODE(KvStore::open(path, id), "STORE_CORRUPT");
  corrupt(path, "UPDATE meta SET value = '256' WHERE key = 'dropped_below'");
  corrupt(path, "UPDATE meta SET value = '0,2' WHERE key = 'dropped_layers'");
  CHECK_THROWS_CODE(KvStore::open(path, id), "STORE_CORRUPT");
  corrupt(path, "UPDATE meta SET value = '0' WHERE key = 'dropped_layers'");
  CHECK_EQ(KvStore::open(path, id)->dropped_below(), 256);
}

namespace {
// The bytes of the store's file (its log checkpointed: every store closes with an empty one).
int64_t file_bytes(const std::string& path) {
  std::error_code ec;
  return int64_t(std::filesystem::file_size(path, ec));
}
}  // namespace

// The queries a prefill keeps for the index build are as large as the K/V of
// the indexed layers; once the indexes are complete they are deleted, and the
// file gives their pages back (auto_vacuum, in steps through the log). A store
// whose file was made without auto_vacuum (before it was added) keeps its size,
// its free pages left for later writes; both read back the same.
TEST(completing_the_indexes_gives_the_queries_pages_back) {
  TempDir dir;
  const StoreIdentity id = identity();
  Context a(id, 4096);
  a.fill(0, 4096, 9);
  std::vector<uint16_t> q(size_t(4096) * 8 * 8, fp32_to_bf16(0.25f));  // 8 bf16 rows a position of head dim 8
  auto fill = [&](const std::string& path) {
    auto s = KvStore::open(path, id);
    for (int64_t p = 0; p < 4096; p += 512) {
      std::vector<QueryChunk> chunks;
      for (int l = 0; l < id.n_layer; ++l)
        for (int h = 0; h < id.n_head_kv; ++h) chunks.push_back({l, h, q.data(), 512 * 8});
      s->append(a.rows(), a.tokens.data(), p, p + 512, chunks);
    }
    s->put_index(0, 0, 4096, std::vector<uint8_t>(64, 1));
  };
  const uint64_t queries = 8 * uint64_t(id.n_layer * id.n_head_kv) * 512 * 8 * 8 * 2;  // 24 MiB
  const std::string fresh = dir.file("new.kv"), old = dir.file("old.kv");
  {
    SqliteDb db(old, true);  // a file whose first write had no auto_vacuum
    db.exec("PRAGMA page_size = 32768; PRAGMA journal_mode = WAL; CREATE TABLE early(x); DROP TABLE early");
  }
  for (const std::string& path : {fresh, old}) {
    fill(path);
    const int64_t before = file_bytes(path);
    CHECK(before > int64_t(queries));
    KvStore::open(path, id)->set_index_complete(4096);
    const int64_t after = file_bytes(path);
    if (path == fresh) {
      CHECK(after < before - int64_t(queries) * 9 / 10);
      SqliteDb db(path, false);
      SqliteStatement fl(db, "PRAGMA freelist_count");
      CHECK(fl.step() && fl.column_int(0) == 0);
    } else {
      CHECK_EQ(after, before);
    }
    CHECK(reopened_holds(path, id, a, 4096));
  }
}

TOME_TEST_MAIN()
