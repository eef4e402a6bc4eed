// Graph indexes paged out under a RAM budget (RoarGraphIndex::page_out: keys
// and adjacency as NodePager records in an IndexSpill file):
//   - a paged graph answers every search as the resident one does (ids,
//     scores and keys scanned, per head and joint), grows by the same inserts
//     (with and without their queries, with scheduled reconnects) into the
//     same graph (byte-equal images, keys included or not), through a cache
//     of a few hundred records that is read, evicted and written back many
//     times, an insert reading a few hundred records (its searches navigate
//     by the codes); paged back in it is the resident graph again;
//   - the same with its int8 navigation codes paged too (a file of code rows,
//     a cache of a few hundred), which are paged back in byte-equal;
//   - a small index (below NavCodes::kScaleRows) whose inserts move the
//     navigation scales requantizes from its paged keys, as the resident one,
//     its codes in RAM or paged;
//   - a record whose bytes changed on disk is reported (STORE_CORRUPT), never
//     served; a record that cannot be written back (file size limit) is
//     reported (STORE_FULL), and the graph an insert left incomplete refuses
//     searches, inserts and images with it; a paging that cannot write leaves
//     the graph resident and working.
#include <cstring>
#include <functional>
#include <unistd.h>
#include <vector>

#include "common/error.h"
#include "cpu/thread_pool.h"
#include "kvstore/store_test_util.h"
#include "model/index_spill.h"
#include "retrieval/roar_graph.h"
#include "retrieval/synthetic_workload.h"
#include "retrieval/retrieval_test_util.h"
#include "test_harness.h"

using namespace tome;
using store_test::TempDir;

namespace {

std::unique_ptr<RoarGraphIndex> copy_of(const RoarGraphIndex& g) {
  const std::vector<uint8_t> image = g.serialize(true);
  std::unique_ptr<KeyIndex> k = deserialize_index(image.data(), image.size());
  return std::unique_ptr<RoarGraphIndex>(static_cast<RoarGraphIndex*>(k.release()));
}

size_t record_bytes(const RoarGraphIndex& g) { return size_t(g.dim()) * 2 + size_t(g.max_degree()) * 4; }

// Every query answered alike: ids, scores (bits) and keys scanned, one head
// at a time and a group of two heads jointly.
bool same_answers(const RoarGraphIndex& a, const RoarGraphIndex& b, const Workload& w) {
  SearchParams p;
  p.k = 50;
  SearchResult ra, rb;
  for (int64_t i = 0; i + 1 < w.n_test; ++i) {
    const float* q = w.test.data() + size_t(i) * size_t(w.d);
    for (GroupMode mode : {GroupMode::kUnion, GroupMode::kJoint}) {
      p.group = mode;
      a.search_group(q, 2, p, ra);
      b.search_group(q, 2, p, rb);
      if (ra.ids != rb.ids || ra.keys_scanned != rb.keys_scanned || ra.ids.empty()) return false;
      if (std::memcmp(ra.scores.data(), rb.scores.data(), ra.scores.size() * sizeof(float)) != 0) return false;
    }
  }
  return true;
}

// A graph over w's first n0 keys, and a copy of it paged out to records
// [first, first + capacity) of a file of `records` in dir, caching `slots` of
// them; with code_slots > 0 its navigation codes too, to the same records of a
// file of code rows, caching code_slots rows.
struct PagedPair {
  std::unique_ptr<RoarGraphIndex> a, b;  // resident, paged
  std::shared_ptr<IndexSpill> file, codes;
};
PagedPair paged_pair(const Workload& w, int64_t n0, const TempDir& dir, size_t records, size_t first,
                     int64_t capacity, int64_t slots, int64_t code_slots = 0) {
  ThreadPool pool(2);
  PagedPair p;
  p.a = RoarGraphIndex::build(w.keys.data(), n0, size_t(w.d), w.d, w.train.data(), w.n_train, size_t(w.d),
                              GraphBuildParams{}, &pool);
  p.b = copy_of(*p.a);
  p.file = IndexSpill::create(dir.path, record_bytes(*p.a), records);
  if (!p.file || !p.b->page_out(p.file, first, capacity)) throw Error("INTERNAL", "paging out failed");
  p.b->pager()->cache().set_max_slots(slots);
  if (code_slots > 0) {
    p.codes = IndexSpill::create(dir.path, p.b->code_record_bytes(), records);
    if (!p.codes || !p.b->page_out_codes(p.codes, first, capacity)) throw Error("INTERNAL", "paging codes failed");
    p.b->code_pager()->set_max_slots(code_slots);
  }
  return p;
}

}  // namespace

// code_slots 0: the codes stay in RAM; else they are paged too, that many cached.
void check_paged_graph(int64_t code_slots) {
  TempDir dir;
  const Workload w = rt::ood_workload(8192, 4096, 40, 64);
  const int64_t n0 = 6144;
  // the second of three indexes' ranges; ~5% of the records cached
  PagedPair p = paged_pair(w, n0, dir, 3 * 8192, 8192, 8192, 300, code_slots);
  RoarGraphIndex* a = p.a.get();
  RoarGraphIndex* b = p.b.get();
  const size_t resident = a->bytes();
  CHECK(b->paged());
  CHECK(b->codes_paged() == (code_slots > 0));
  std::printf("     resident %zu bytes, paged %zu (+ up to 300 records and %lld code rows cached)\n", resident,
              b->bytes(), (long long)code_slots);
  CHECK(b->bytes() * 2 < resident);  // (here the 1024 anchor queries are a third of what stays)
  if (code_slots > 0) CHECK(b->bytes() + a->nav_codes().bytes() / 2 < paged_pair(w, n0, dir, 8192, 0, 8192, 300)
                                                                          .b->bytes());
  CHECK(same_answers(*a, *b, w));

  // the rest of the keys, as decode inserts them (every other one with its
  // query), reconnecting every 512 keys
  a->reconnect_every(512, 100);
  b->reconnect_every(512, 100);
  const RecordCacheStats before = b->pager()->cache().stats();
  for (int64_t j = n0; j < w.n_keys; ++j) {
    const float* key = w.keys.data() + size_t(j) * size_t(w.d);
    const float* q = w.train.data() + size_t(j % w.n_train) * size_t(w.d);
    CHECK_EQ(j % 2 ? a->insert(key) : a->insert_with_query(key, q), j % 2 ? b->insert(key) : b->insert_with_query(key, q));
  }
  // an insert's searches navigate by the codes in RAM: it reads the records
  // of the keys they expand, its candidates' keys and the rows it rewrites
  // (navigating by the keys, each key scored was a record: 1452 an insert
  // here, against 230)
  const RecordCacheStats grown = b->pager()->cache().stats();
  const double per_insert = double(grown.hits + grown.reads - before.hits - before.reads) / double(w.n_keys - n0);
  std::printf("     %.0f records read per insert\n", per_insert);
  CHECK(per_insert < 500);
  CHECK_EQ(a->reconnects(), int64_t(4));
  CHECK_EQ(b->reconnects(), int64_t(4));
  CHECK_EQ(b->reachable_count(), w.n_keys);
  CHECK(same_answers(*a, *b, w));
  CHECK(a->serialize(false) == b->serialize(false));
  CHECK(a->serialize(true) == b->serialize(true));
  const RecordCacheStats st = b->pager()->cache().stats();
  std::printf("     pager: %lld hits, %lld reads, %lld evictions, %lld write-backs\n", (long long)st.hits,
              (long long)st.reads, (long long)st.evictions, (long long)st.writebacks);
  CHECK(st.reads > 1000);
  CHECK(st.evictions > 1000);
  CHECK(st.writebacks > 100);
  if (code_slots > 0) {  // inserted keys' code rows were appended, evicted and written back, then read again
    const RecordCacheStats c = b->code_pager()->stats();
    std::printf("     codes: %lld hits, %lld reads, %lld evictions, %lld write-backs\n", (long long)c.hits,
                (long long)c.reads, (long long)c.evictions, (long long)c.writebacks);
    CHECK(c.reads > 1000);
    CHECK(c.writebacks > 100);
  }

  // paged back in: the resident graph again, its codes too
  b->page_in();
  CHECK(!b->paged());
  CHECK(!b->codes_paged());
  CHECK(a->serialize(true) == b->serialize(true));
  CHECK(std::memcmp(a->nav_codes().data(), b->nav_codes().data(),
                    size_t(w.n_keys) * size_t(a->nav_codes().stride())) == 0);
  CHECK(same_answers(*a, *b, w));
}

TEST(a_paged_graph_searches_grows_and_serializes_as_the_resident_one) { check_paged_graph(0); }

TEST(a_graph_with_its_codes_paged_too_searches_grows_and_serializes_as_the_resident_one) {
  check_paged_graph(400);  // ~5% of the code rows
}

TEST(a_small_paged_graph_requantizes_its_codes_from_its_records) {
  TempDir dir;
  const Workload w = rt::ood_workload(1600, 1024, 20, 64);
  const int64_t n0 = 1000;
  for (int64_t code_slots : {0, 30}) {  // the codes in RAM, then paged too (rewritten through their file)
    PagedPair p = paged_pair(w, n0, dir, 2048, 0, 2048, 40, code_slots);
    RoarGraphIndex* a = p.a.get();
    RoarGraphIndex* b = p.b.get();
    // keys scaled up: each moves some channel's maximum, so the codes of every row are redone
    std::vector<float> key(size_t(w.d));
    for (int64_t j = n0; j < w.n_keys; ++j) {
      for (int i = 0; i < w.d; ++i)
        key[size_t(i)] = w.keys[size_t(j) * size_t(w.d) + size_t(i)] * (1.0f + float(j - n0) / 200.0f);
      CHECK_EQ(a->insert(key.data()), b->insert(key.data()));
    }
    CHECK(a->nav_codes().scales() == b->nav_codes().scales());
    CHECK(same_answers(*a, *b, w));
    CHECK(a->serialize(true) == b->serialize(true));
    b->page_in_codes();
    CHECK(std::memcmp(a->nav_codes().data(), b->nav_codes().data(),
                      size_t(w.n_keys) * size_t(a->nav_codes().stride())) == 0);
  }
}

TEST(a_damaged_record_is_reported_never_served) {
  TempDir dir;
  const Workload w = rt::ood_workload(5000, 2048, 4, 64);
  auto g = RoarGraphIndex::build(w.keys.data(), w.n_keys, size_t(w.d), w.d, w.train.data(), w.n_train,
                                 size_t(w.d), GraphBuildParams{}, nullptr);
  auto file = IndexSpill::create(dir.path, record_bytes(*g), 5000);
  CHECK(g->page_out(file, 0, 5000));
  g->pager()->cache().set_max_slots(1);
  SearchParams p;
  p.k = 20;
  SearchResult before, after;
  g->search(w.test.data(), p, before);
  CHECK_EQ(int64_t(before.ids.size()), int64_t(20));
  // every record's bytes changed on disk (one bit each): whichever a search reads fails its check
  const size_t bytes = 5000 * record_bytes(*g);
  std::vector<uint8_t> all(bytes);
  const int fd = file->spill().fd();
  CHECK_EQ(pread(fd, all.data(), bytes, 0), ssize_t(bytes));
  for (size_t r = 0; r < 5000; ++r) all[r * record_bytes(*g) + 7] ^= 1;
  CHECK_EQ(pwrite(fd, all.data(), bytes, 0), ssize_t(bytes));
  CHECK_THROWS_CODE(g->search(w.test.data(), p, after), "STORE_CORRUPT");
  std::vector<uint8_t> image;
  CHECK_THROWS_CODE(image = g->serialize(false), "STORE_CORRUPT");
}

TEST(writes_the_file_system_refuses_are_reported) {
  TempDir dir;
  const Workload w = rt::ood_workload(5000, 2048, 4, 64);
  auto g = RoarGraphIndex::build(w.keys.data(), 4500, size_t(w.d), w.d, w.train.data(), w.n_train, size_t(w.d),
                                 GraphBuildParams{}, nullptr);
  const size_t rec = record_bytes(*g);
  // files of at most 4000 records: paging 4500 out fails, and the graph stays resident and whole
  int rc = store_test::run_child(
      [&] {
        auto file = IndexSpill::create(dir.path, rec, 5000);
        if (!file) return 2;
        const std::vector<uint8_t> before = g->serialize(true);
        if (g->page_out(file, 0, 5000) || g->paged()) return 3;
        if (g->serialize(true) != before) return 4;
        SearchParams p;
        SearchResult r;
        g->search(w.test.data(), p, r);
        return r.ids.size() == 100 ? 0 : 5;
      },
      long(4000 * rec));
  CHECK_EQ(rc, 0);
  // files of at most 4500 records: paged out, but an insert's new record
  // cannot be written back; the insert fails part way, and the graph, left
  // incomplete, refuses what follows with the same error (never an answer
  // from a half-linked graph)
  rc = store_test::run_child(
      [&] {
        auto file = IndexSpill::create(dir.path, rec, 5000);
        if (!file || !g->page_out(file, 0, 5000)) return 2;
        g->pager()->cache().set_max_slots(1);
        try {
          for (int64_t j = 4500; j < 4600; ++j) g->insert(w.keys.data() + size_t(j) * size_t(w.d));
          return 4;
        } catch (const Error& e) {
          if (e.code() != "STORE_FULL") return 3;
        }
        SearchParams p;
        SearchResult r;
        auto refused = [](const std::function<void()>& f) {
          try {
            f();
          } catch (const Error& e) {
            return e.code() == "STORE_FULL";
          }
          return false;
        };
        if (!refused([&] { g->search(w.test.data(), p, r); })) return 5;
        if (!refused([&] { g->insert(w.keys.data() + size_t(4700) * size_t(w.d)); })) return 6;
        if (!refused([&] { g->serialize(true); })) return 7;
        return 0;
      },
      long(4500 * rec));
  CHECK_EQ(rc, 0);
}

TOME_TEST_MAIN()
