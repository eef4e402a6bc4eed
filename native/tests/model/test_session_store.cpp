// A session's context through its KV store, on a real model (stories260K) in
// retrieval mode (small sinks/window so the index is built and used):
//   - a reopened store answers without prefill, bit-identical to a session that
//     never stopped, through the index build, decode and more turns;
//   - a child process killed with SIGKILL at random points (prefill, index
//     build, decode appends; many seeds) leaves a store that restores a
//     consistent prefix, and finishing the work from it gives the same logits;
//   - an index build cut short is resumed: only the layers not stored are built
//     (and counted in its progress);
//   - damaged blocks cut the restored prefix (resumed or rebuilt, never served);
//   - a store written by another model (same shape, other weights) is refused;
//   - a store SQLite finds damaged fails the attach and leaves the session unbound;
//   - a session asking for other index settings runs with the store's.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "../kvstore/store_test_util.h"
#include "kvstore/sqlite_db.h"
#include "model/model.h"
#include "model/session.h"
#include "session_work.h"
#include "test_harness.h"

using namespace tome;
using store_test::TempDir;

namespace {

constexpr int64_t kDoc = 700, kQuestion = 12, kDecode = 80, kFlushEvery = 5;

std::string model_path(const char* name) { return tome_test::data_dir() + "/models/" + name; }

SessionOptions options() {
  SessionOptions o = session_work::small_retrieval();
  // graph repairs during the decode of every test (index sizes 620..712): a
  // restored index must repair where the reference did
  o.retrieval.reconnect_every = 50;
  return o;
}

void run_work(Session& s, std::vector<int32_t>& seq) {
  session_work::run(s, seq, {kDoc, kQuestion, kDoc + kQuestion + kDecode, kFlushEvery});
}
using session_work::argmax;
using session_work::probe;
using session_work::same;

std::vector<int32_t> document(int n_vocab) {
  std::mt19937 g(42);
  std::vector<int32_t> t(kDoc + kQuestion);
  t[0] = 1;
  for (size_t i = 1; i < t.size(); ++i) t[i] = int32_t(3 + g() % uint32_t(n_vocab - 3));
  return t;
}

struct Reference {
  std::unique_ptr<Model> model;
  std::vector<int32_t> seq;      // doc + question + greedy tokens
  std::vector<float> last;       // probe() after the work
};

Reference& reference() {
  static Reference r = [] {
    Reference x;
    x.model = Model::load(model_path("stories260K.gguf"));
    x.seq = document(x.model->hparams().n_vocab);
    Session s(*x.model, options());
    run_work(s, x.seq);
    x.last = probe(s);
    CHECK(s.sparse_active());
    return x;
  }();
  return r;
}

void skip_without_data() {
  if (!sqlite_available()) SKIP("this build has no SQLite");
  FILE* f = std::fopen(model_path("stories260K.gguf").c_str(), "rb");
  if (!f) SKIP("test data not found (../shared or $TOME_TEST_DATA)");
  std::fclose(f);
}

std::unique_ptr<KvStore> open_store(const Session& s, const std::string& path) {
  return KvStore::open(path, s.store_identity());
}

// Finishes the work from wherever s stands; true when the result is bit for bit
// the reference's.
bool finishes_like_reference(Session& s) {
  std::vector<int32_t> seq = reference().seq;
  run_work(s, seq);
  return same(probe(s), reference().last);
}

}  // namespace

TEST(reopened_store_answers_without_prefill_bit_identically) {
  skip_without_data();
  Reference& ref = reference();
  TempDir dir;
  const std::string path = dir.file("doc.kv");
  {
    Session s(*ref.model, options());
    CHECK_EQ(s.attach_store(open_store(s, path)), 0);
    std::vector<int32_t> doc(ref.seq.begin(), ref.seq.begin() + kDoc);
    s.eval(doc);
    s.build_index();
    CHECK(s.store()->index_complete());
  }
  {
    Session s(*ref.model, options());
    CHECK_EQ(s.attach_store(open_store(s, path)), kDoc);
    CHECK(s.sparse_active());  // the index came back with the K/V: no prefill, no build
    CHECK(std::equal(s.tokens().begin(), s.tokens().end(), ref.seq.begin()));
    const std::vector<int32_t>& seq = ref.seq;
    // part of the decode, then stop ...
    s.eval(std::vector<int32_t>(seq.begin() + kDoc, seq.begin() + kDoc + kQuestion));
    for (int64_t p = kDoc + kQuestion; p < kDoc + kQuestion + 30; ++p) s.eval({seq[size_t(p)]});
    s.flush_store();
  }
  // ... and the conversation continues where it stopped
  Session s(*ref.model, options());
  CHECK_EQ(s.attach_store(open_store(s, path)), kDoc + kQuestion + 30);
  CHECK(finishes_like_reference(s));
}

TEST(sigkill_at_random_points_never_serves_a_wrong_context) {
  skip_without_data();
  Reference& ref = reference();
  // how long the whole work takes in a child, to spread the kills over it
  TempDir timing;
  auto t0 = std::chrono::steady_clock::now();
  CHECK_EQ(store_test::run_child([&] {
             Session s(*ref.model, options());
             s.attach_store(open_store(s, timing.file("t.kv")));
             return finishes_like_reference(s) ? 0 : 1;
           }),
           0);
  const double total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  int restored_in[5] = {0, 0, 0, 0, 0};  // nothing / in prefill / in the build / built, before decode / in decode
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    TempDir dir;
    const std::string path = dir.file("k.kv");
    std::mt19937 g(seed);
    // odd seeds kill two children in a row: the second resumes the first's store
    for (uint32_t round = 0; round < 1 + seed % 2; ++round) {
      const double at_ms = std::uniform_real_distribution<double>(0.0, total_ms)(g);
      const pid_t pid = fork();
      if (pid == 0) {
        Session s(*ref.model, options());
        s.attach_store(open_store(s, path));
        std::vector<int32_t> seq = ref.seq;
        run_work(s, seq);
        _exit(0);
      }
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(at_ms));
      kill(pid, SIGKILL);
      int status = 0;
      waitpid(pid, &status, 0);
    }
    Session s(*ref.model, options());
    const int64_t n = s.attach_store(open_store(s, path));
    CHECK(n <= int64_t(ref.seq.size()));
    CHECK(std::equal(s.tokens().begin(), s.tokens().end(), ref.seq.begin()));
    const bool partial_index = s.store()->index_built_at() >= 0 && !s.store()->index_complete();
    restored_in[n == 0 ? 0 : n < kDoc ? 1 : partial_index ? 2 : n <= kDoc + kQuestion ? 3 : 4]++;
    CHECK(finishes_like_reference(s));
  }
  std::printf("restored: %d empty, %d in prefill, %d in the index build, %d before decode, %d in decode\n",
              restored_in[0], restored_in[1], restored_in[2], restored_in[3], restored_in[4]);
}

TEST(a_resumed_index_build_reports_only_the_layers_it_builds) {
  skip_without_data();
  Reference& ref = reference();
  TempDir dir;
  const std::string path = dir.file("cut.kv");
  const int layers = ref.model->hparams().n_layer;  // stories260K: 5, none sliding-window
  {
    Session s(*ref.model, options());
    CHECK_EQ(s.attach_store(open_store(s, path)), 0);
    std::vector<int32_t> doc(ref.seq.begin(), ref.seq.begin() + kDoc);
    s.eval(doc);
    // the build cut short before its third layer, as a kill would: two layers' indexes stored
    bool cut = false;
    try {
      s.build_index([](int done, int) {
        if (done == 2) throw std::runtime_error("cut");
      });
    } catch (const std::runtime_error&) {
      cut = true;
    }
    CHECK(cut);
    CHECK(!s.store()->index_complete());
  }
  Session s(*ref.model, options());
  CHECK_EQ(s.attach_store(open_store(s, path)), kDoc);
  CHECK(!s.sparse_active());
  // the restored layers take no time and are not counted: the time left by the rate holds
  std::vector<std::pair<int, int>> reports, want;
  s.build_index([&](int done, int total) { reports.emplace_back(done, total); });
  for (int d = 0; d <= layers - 2; ++d) want.emplace_back(d, layers - 2);
  CHECK(reports == want);
  CHECK(s.store()->index_complete());
  CHECK(finishes_like_reference(s));
}

TEST(damaged_blocks_are_resumed_or_rebuilt_never_served) {
  skip_without_data();
  Reference& ref = reference();
  TempDir dir;
  const std::string path = dir.file("d.kv");
  {
    Session s(*ref.model, options());
    s.attach_store(open_store(s, path));
    std::vector<int32_t> seq = ref.seq;
    run_work(s, seq);
  }
  auto damage = [&](const char* sql) {
    SqliteDb db(path, false);
    db.exec(sql);
  };
  // a block after the build point: resumed from that block, the index kept
  damage("UPDATE kv SET v = substr(v, 1, 99) || x'00' || substr(v, 101) WHERE layer = 3 AND head = 1 AND block = 6");
  {
    Session s(*ref.model, options());
    CHECK_EQ(s.attach_store(open_store(s, path)), 6 * kStoreBlockTokens);
    CHECK(s.sparse_active());
    CHECK(finishes_like_reference(s));
  }
  // a block of the indexed document: the prefill queries are gone, so all of it is rebuilt
  damage("UPDATE kv SET crc = crc + 1 WHERE layer = 0 AND head = 0 AND block = 2");
  {
    Session s(*ref.model, options());
    CHECK_EQ(s.attach_store(open_store(s, path)), 0);
    CHECK(finishes_like_reference(s));
  }
  // a damaged index image: not used, the store rebuilt
  damage("UPDATE indexes SET image = substr(image, 1, 200) || x'ff' || substr(image, 202) WHERE layer = 1 AND head = 2");
  Session s(*ref.model, options());
  CHECK_EQ(s.attach_store(open_store(s, path)), 0);
  CHECK(finishes_like_reference(s));
}

TEST(a_store_from_another_model_is_refused) {
  skip_without_data();
  TempDir dir;
  const std::string path = dir.file("m.kv");
  // same shape and tokenizer, other weights: only the fingerprint tells them apart
  auto a = Model::load(model_path("TinyStories-656K.f16.gguf"));
  auto b = Model::load(model_path("tinystories-656k-q8_0.gguf"));
  {
    Session s(*a, options());
    s.attach_store(open_store(s, path));
    s.eval({1, 400, 500, 600});
  }
  Session s(*b, options());
  CHECK_THROWS_CODE(open_store(s, path), "STORE_MISMATCH");
  Session s2(*a, options());
  CHECK_EQ(s2.attach_store(open_store(s2, path)), 4);
}

TEST(a_prefill_resumed_by_another_session_is_identical) {
  skip_without_data();
  Reference& ref = reference();
  TempDir dir;
  {
    Session s(*ref.model, options());
    s.attach_store(open_store(s, dir.file("r.kv")));
    s.prefill(std::vector<int32_t>(ref.seq.begin(), ref.seq.begin() + 448));
  }
  Session s(*ref.model, options());
  CHECK_EQ(s.attach_store(open_store(s, dir.file("r.kv"))), 448);
  CHECK(finishes_like_reference(s));
}
TEST(decode_under_a_ram_budget_is_bit_identical) {
  skip_without_data();
  Reference& ref = reference();
  TempDir dir;
  const std::string path = dir.file("b.kv");
  {  // the document, prefilled and indexed once
    Session s(*ref.model, options());
    s.attach_store(open_store(s, path));
    s.prefill(std::vector<int32_t>(ref.seq.begin(), ref.seq.begin() + kDoc));
    s.build_index();
  }
  // every run below starts from a copy of this store, as it stands now
  auto fresh_copy = [&](const char* name) {
    const std::string p = dir.file(name);
    std::filesystem::copy_file(path, p, std::filesystem::copy_options::overwrite_existing);
    return p;
  };
  // the host tier's unlimited size (budget = 100%) and the indexes' share of it
  uint64_t unlimited = 0, fixed = 0;
  {
    SessionOptions o = options();
    o.ram_budget_frac = 1.0;
    Session s(*ref.model, o);
    s.attach_store(open_store(s, fresh_copy("run.kv")));
    CHECK(finishes_like_reference(s));
    const ResidencyStats st = s.residency();
    CHECK_EQ(st.evictions, 0);
    unlimited = st.budget_bytes;
    fixed = st.fixed_bytes;

    CHECK(unlimited > fixed);
  }
  // of the host tier (at these budgets the indexes are paged out; what stays in
  // RAM whatever the budget is about two thirds of this small context's host
  // tier, its graphs' adjacency sized by degree)
  for (double share : {0.85, 0.75}) {
    for (EvictionPolicy policy : {EvictionPolicy::kLru, EvictionPolicy::kLfu}) {
      SessionOptions o = options();
      o.ram_budget_frac = share;
      o.eviction = policy;
      Session s(*ref.model, o);
      s.attach_store(open_store(s, fresh_copy("run.kv")));
      CHECK(finishes_like_reference(s));
      const ResidencyStats st = s.residency();
      std::printf("share %.2f %s: %lld hits, %lld units read, %lld evicted, resident %llu of %llu host bytes; "
                  "index records: %lld read, %lld evicted\n", share,
                  policy == EvictionPolicy::kLru ? "lru" : "lfu", (long long)st.hits, (long long)st.misses,
                  (long long)st.evictions, (unsigned long long)st.resident_bytes,
                  (unsigned long long)(st.budget_bytes - st.fixed_bytes), (long long)st.index_reads,
                  (long long)st.index_evictions);
      CHECK(st.indexes_paged);
      CHECK(st.index_reads > 0);
      CHECK(share > 0.8 || st.evictions + st.index_evictions > 0);  // K/V rows or index records
      CHECK(st.misses > 0);
      CHECK(st.resident_bytes + st.fixed_bytes <= st.budget_bytes);
    }
  }
  // below what stays in RAM with the indexes paged out (their codes, degrees
  // and anchor queries, the tables): refused with a clear error
  SessionOptions o = options();
  o.ram_budget_frac = 0.1;
  Session s(*ref.model, o);
  CHECK_THROWS_CODE(s.attach_store(open_store(s, fresh_copy("run.kv"))), "BUDGET_TOO_SMALL");
}

TEST(sessions_of_every_mode_share_one_store) {
  skip_without_data();
  Reference& ref = reference();
  TempDir dir;
  const std::string path = dir.file("shared.kv");
  const std::vector<int32_t> doc(ref.seq.begin(), ref.seq.begin() + kDoc);
  const std::vector<int32_t> question(ref.seq.begin() + kDoc, ref.seq.begin() + kDoc + kQuestion);
  auto opts = [](AttentionMode m) {
    SessionOptions o = options();
    o.retrieval.mode = m;
    return o;
  };
  // what each mode answers after the document and the question, without a store
  auto answer = [&](AttentionMode m) {
    Session s(*ref.model, opts(m));
    s.prefill(doc);
    return s.eval(question);
  };
  {  // retrieval reads the document: K/V, queries, its indexes
    Session s(*ref.model, opts(AttentionMode::RETRIEVAL));
    s.attach_store(open_store(s, path));
    s.prefill(doc);
    s.build_index();
  }
  // full, streaming and flat take the K/V without prefill and leave retrieval's index alone
  for (AttentionMode m : {AttentionMode::FULL, AttentionMode::STREAMING, AttentionMode::FLAT}) {
    Session s(*ref.model, opts(m));
    CHECK(s.attach_store(open_store(s, path)) >= kDoc);  // the previous one's question too
    s.truncate(kDoc);
    CHECK(same(s.eval(question), answer(m)));
    CHECK(s.store()->index_complete());
  }
  {  // retrieval restores its index (and the last question, cut back here)
    Session s(*ref.model, opts(AttentionMode::RETRIEVAL));
    CHECK_EQ(s.attach_store(open_store(s, path)), kDoc + kQuestion);
    s.truncate(kDoc);
    CHECK(s.sparse_active());
    CHECK(same(s.eval(question), answer(AttentionMode::RETRIEVAL)));
  }
  // a retrieval session asking for another window and degree runs with the store's
  // (they shaped its indexes) rather than reading the document again, as it did before
  SessionOptions wider = opts(AttentionMode::RETRIEVAL);
  wider.retrieval.window = 96;
  wider.retrieval.degree = 24;
  Session w(*ref.model, wider);
  CHECK_EQ(w.attach_store(open_store(w, path)), kDoc + kQuestion);
  CHECK_EQ(w.retrieval().window, 64);
  CHECK_EQ(w.retrieval().degree, 32);
  w.truncate(kDoc);
  CHECK(w.sparse_active());
  CHECK(same(w.eval(question), answer(AttentionMode::RETRIEVAL)));
  CHECK(w.store()->index_complete());
}

TEST(a_prefill_resumed_with_other_settings_keeps_the_stores) {
  // The document read without its index build (the app closed after the prefill):
  // the store holds K/V and queries. A session asking for other sinks, window and
  // query sample builds with the store's, and answers as a session of those that
  // never stopped. A store of another mode has no queries for retrieval: read again.
  skip_without_data();
  Reference& ref = reference();
  TempDir dir;
  const std::string path = dir.file("resumed.kv");
  const std::vector<int32_t> doc(ref.seq.begin(), ref.seq.begin() + kDoc);
  const std::vector<int32_t> question(ref.seq.begin() + kDoc, ref.seq.begin() + kDoc + kQuestion);
  {
    Session s(*ref.model, options());
    s.attach_store(open_store(s, path));
    s.prefill(doc);
    CHECK(!s.sparse_active());
  }
  SessionOptions other = options();
  other.retrieval.sinks = 8;
  other.retrieval.window = 128;
  other.retrieval.query_sample = 0.5;
  Session s(*ref.model, other);
  CHECK_EQ(s.attach_store(open_store(s, path)), kDoc);
  CHECK_EQ(s.retrieval().sinks, options().retrieval.sinks);
  CHECK_EQ(s.retrieval().window, options().retrieval.window);
  CHECK_EQ(s.retrieval().query_sample, options().retrieval.query_sample);
  s.build_index();
  CHECK(s.sparse_active());
  Session never(*ref.model, options());
  never.prefill(doc);
  never.build_index();
  CHECK(same(s.eval(question), never.eval(question)));

  const std::string flat_path = dir.file("flat.kv");
  SessionOptions flat = options();
  flat.retrieval.mode = AttentionMode::FLAT;
  {
    Session f(*ref.model, flat);
    f.attach_store(open_store(f, flat_path));
    f.prefill(doc);
    f.build_index();
  }
  Session r(*ref.model, other);
  CHECK_EQ(r.attach_store(open_store(r, flat_path)), 0);
  CHECK_EQ(r.retrieval().window, 128);
}

TEST(a_store_held_by_one_session_is_refused_to_another) {
  // two sessions on one store would interleave their blocks: the second is refused
  // (in the app: a second tome process, which then reads the book without the store)
  skip_without_data();
  Reference& ref = reference();
  TempDir dir;
  const std::string path = dir.file("held.kv");
  const std::vector<int32_t> doc(ref.seq.begin(), ref.seq.begin() + kDoc);
  Session a(*ref.model, options());
  a.attach_store(open_store(a, path));
  a.prefill(doc);
  Session b(*ref.model, options());
  CHECK_THROWS_CODE(open_store(b, path), "STORE_BUSY");
}

TEST(a_store_sqlite_finds_damaged_leaves_the_session_without_it) {
  // damage below the blocks' checksums: a page of the kv table overwritten, so SQLite
  // itself fails the read (STORE_CORRUPT) part way through the restore. The session
  // must come out as it went in, empty and unbound (the store closed and unlocked), so
  // that the file can be deleted and the book read again into a new store; it used to
  // stay bound to the damaged store (a second attach: "already has a KV store").
  skip_without_data();
  Reference& ref = reference();
  TempDir dir;
  const std::string path = dir.file("torn.kv");
  {
    Session s(*ref.model, options());
    s.attach_store(open_store(s, path));
    std::vector<int32_t> seq = ref.seq;
    run_work(s, seq);
  }
  int64_t root = 0, page = 0;
  {
    SqliteDb db(path, false);
    SqliteStatement r(db, "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'kv'");
    CHECK(r.step());
    root = r.column_int(0);
    SqliteStatement ps(db, "PRAGMA page_size");
    CHECK(ps.step());
    page = ps.column_int(0);
  }
  CHECK(root > 1 && page > 0);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp((root - 1) * page);
    const std::string junk(size_t(page), '\x5a');
    f.write(junk.data(), std::streamsize(junk.size()));
  }
  {
    Session s(*ref.model, options());
    CHECK_THROWS_CODE(s.attach_store(open_store(s, path)), "STORE_CORRUPT");
    CHECK(s.store() == nullptr);
    CHECK_EQ(s.n_past(), 0);
    CHECK(!s.sparse_active());
    // the damaged store is unlocked: it can be deleted, and the same session reads the book into a new one
    for (const char* side : {"", "-wal", "-shm"}) std::remove((path + side).c_str());
    CHECK_EQ(s.attach_store(open_store(s, path)), 0);
    CHECK(finishes_like_reference(s));
  }
  Session again(*ref.model, options());
  CHECK(again.attach_store(open_store(again, path)) > kDoc);
}

TOME_TEST_MAIN()
