// A session's KV store under a RAM budget of 10% of the host tier: the graph
// indexes' keys and adjacency are paged out and, as their int8 navigation
// codes no longer fit beside the K/V rows a step needs, the codes too
// (nav_codes.h); decoding after a reopen stays bit-identical to an unlimited
// run. What stays in RAM whatever the budget (anchor queries, degrees, the
// residency's and the spills' tables) is a fixed cost per index and per
// position: ~7% of a 32K-token context's host tier, ~30% of a 3K one's
// (test_session_budget's), so this test reads a 32K-token document.
#include <cstring>
#include <filesystem>
#include <memory>
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
using session_work::same;
using session_work::skip_without_vocab;

namespace {

constexpr int64_t kDoc = 32000, kQuestion = 12, kDecode = 120, kFlushEvery = 5;
constexpr int64_t kStoppedAt = kDoc + kQuestion + 60;  // where the stored conversation stopped
constexpr int64_t kEnd = kDoc + kQuestion + kDecode;

SessionOptions options() {
  SessionOptions o;
  o.n_ctx = kEnd + 64;
  o.n_threads = 2;
  o.n_batch = 256;
  o.retrieval.mode = AttentionMode::RETRIEVAL;
  o.retrieval.sinks = 16;
  o.retrieval.window = 64;
  o.retrieval.top_k = 8;
  return o;
}

void run_work(Session& s, std::vector<int32_t>& seq, int64_t end) {
  session_work::run(s, seq, {kDoc, kQuestion, end, kFlushEvery, false});
}

}  // namespace

TEST(a_reopen_at_a_tenth_of_the_host_tier_pages_the_codes_and_decodes_bit_identically) {
  skip_without_vocab();
  TempDir dir;
  const auto model = session_work::tiny_model(dir.file("tiny.gguf"), "llama", 7);  // 2 layers, 4 heads of 64, 2 KV heads
  std::mt19937 g(42);
  std::vector<int32_t> seq(size_t(kDoc + kQuestion));
  seq[0] = 1;
  for (size_t i = 1; i < seq.size(); ++i) seq[i] = int32_t(3 + g() % uint32_t(model->hparams().n_vocab - 3));

  // the store of the conversation stopped at kStoppedAt; then the same
  // session, store detached by its end, goes on to the end: the reference
  const std::string stored = dir.file("stored.kv");
  std::vector<float> last;
  {
    Session s(*model, options());
    s.attach_store(KvStore::open(stored, s.store_identity()));
    run_work(s, seq, kStoppedAt);
  }
  {
    Session s(*model, options());
    std::vector<int32_t> ref = seq;
    run_work(s, ref, kEnd);
    last = session_work::probe(s);
    seq = ref;
  }
  auto finishes_like_reference = [&](Session& s) {
    std::vector<int32_t> copy = seq;
    run_work(s, copy, kEnd);
    return same(session_work::probe(s), last);
  };
  auto copy_of_stored = [&](const char* name) {
    const std::string p = dir.file(name);
    std::filesystem::copy_file(stored, p, std::filesystem::copy_options::overwrite_existing);
    return p;
  };

  // a session under a budget of `frac` of the host tier, over a fresh copy of the store
  auto session_at = [&](double frac) {
    SessionOptions o = options();
    o.ram_budget_frac = frac;
    return std::make_unique<Session>(*model, o);
  };
  uint64_t unlimited = 0;
  {  // budget = 100%: lazy, nothing paged
    auto sp = session_at(1.0);
    Session& s = *sp;
    CHECK_EQ(s.attach_store(KvStore::open(copy_of_stored("full.kv"), s.store_identity())), kStoppedAt);
    CHECK(finishes_like_reference(s));
    const ResidencyStats st = s.residency();
    CHECK(!st.indexes_paged);
    CHECK(!st.codes_paged);
    unlimited = st.budget_bytes;
  }
  {
    auto sp = session_at(0.1);
    Session& s = *sp;
    CHECK_EQ(s.attach_store(KvStore::open(copy_of_stored("tenth.kv"), s.store_identity())), kStoppedAt);
    CHECK(finishes_like_reference(s));
    const ResidencyStats st = s.residency();
    std::printf("10%%: budget %llu of the host tier's %llu; indexes and codes %llu (caches %llu); %lld records "
                "read, %lld code rows read, %lld code hits; %lld K/V rows read back\n",
                (unsigned long long)st.budget_bytes, (unsigned long long)unlimited,
                (unsigned long long)st.fixed_bytes, (unsigned long long)st.index_cache_bytes,
                (long long)st.index_reads, (long long)st.code_reads, (long long)st.code_hits, (long long)st.misses);
    CHECK(st.indexes_paged);
    CHECK(st.codes_paged);
    CHECK(st.code_reads > 0);
    CHECK(st.index_reads > 0);
    CHECK(st.misses > 0);
    CHECK(st.peak_bytes <= st.budget_bytes);
    CHECK(st.budget_bytes * 10 <= unlimited + unlimited / 50);  // (the host tier grew a little while decoding)
  }
  {  // a tenth of that is below what stays in RAM: refused, with a clear error
    auto sp = session_at(0.01);
    CHECK_THROWS_CODE(sp->attach_store(KvStore::open(copy_of_stored("hundredth.kv"), sp->store_identity())),
                      "BUDGET_TOO_SMALL");
  }
}

TOME_TEST_MAIN()
