// Which prefill positions keep their queries (model/query_sample.h), and a
// session whose read keeps a level's positions, on a real model (stories260K):
//   - the planned level keeps at least the rows asked for, and the next level
//     fewer; a 128K read on an 8B model's shape keeps a fraction of its sample;
//   - levels nest (a higher level keeps a subset);
//   - seal_prefix plans the level from the document's length, and not where a
//     level was given or the store already holds an index kind;
//   - the rows captured are exactly the kept positions' (also after a
//     truncate), the store holds the same, and a session reopening it (asking
//     for no level) adopts the level and finishes bit-identically to a session
//     that never stopped; so does a read layer by layer.
#include <cstdio>
#include <random>
#include <vector>

#include "../kvstore/store_test_util.h"
#include "cpu/quant.h"
#include "kvstore/sqlite_db.h"
#include "model/model.h"
#include "model/query_sample.h"
#include "model/session.h"
#include "session_work.h"
#include "test_harness.h"

using namespace tome;
using store_test::TempDir;

namespace {

void skip_without_data() { session_work::skip_without_stories(); }

constexpr int64_t kDoc = 700, kQuestion = 12, kDecode = 40;
constexpr int kLevel = 9;  // (15/16)^9: ~56% of the sampled positions

SessionOptions options(int level) {
  SessionOptions o = session_work::small_retrieval();
  o.retrieval.query_level = level;
  return o;
}

std::vector<int32_t> document(int n_vocab, int64_t n) {
  std::mt19937 g(7);
  std::vector<int32_t> t(static_cast<size_t>(n), 0);
  t[0] = 1;
  for (size_t i = 1; i < t.size(); ++i) t[i] = int32_t(3 + g() % uint32_t(n_vocab - 3));
  return t;
}

Model& model() { return session_work::stories(); }

const session_work::Shape kWork{kDoc, kQuestion, kDoc + kQuestion + kDecode, 5};

std::vector<std::vector<float>> captured(const Session& s) { return session_work::captured_queries(s); }

}  // namespace

TEST(the_planned_level_keeps_what_the_build_uses_and_no_more_levels) {
  // an 8B model's shape at 128K tokens: 25% of the positions, 4 query heads a group
  const int64_t n = 131072, stride = 4, gqa = 4;
  const int64_t wanted = training_queries_wanted(n - 640);
  CHECK_EQ(wanted, 32768);
  const int J = query_level_for(n, stride, gqa, wanted + wanted / 8);
  CHECK(J > 0);
  const int64_t kept = count_kept_positions(n, stride, J) * gqa;
  CHECK(kept >= wanted + wanted / 8);
  CHECK(count_kept_positions(n, stride, J + 1) * gqa < wanted + wanted / 8);
  CHECK(kept * 3 < n);  // under a third of the 131072 rows every sampled position gives
  // a 4K read on the smol shape (3 query heads a group) keeps every sampled position
  CHECK_EQ(query_level_for(4096, 4, 3, training_queries_wanted(4096 - 640) * 9 / 8), 0);
  // levels nest
  const uint64_t t5 = query_threshold(5), t6 = query_threshold(6);
  CHECK(t6 < t5);
  for (int64_t p = 0; p < 20000; p += 4)
    if (query_position_kept(p, 4, t6)) CHECK(query_position_kept(p, 4, t5));
  CHECK_EQ(count_kept_positions(20000, 4, 0), 5000);
}

TEST(seal_plans_the_level_from_the_document_length) {
  skip_without_data();
  SessionOptions o = options(0);
  o.n_ctx = 8192;
  o.retrieval.query_sample = 1;
  Session s(model(), o);
  s.seal_prefix(6000);
  const int64_t wanted = training_queries_wanted(6000 - 64 - 16);
  const int J = s.retrieval().query_level;
  CHECK(J > 0);
  CHECK_EQ(J, query_level_for(6000, 1, model().hparams().n_gqa(), wanted + wanted / 8));
  const std::vector<int32_t> doc = document(model().hparams().n_vocab, 6000);
  s.prefill(doc);
  const size_t hd = size_t(model().hparams().head_dim);
  const int64_t rows = count_kept_positions(6000, 1, J) * model().hparams().n_gqa();
  CHECK(rows >= wanted && rows < 6000 * model().hparams().n_gqa());
  for (const std::vector<float>& q : captured(s)) CHECK_EQ(q.size(), size_t(rows) * hd);
  // a level given in the options is not planned over
  SessionOptions with_level = o;
  with_level.retrieval.query_level = 2;
  Session given(model(), with_level);
  given.seal_prefix(6000);
  CHECK_EQ(given.retrieval().query_level, 2);
  // nor is a store's index kind: a reopened read keeps the level it was read at
  TempDir dir;
  {
    Session a(model(), o);
    a.attach_store(KvStore::open(dir.file("k.kv"), a.store_identity()));
    a.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + 300));
    CHECK_EQ(a.retrieval().query_level, 0);
    // (cut to 0, the store still names its kind: the read again keeps its queries there)
    a.truncate(0);
    a.seal_prefix(6000);
    CHECK_EQ(a.retrieval().query_level, 0);
    a.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + 300));
    std::vector<uint16_t> rows;
    CHECK_EQ(a.store()->read_queries(0, 0, 300, model().hparams().n_gqa(), rows), 300);
  }
  // (a session whose level was planned for another read adopts the store's)
  Session b(model(), o);
  b.seal_prefix(6000);
  CHECK(b.retrieval().query_level > 0);
  CHECK_EQ(b.attach_store(KvStore::open(dir.file("k.kv"), b.store_identity())), 300);
  CHECK_EQ(b.retrieval().query_level, 0);
  b.seal_prefix(6000);
  CHECK_EQ(b.retrieval().query_level, 0);
}

TEST(a_thinned_read_resumed_from_its_store_is_identical) {
  skip_without_data();
  const std::vector<int32_t> doc = document(model().hparams().n_vocab, kDoc + kQuestion);
  // the reference: in RAM, never stopped
  std::vector<int32_t> ref_seq = doc;
  Session ref(model(), options(kLevel));
  session_work::run(ref, ref_seq, kWork);
  const std::vector<float> ref_last = session_work::probe(ref);

  // captured rows: exactly the kept positions', also after a truncate
  const size_t hd = size_t(model().hparams().head_dim), gqa = size_t(model().hparams().n_gqa());
  const int64_t stride = 4;  // query_sample 0.25
  Session cut(model(), options(kLevel));
  cut.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + 500));
  for (const std::vector<float>& q : captured(cut))
    CHECK_EQ(q.size(), size_t(count_kept_positions(500, stride, kLevel)) * gqa * hd);
  CHECK(count_kept_positions(500, stride, kLevel) < 125);
  cut.truncate(300);
  Session fresh(model(), options(kLevel));
  fresh.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + 300));
  CHECK(captured(cut) == captured(fresh));

  TempDir dir;
  {
    Session a(model(), options(kLevel));
    a.attach_store(KvStore::open(dir.file("t.kv"), a.store_identity()));
    a.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + 448));
    Session r(model(), options(kLevel));
    r.prefill(std::vector<int32_t>(doc.begin(), doc.begin() + 448));
    CHECK(captured(a) == captured(r));
    // the store holds the kept rows, no more
    std::vector<uint16_t> rows;
    CHECK_EQ(a.store()->read_queries(0, 0, 448, int64_t(gqa), rows), 448);
    CHECK_EQ(rows.size(), size_t(count_kept_positions(448, stride, kLevel)) * gqa * hd);
    // (the rows captured, bf16 in RAM and in the store)
    std::vector<float> stored(rows.size());
    dequantize_row(GgmlType::BF16, rows.data(), stored.data(), int64_t(rows.size()));
    CHECK(stored == captured(a)[0]);
  }
  // a session asking for no level adopts the store's, resumes and finishes like the reference
  Session b(model(), options(0));
  CHECK_EQ(b.attach_store(KvStore::open(dir.file("t.kv"), b.store_identity())), 448);
  CHECK_EQ(b.retrieval().query_level, kLevel);
  std::vector<int32_t> seq = ref_seq;
  session_work::run(b, seq, kWork);
  CHECK(session_work::same(session_work::probe(b), ref_last));

  // read layer by layer into a store (each layer's indexes built from its rows as it ends)
  Session c(model(), options(kLevel));
  c.attach_store(KvStore::open(dir.file("l.kv"), c.store_identity()));
  session_work::Shape layer_major = kWork;
  layer_major.layer_major = true;
  seq = ref_seq;
  session_work::run(c, seq, layer_major);
  CHECK(session_work::same(session_work::probe(c), ref_last));
}

TOME_TEST_MAIN()
