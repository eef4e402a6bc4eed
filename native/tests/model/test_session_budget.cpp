// A session's KV store under a RAM budget, on a synthetic model whose heads
// are 64 wide (a residency unit is then one page of K rows: 32 positions), in
// retrieval mode with a window shorter than a store block:
//   - a reopen under a budget (50% and 35% of the host tier: the graph
//     indexes paged out, node_pager.h) reads only the units that must stay in
//     RAM and decodes bit-identically to an unlimited one; 10%, below what
//     stays in RAM at this small context, is refused (10% of a 32K-token
//     context: test_session_tight_budget);
//   - flushes under a budget (35%) write the store an unlimited run writes (a
//     block partly committed is rewritten from its start: its rows stay in RAM);
//   - a block left in the store by the lazy reopen and found damaged when
//     first read is reported, the store cut back to it, and the next reopen
//     resumes from there;
//   - a layer-major prefill reports its progress per (layer, chunk), and one
//     cancelled at any point leaves the session and its store as they were,
//     so running it again gives the uninterrupted run's logits and store.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>
#include <random>

#include "../kvstore/store_test_util.h"
#include "cpu/thread_pool.h"
#include "kvstore/sqlite_db.h"
#include "model/model.h"
#include "model/session.h"
#include "model/synthetic_model.h"
#include "session_work.h"
#include "test_harness.h"

using namespace tome;
using store_test::TempDir;

namespace {

constexpr int64_t kDoc = 3000, kQuestion = 12, kDecode = 350, kFlushEvery = 5;
constexpr int64_t kStoppedAt = kDoc + kQuestion + 300;  // where the stored conversation stopped

SessionOptions options() {
  SessionOptions o;
  o.n_ctx = 4096;
  o.n_threads = 2;
  o.n_batch = 64;
  o.retrieval.mode = AttentionMode::RETRIEVAL;
  o.retrieval.sinks = 16;
  o.retrieval.window = 64;
  o.retrieval.top_k = 8;  // a step's rows (units of 32 positions) well inside the budgets below
  return o;
}

// The work (session_work.h), from wherever the session stands (a restored
// prefix of seq), up to `end`.
void run_work(Session& s, std::vector<int32_t>& seq, int64_t end = kDoc + kQuestion + kDecode,
              int64_t flush_every = kFlushEvery, bool layer_major = false) {
  session_work::run(s, seq, {kDoc, kQuestion, end, flush_every, layer_major});
}
using session_work::argmax;
using session_work::probe;
using session_work::same;
using session_work::skip_without_vocab;

struct Fixture {
  TempDir dir;
  std::unique_ptr<Model> model;
  std::vector<int32_t> seq;  // doc + question + greedy tokens
  std::vector<float> last;   // probe() after the whole work
  std::string stored;        // a store of the work stopped at kStoppedAt (copy it before use)
};

std::unique_ptr<KvStore> open_store(const Session& s, const std::string& path) {
  return KvStore::open(path, s.store_identity());
}

Fixture& fixture() {
  static Fixture x = [] {
    Fixture f;
    f.model = session_work::tiny_model(f.dir.file("tiny.gguf"), "llama", 7);  // 2 layers, 4 heads of 64, 2 KV heads
    std::mt19937 g(42);
    f.seq.resize(size_t(kDoc + kQuestion));
    f.seq[0] = 1;
    for (size_t i = 1; i < f.seq.size(); ++i) f.seq[i] = int32_t(3 + g() % uint32_t(f.model->hparams().n_vocab - 3));
    {
      Session s(*f.model, options());
      run_work(s, f.seq);
      f.last = probe(s);
    }
    f.stored = f.dir.file("stored.kv");
    Session s(*f.model, options());
    s.attach_store(open_store(s, f.stored));
    std::vector<int32_t> seq = f.seq;
    run_work(s, seq, kStoppedAt);
    return f;
  }();
  return x;
}

std::string copy_of_stored(const TempDir& dir, const char* name) {
  const std::string p = dir.file(name);
  std::filesystem::copy_file(fixture().stored, p, std::filesystem::copy_options::overwrite_existing);
  return p;
}

bool finishes_like_reference(Session& s, bool layer_major = false) {
  std::vector<int32_t> seq = fixture().seq;
  run_work(s, seq, kDoc + kQuestion + kDecode, kFlushEvery, layer_major);
  return same(probe(s), fixture().last);
}

// Units (of unit_rows positions) a lazy restore of n positions keeps in RAM,
// per (layer, KV head): sinks, the next step's window, the last partial block.
int64_t units_that_stay(int64_t n, int64_t unit_rows) {
  const SessionOptions o = options();
  const int64_t sinks = o.retrieval.sinks, window_start = std::max<int64_t>(sinks, n + 1 - o.retrieval.window);
  int64_t c = 0;
  for (int64_t u = 0; u * unit_rows < n; ++u) {
    const int64_t p0 = u * unit_rows, p1 = p0 + unit_rows;
    c += p0 < sinks || p1 > window_start || (p0 / kStoreBlockTokens + 1) * kStoreBlockTokens > n;
  }
  return c;
}

// The rows of a query (ints, then blobs), in its order, as one byte string.
std::string table_contents(const std::string& path, const char* sql, int n_ints, int n_blobs) {
  SqliteDb db(path, false);
  SqliteStatement q(db, sql);
  std::string out;
  while (q.step()) {
    for (int c = 0; c < n_ints; ++c) out += std::to_string(q.column_int(c)) + ",";
    for (int c = n_ints; c < n_ints + n_blobs; ++c) {
      size_t size = 0;
      const uint8_t* p = q.column_blob(c, &size);
      out.append(reinterpret_cast<const char*>(p), size);
    }
  }
  return out;
}

// Every K/V block of a store, in key order, as one byte string (n_tokens bounds them).
std::string kv_contents(const std::string& path) {
  return table_contents(path, "SELECT layer, head, block, n, k, v FROM kv ORDER BY layer, head, block", 4, 2);
}

std::string store_contents_at(const std::string& path);

// What a store holds: K/V, tokens, index images, and the meta that says how far they go.
// Read from a copy of its files: a session holding the store keeps it locked (KvStore::open).
std::string store_contents(const std::string& path) {
  const std::string peek = path + ".peek";
  for (const char* side : {"", "-wal"}) {
    std::filesystem::remove(peek + side);
    if (std::filesystem::exists(path + side)) std::filesystem::copy_file(path + side, peek + side);
  }
  const std::string out = store_contents_at(peek);
  for (const char* side : {"", "-wal", "-shm"}) std::filesystem::remove(peek + side);
  return out;
}

std::string store_contents_at(const std::string& path) {
  return kv_contents(path) + "|" +
         table_contents(path, "SELECT block, n, crc, ids FROM tokens ORDER BY block", 3, 1) + "|" +
         table_contents(path, "SELECT layer, head, built_at, image FROM indexes ORDER BY layer, head", 3, 1) + "|" +
         table_contents(path, "SELECT count(*) FROM queries", 1, 0) + "|" + [&] {
           SqliteDb db(path, false);
           SqliteStatement q(db, "SELECT key, value FROM meta WHERE key IN ('n_tokens', 'index_built_at', "
                                 "'index_complete', 'index_settings') ORDER BY key");
           std::string m;
           while (q.step()) m += q.column_text(0) + "=" + q.column_text(1) + ";";
           return m;
         }();
}

}  // namespace

TEST(a_reopen_under_a_budget_reads_only_what_stays_and_decodes_bit_identically) {
  skip_without_vocab();
  Fixture& f = fixture();
  TempDir dir;
  const HParams& hp = f.model->hparams();
  const uint64_t unit_rows = 32;  // head_dim 64: one 4 KiB page of K rows
  const uint64_t unit_bytes = 2 * unit_rows * uint64_t(hp.head_dim) * 2;
  uint64_t unlimited = 0, fixed = 0, eager_resident = 0;
  {  // no budget: every block read
    Session s(*f.model, options());
    CHECK_EQ(s.attach_store(open_store(s, copy_of_stored(dir, "run.kv"))), kStoppedAt);
    CHECK(s.sparse_active());
    eager_resident = s.kv().resident_bytes();
    CHECK(finishes_like_reference(s));
  }
  {  // budget = 100%: lazy, nothing evicted
    SessionOptions o = options();
    o.ram_budget_frac = 1.0;
    Session s(*f.model, o);
    CHECK_EQ(s.attach_store(open_store(s, copy_of_stored(dir, "run.kv"))), kStoppedAt);
    CHECK(s.residency().unread_units > 0);
    CHECK(finishes_like_reference(s));
    // at the end: the indexes grew with the keys inserted while decoding
    const ResidencyStats st = s.residency();
    CHECK_EQ(st.evictions, 0);
    unlimited = st.budget_bytes;
    fixed = st.fixed_bytes;
    CHECK(unlimited > fixed);
  }
  const uint64_t stay = uint64_t(units_that_stay(kStoppedAt, int64_t(unit_rows))) * hp.n_layer * hp.n_head_kv;
  // budgets of the host tier (its size with every index resident): at 50% and
  // 35% the indexes are paged out, and their records read back. (What stays
  // in RAM whatever the budget, the indexes' navigation codes, degrees and
  // anchor queries and the tables, is ~30% of this small context's host tier,
  // ~15% of a 32K one's; a budget below it is refused, tested below.)
  for (double share : {0.5, 0.35}) {
    SessionOptions o = options();
    o.ram_budget_frac = share;
    Session s(*f.model, o);
    CHECK_EQ(s.attach_store(open_store(s, copy_of_stored(dir, "run.kv"))), kStoppedAt);
    CHECK(s.sparse_active());
    // the reopen itself: only the units that stay were read into the cache
    const ResidencyStats at_open = s.residency();
    const uint64_t kv_ram = s.kv().resident_bytes();
    std::printf("share %.2f: reopen read %llu of %llu cache bytes (unlimited reopen %llu); %lld units left unread; "
                "host tier peak %llu of budget %llu\n",
                share, (unsigned long long)kv_ram,
                (unsigned long long)(2 * uint64_t(kStoppedAt) * hp.n_layer * hp.n_head_kv * hp.head_dim * 2),
                (unsigned long long)eager_resident, (long long)at_open.unread_units,
                (unsigned long long)at_open.peak_bytes, (unsigned long long)at_open.budget_bytes);
    CHECK(kv_ram <= stay * unit_bytes);
    CHECK(kv_ram * 4 < eager_resident);
    CHECK(at_open.peak_bytes <= at_open.budget_bytes);
    // host units in RAM: only those of the last block, which is not whole in the store
    CHECK(at_open.resident_bytes <= stay * unit_bytes);
    CHECK(finishes_like_reference(s));
    const ResidencyStats st = s.residency();
    std::printf("share %.2f: %lld rows read back, %lld of them from the spill, %lld store blocks; %lld units "
                "written to the spill\n", share, (long long)st.misses, (long long)st.spill_reads,
                (long long)st.store_reads, (long long)st.spill_writes);
    std::printf("share %.2f: indexes paged: %s, %llu bytes of records cached; %lld records read, %lld written "
                "back, %lld hits; budget %llu of the host tier's %llu\n",
                share, st.indexes_paged ? "yes" : "no", (unsigned long long)st.index_cache_bytes,
                (long long)st.index_reads, (long long)st.index_writebacks, (long long)st.index_hits,
                (unsigned long long)st.budget_bytes, (unsigned long long)unlimited);
    CHECK(st.misses > 0);
    CHECK(st.spill_writes > 0);  // blocks read on demand went to the spill, and rows were read back from it
    CHECK(st.spill_reads > 0);
    CHECK(st.peak_bytes <= st.budget_bytes);
    CHECK(st.budget_bytes * 2 <= unlimited + unlimited / 50);  // (the host tier grew a little while decoding)
    CHECK(st.indexes_paged);
    CHECK(st.index_reads > 0);
    CHECK(st.index_writebacks > 0 || share > 0.4);  // the smaller cache writes changed records back
    CHECK(st.budget_bytes < fixed);                  // below the resident indexes alone
  }
  {  // below what stays in RAM: refused, with a clear error
    SessionOptions o = options();
    o.ram_budget_frac = 0.1;
    Session s(*f.model, o);
    CHECK_THROWS_CODE(s.attach_store(open_store(s, copy_of_stored(dir, "run.kv"))), "BUDGET_TOO_SMALL");
  }
}

TEST(flushes_under_a_budget_write_what_an_unlimited_run_writes) {
  skip_without_vocab();
  Fixture& f = fixture();
  TempDir dir;
  // flushes far apart and not on block edges: a block is committed in parts,
  // and the rows of its committed part leave the window before the next flush
  constexpr int64_t kEnd = kDoc + kQuestion + kDecode, kEvery = 97;
  const std::string a = copy_of_stored(dir, "a.kv"), b = copy_of_stored(dir, "b.kv");
  std::vector<float> last_a, last_b;
  uint64_t unlimited = 0, fixed = 0;
  {
    SessionOptions o = options();
    o.ram_budget_frac = 1.0;
    Session s(*f.model, o);
    s.attach_store(open_store(s, a));
    s.truncate(kDoc + kQuestion);
    std::vector<int32_t> seq = f.seq;
    run_work(s, seq, kEnd, kEvery);
    last_a = probe(s);
    unlimited = s.residency().budget_bytes;
    fixed = s.residency().fixed_bytes;
  }
  {
    SessionOptions o = options();
    o.ram_budget_frac = 0.35;  // of the host tier: indexes paged, rows and records evicted
    Session s(*f.model, o);
    s.attach_store(open_store(s, b));
    s.truncate(kDoc + kQuestion);
    std::vector<int32_t> seq = f.seq;
    run_work(s, seq, kEnd, kEvery);
    last_b = probe(s);
    const ResidencyStats st = s.residency();
    CHECK(st.evictions > 0);
    CHECK(st.indexes_paged);
    CHECK(st.index_evictions > 0);
    CHECK(st.peak_bytes <= st.budget_bytes);
    CHECK(st.budget_bytes < fixed);  // below the resident indexes alone
    CHECK(unlimited > fixed);
  }
  CHECK(same(last_a, f.last));
  CHECK(same(last_b, f.last));
  CHECK(kv_contents(a) == kv_contents(b));
}

TEST(a_block_damaged_after_a_lazy_reopen_is_reported_and_resumed_from) {
  skip_without_vocab();
  Fixture& f = fixture();
  TempDir dir;
  const std::string path = copy_of_stored(dir, "d.kv");
  // block 24 ([3072, 3200)): past the build point (3000) and before the next
  // window (3249), so the lazy reopen leaves it in the store; the first step
  // inserts its keys into the index, reading it
  {
    SqliteDb db(path, false);
    db.exec("UPDATE kv SET k = substr(k, 1, 99) || x'00' || substr(k, 101) WHERE layer = 1 AND head = 0 AND block = 24");
  }
  SessionOptions o = options();
  o.ram_budget_frac = 0.85;  // of the host tier, indexes included
  {
    Session s(*f.model, o);
    CHECK_EQ(s.attach_store(open_store(s, path)), kStoppedAt);
    CHECK_THROWS_CODE(s.eval({f.seq[size_t(kStoppedAt)]}), "STORE_CORRUPT");
    CHECK_THROWS_CODE(s.eval({42}), "STORE_CORRUPT");  // the session no longer uses the store
    CHECK_THROWS_CODE(s.flush_store(), "STORE_CORRUPT");
    CHECK_EQ(s.n_past(), kStoppedAt);
  }
  {  // cut back to the damaged block; the indexes (built at 3000) kept
    Session s(*f.model, o);
    CHECK_EQ(s.attach_store(open_store(s, path)), 24 * kStoreBlockTokens);
    CHECK(s.sparse_active());
    CHECK(finishes_like_reference(s));
  }
  // a block of the indexed keys damaged: the lazy reopen reads it, falls back
  // to the full read, which ends the prefix there; the queries are gone, so
  // the document is read again
  {
    SqliteDb db(path, false);
    db.exec("UPDATE kv SET crc = crc + 1 WHERE layer = 0 AND head = 1 AND block = 3");
  }
  Session s(*f.model, o);
  CHECK_EQ(s.attach_store(open_store(s, path)), 0);
  CHECK(finishes_like_reference(s));
}

TEST(a_layer_major_prefill_is_bit_identical_to_token_major) {
  skip_without_vocab();
  Fixture& f = fixture();
  TempDir dir;
  const std::vector<int32_t> doc(f.seq.begin(), f.seq.begin() + kDoc);
  const std::vector<int32_t> question(f.seq.begin() + kDoc, f.seq.begin() + kDoc + kQuestion);
  for (AttentionMode mode : {AttentionMode::RETRIEVAL, AttentionMode::FULL}) {
    // (at 40% the indexes go out of RAM as each layer's are built, and stay out)
    for (double frac : {0.0, 0.9, 0.4}) {
      if (mode == AttentionMode::FULL && frac > 0) continue;  // no budget in force in full attention
      SessionOptions o = options();
      o.retrieval.mode = mode;
      const std::string a = dir.file("a.kv"), b = dir.file("b.kv");
      std::filesystem::remove(a);
      std::filesystem::remove(b);
      std::vector<float> la, lb, qa, qb;
      uint64_t peak_a = 0;
      {  // token-major: the document, then its index
        Session s(*f.model, o);
        s.attach_store(open_store(s, a));
        la = s.prefill(doc);
        peak_a = s.kv().resident_bytes();
        s.build_index();
        qa = s.eval(question);
      }
      o.ram_budget_frac = frac;
      {
        Session s(*f.model, o);
        s.attach_store(open_store(s, b));
        // half of it the old way, the rest layer-major (a resumed document)
        s.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + 1000));
        lb = s.prefill_document(std::vector<int32_t>(doc.begin() + 1000, doc.end()));
        CHECK_EQ(s.sparse_active(), mode != AttentionMode::FULL);
        const uint64_t peak = s.layer_major_peak_kv_bytes();
        std::printf("%s budget %.2f: cache in RAM during prefill: token-major %llu, layer-major peak %llu bytes\n",
                    mode == AttentionMode::FULL ? "full" : "retrieval", frac, (unsigned long long)peak_a,
                    (unsigned long long)peak);
        if (frac > 0) {
          // at most one layer's rows of the whole context, plus the other layers'
          // rows of the part prefilled before (in RAM until the index exists),
          // plus what stays of the rest (sinks, window, last block: 8 units)
          const HParams& hp = f.model->hparams();
          const uint64_t row = 2 * uint64_t(hp.n_head_kv) * hp.head_dim * 2;
          CHECK(peak <= row * (kDoc + 1000 * uint64_t(hp.n_layer - 1) + 8 * 32 * uint64_t(hp.n_layer)));
          CHECK(peak < peak_a * 3 / 4);
          const ResidencyStats st = s.residency();
          CHECK(st.unread_units > 0);
          CHECK(st.resident_bytes + st.fixed_bytes <= st.budget_bytes);
          CHECK(st.indexes_paged == (frac < 0.5));
        }
        qb = s.eval(question);
      }
      CHECK(same(la, lb));
      CHECK(same(qa, qb));
      CHECK(store_contents(a) == store_contents(b));
    }
  }
  // and the whole work from a layer-major document, under a budget, reopened midway
  SessionOptions o = options();
  o.ram_budget_frac = 0.9;
  Session s(*f.model, o);
  s.attach_store(open_store(s, dir.file("w.kv")));
  CHECK(finishes_like_reference(s, true));
}

TEST(sigkill_during_a_layer_major_prefill_never_serves_a_wrong_context) {
  skip_without_vocab();
  Fixture& f = fixture();
  SessionOptions o = options();
  o.ram_budget_frac = 0.9;
  const std::vector<int32_t> doc(f.seq.begin(), f.seq.begin() + kDoc);
  TempDir timing;
  auto t0 = std::chrono::steady_clock::now();
  CHECK_EQ(store_test::run_child([&] {
             Session s(*f.model, o);
             s.attach_store(open_store(s, timing.file("t.kv")));
             s.prefill_document(doc);
             return 0;
           }),
           0);
  const double total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  int resumed = 0;
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    TempDir dir;
    const std::string path = dir.file("k.kv");
    std::mt19937 g(seed);
    if (seed % 2 == 0) {  // a committed first part, then the layer-major rest killed
      Session s(*f.model, o);
      s.attach_store(open_store(s, path));
      s.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + 700));
    }
    const double at_ms = std::uniform_real_distribution<double>(0.0, 1.1 * total_ms)(g);
    const pid_t pid = fork();
    if (pid == 0) {
      Session s(*f.model, o);
      s.attach_store(open_store(s, path));
      s.prefill_document(std::vector<int32_t>(doc.begin() + s.n_past(), doc.end()));
      _exit(0);
    }
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(at_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    Session s(*f.model, o);
    const int64_t n = s.attach_store(open_store(s, path));
    CHECK(n == 0 || n == 700 || n == kDoc);  // the last commit: nothing torn
    resumed += n > 0;
    CHECK(std::equal(s.tokens().begin(), s.tokens().end(), f.seq.begin()));
    CHECK(finishes_like_reference(s, seed % 3 != 0));
  }
  std::printf("%d of 8 resumed from a commit\n", resumed);
}

namespace {

// What a session holds of its first n positions: tokens, every K/V row, the
// captured queries of every (layer, KV head), whether it is indexed.
std::string session_state(const Session& s) {
  const HParams& hp = s.model().hparams();
  std::string out = std::to_string(s.n_past()) + "|" + std::to_string(s.sparse_active()) + "|" +
                    std::to_string(s.index_bytes()) + "|";
  out.append(reinterpret_cast<const char*>(s.tokens().data()), s.tokens().size() * 4);
  for (int l = 0; l < hp.n_layer; ++l)
    for (int g = 0; g < hp.n_head_kv; ++g) {
      const size_t bytes = size_t(s.n_past()) * size_t(hp.head_dim) * 2;
      out.append(reinterpret_cast<const char*>(s.kv().k(l, g)), bytes);
      out.append(reinterpret_cast<const char*>(s.kv().v(l, g)), bytes);
      std::vector<float> k, q;
      s.export_qk(l, g, k, q);
      out += "|" + std::to_string(q.size()) + "|";
      out.append(reinterpret_cast<const char*>(q.data()), q.size() * 4);
    }
  return out;
}

}  // namespace

TEST(a_cancelled_layer_major_prefill_leaves_everything_as_before_and_runs_again_identically) {
  skip_without_vocab();
  Fixture& f = fixture();
  TempDir dir;
  const std::vector<int32_t> doc(f.seq.begin(), f.seq.begin() + kDoc);
  const std::vector<int32_t> question(f.seq.begin() + kDoc, f.seq.begin() + kDoc + kQuestion);
  const int L = f.model->hparams().n_layer;
  for (double frac : {0.0, 0.9}) {
    for (int64_t n0 : {int64_t(0), int64_t(1000)}) {
      SessionOptions o = options();
      o.ram_budget_frac = frac;
      const int64_t n = kDoc - n0, chunks = (n + o.n_batch - 1) / o.n_batch;
      const std::vector<int32_t> rest(doc.begin() + n0, doc.end());
      auto start = [&](Session& s, const std::string& path) {
        s.attach_store(open_store(s, path));
        if (n0 > 0) s.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + n0));
      };
      // the uninterrupted run, and its progress
      const std::string ref = dir.file("ref.kv");
      std::filesystem::remove(ref);
      std::vector<float> lr, qr;
      std::vector<std::pair<int64_t, int64_t>> ticks;
      {
        Session s(*f.model, o);
        start(s, ref);
        PrefillControl ctl;
        ctl.progress = [&](int64_t done, int64_t total) { ticks.emplace_back(done, total); };
        lr = s.prefill_document(rest, ctl);
        qr = s.eval(question);
      }
      CHECK_EQ(int64_t(ticks.size()), L * chunks);  // one per (layer, chunk)
      for (size_t i = 0; i < ticks.size(); ++i) {
        CHECK_EQ(ticks[i].second, n * L);
        CHECK(ticks[i].first > (i ? ticks[i - 1].first : 0));
      }
      CHECK_EQ(ticks.back().first, n * L);
      // cancelled at the start, in layer 0, at the end of layer 0 (indexes built,
      // rows released), in the last layer, after its last chunk but one
      for (size_t stop_after : {size_t(0), size_t(1), size_t(chunks), size_t(chunks + 3), ticks.size() - 1}) {
        const std::string path = dir.file("c.kv");
        std::filesystem::remove(path);
        Session s(*f.model, o);
        start(s, path);
        s.flush_store();
        const std::string before = session_state(s), stored_before = store_contents(path);
        std::atomic<bool> stop{stop_after == 0};
        size_t seen = 0;
        PrefillControl ctl;
        ctl.cancel = &stop;
        ctl.progress = [&](int64_t, int64_t) {
          if (++seen == stop_after) stop = true;
        };
        CHECK_THROWS_CODE(s.prefill_document(rest, ctl), "CANCELLED");
        CHECK_EQ(seen, stop_after);
        CHECK(session_state(s) == before);
        CHECK(store_contents(path) == stored_before);
        CHECK(s.residency().resident_bytes == 0);  // no budget in force yet
        // the same prefill again: the uninterrupted run's logits, store and answer
        CHECK(same(s.prefill_document(rest), lr));
        CHECK(same(s.eval(question), qr));
        CHECK(store_contents(path) == store_contents(ref));
      }
      {  // a store reopened after a cancel resumes from the commit before it
        const std::string path = dir.file("r.kv");
        std::filesystem::remove(path);
        {
          Session s(*f.model, o);
          start(s, path);
          std::atomic<bool> stop{false};
          size_t seen = 0;
          PrefillControl ctl;
          ctl.cancel = &stop;
          ctl.progress = [&](int64_t, int64_t) { stop = ++seen == size_t(chunks + 2); };
          CHECK_THROWS_CODE(s.prefill_document(rest, ctl), "CANCELLED");
        }
        Session s(*f.model, o);
        CHECK_EQ(s.attach_store(open_store(s, path)), n0);
        CHECK(same(s.prefill_document(rest), lr));
        CHECK(same(s.eval(question), qr));
        CHECK(store_contents(path) == store_contents(ref));
      }
    }
  }
}

TEST(a_cancelled_prefill_without_a_store_truncates_back) {
  skip_without_vocab();
  Fixture& f = fixture();
  const std::vector<int32_t> doc(f.seq.begin(), f.seq.begin() + kDoc);
  const std::vector<int32_t> rest(doc.begin() + 500, doc.end());
  const int64_t L = f.model->hparams().n_layer, n = int64_t(rest.size());
  std::vector<float> lr;
  {
    Session s(*f.model, options());
    s.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + 500));
    lr = s.prefill_document(rest);
    CHECK(s.sparse_active());
  }
  Session s(*f.model, options());
  s.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + 500));
  const std::string before = session_state(s);
  std::atomic<bool> stop{false};
  std::vector<int64_t> done, totals;
  PrefillControl ctl;
  ctl.cancel = &stop;
  ctl.progress = [&](int64_t d, int64_t total) {
    done.push_back(d);
    totals.push_back(total);
    stop = done.size() == 10;
  };
  CHECK_THROWS_CODE(s.prefill_document(rest, ctl), "CANCELLED");
  CHECK(session_state(s) == before);
  done.clear();
  ctl.cancel = nullptr;
  CHECK(same(s.prefill_document(rest, ctl), lr));
  CHECK(s.sparse_active());
  CHECK_EQ(done.back(), n * L);
  CHECK(std::adjacent_find(done.begin(), done.end(), std::greater_equal<int64_t>()) == done.end());  // rising
  CHECK(std::all_of(totals.begin(), totals.end(), [&](int64_t t) { return t == n * L; }));
}

TOME_TEST_MAIN()
