// The prefill queries of a read with a KV store live in the store, not in RAM,
// until the index build (Session::spill_persisted_queries), on a real model
// (stories260K) in retrieval mode with full_below: a short book stays on full
// attention and its conversation then outgrows full_below, as in the app.
//   - after the read, a session with a store holds no query rows in RAM (one
//     without holds them all), exports the same rows, and once the context
//     outgrows full_below builds the same indexes: the same logits, bit for bit;
//   - a truncate inside a committed query chunk keeps the store's rows below the
//     cut: the read goes on from there, and a reopened store resumes at the cut
//     (before, at the chunk's start), both finishing like the store-less session;
//   - a damaged query chunk: the reopened read resumes from that chunk; stored
//     queries gone before the build fail it (STORE_CORRUPT) and end the
//     session's use of the store.
#include <cstdio>
#include <memory>
#include <random>
#include <string>
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

void skip_without_data() { session_work::skip_without_stories(); }
Model& model() { return session_work::stories(); }

// The book (300 tokens) is read in chunks of 64, each committed with its query
// rows; full_below 400 keeps it on full attention until a later prompt brings
// the context to 530 (450 keys past the static set).
constexpr int64_t kBook = 300, kCut = 171, kEnd = 560;

SessionOptions options() {
  SessionOptions o = session_work::small_retrieval();
  o.retrieval.full_below = 400;
  return o;
}

const std::vector<int32_t>& tokens() {
  static const std::vector<int32_t> t = [] {
    std::mt19937 g(11);
    std::vector<int32_t> v(size_t(kEnd), 0);
    v[0] = 1;
    for (size_t i = 1; i < v.size(); ++i) v[i] = int32_t(3 + g() % uint32_t(model().hparams().n_vocab - 3));
    return v;
  }();
  return t;
}

std::vector<int32_t> span(int64_t from, int64_t to) {
  return std::vector<int32_t>(tokens().begin() + from, tokens().begin() + to);
}

// From wherever s stands after the book: a question, an answer, a long second
// prompt (the build comes with the answer's first token), an answer; the logits
// of one more token.
std::vector<float> converse(Session& s) {
  s.eval(span(kBook, 312));
  for (int64_t p = 312; p < 330; ++p) s.eval(span(p, p + 1));
  s.flush_store();
  CHECK(!s.sparse_active());
  s.eval(span(330, 530));
  for (int64_t p = 530; p < kEnd; ++p) s.eval(span(p, p + 1));
  CHECK(s.sparse_active());
  return session_work::probe(s);
}

std::vector<std::vector<float>> captured(const Session& s) { return session_work::captured_queries(s); }

const std::vector<float>& reference() {
  static const std::vector<float> last = [] {
    Session r(model(), options());
    r.prefill(span(0, kBook));
    return converse(r);
  }();
  return last;
}

std::unique_ptr<KvStore> open_store(const Session& s, const std::string& path) {
  return KvStore::open(path, s.store_identity());
}

// A session with a store at path, which has read the book's first `end` tokens into it.
std::unique_ptr<Session> reading_into(const std::string& path, int64_t end) {
  auto s = std::make_unique<Session>(model(), options());
  s->attach_store(open_store(*s, path));
  s->prefill(span(0, end));
  return s;
}

// A session reopening the store at path, which gives back `restored` positions; it reads the
// rest of the book and converses. True when it ends like the store-less reference.
bool resumes_like_reference(const std::string& path, int64_t restored) {
  Session s(model(), options());
  CHECK_EQ(s.attach_store(open_store(s, path)), restored);
  CHECK_EQ(s.query_ram_bytes(), size_t(0));
  s.prefill(span(restored, kBook));
  return session_work::same(converse(s), reference());
}

}  // namespace

TEST(a_read_with_a_store_keeps_its_queries_there_and_builds_the_same_indexes) {
  skip_without_data();
  Session plain(model(), options());
  plain.prefill(span(0, kBook));
  CHECK(plain.query_ram_bytes() > 0);
  TempDir dir;
  const auto read = reading_into(dir.file("b.kv"), kBook);
  Session& s = *read;
  CHECK(!s.sparse_active());
  CHECK_EQ(s.query_ram_bytes(), size_t(0));
  CHECK(s.host_ram_bytes() + plain.query_ram_bytes() == plain.host_ram_bytes());
  CHECK(captured(s) == captured(plain));
  CHECK(session_work::same(converse(s), reference()));
  CHECK_EQ(s.query_ram_bytes(), size_t(0));  // built: none kept anywhere
}

TEST(a_truncate_inside_a_committed_chunk_keeps_the_stores_rows_below_it) {
  skip_without_data();
  // the store-less session cut and read again the same way
  Session plain(model(), options());
  plain.prefill(span(0, kBook));
  plain.truncate(kCut);
  const std::vector<std::vector<float>> cut_rows = captured(plain);
  plain.prefill(span(kCut, kBook));
  const std::vector<float> plain_last = converse(plain);
  CHECK(session_work::same(plain_last, reference()));

  TempDir dir;
  const std::string path = dir.file("t.kv");
  {
    const auto read = reading_into(path, kBook);
    Session& s = *read;
    s.truncate(kCut);  // inside the chunk [128, 192)
    CHECK_EQ(s.query_ram_bytes(), size_t(0));
    CHECK(captured(s) == cut_rows);  // those of [128, 171) from the store's cut chunk
    s.prefill(span(kCut, kBook));
    CHECK(session_work::same(converse(s), plain_last));
  }
  // reopened right after such a cut: resumed at the cut, nothing read again
  const std::string cut_path = dir.file("c.kv");
  reading_into(cut_path, kBook)->truncate(kCut);
  Session s(model(), options());
  CHECK_EQ(s.attach_store(open_store(s, cut_path)), kCut);
  CHECK(captured(s) == cut_rows);
  s.prefill(span(kCut, kBook));
  CHECK(session_work::same(converse(s), plain_last));
}

TEST(a_damaged_query_chunk_resumes_the_read_from_that_chunk) {
  skip_without_data();
  TempDir dir;
  const std::string path = dir.file("d.kv");
  reading_into(path, kBook);
  {
    SqliteDb db(path, false);
    db.exec("UPDATE queries SET data = x'0102' || substr(data, 3) WHERE layer = 1 AND head = 0 AND pos0 = 128");
  }
  CHECK(resumes_like_reference(path, 128));
}

TEST(stored_queries_gone_before_the_build_end_the_sessions_use_of_the_store) {
  skip_without_data();
  TempDir dir;
  const std::string path = dir.file("g.kv");
  {
    const auto read = reading_into(path, 530);  // committed chunk by chunk, its queries spilled; no build yet
    Session& s = *read;
    CHECK(s.index_build_due());
    // what a disk that lost the file's tail would leave: the store holds less than the session
    // spilled (the store's own API, as the file is the session's alone while it holds it)
    s.store()->truncate(128);
    CHECK_THROWS_CODE(s.build_index(), "STORE_CORRUPT");
    CHECK(!s.sparse_active());
    // it no longer uses the store: not even a cut back, after which a full-attention read and
    // a later build would have found the built layers' queries gone
    CHECK_THROWS_CODE(s.truncate(300), "STORE_CORRUPT");
    CHECK_THROWS_CODE(s.eval(span(530, 531)), "STORE_CORRUPT");
    CHECK_EQ(s.n_past(), 530);
  }
  // reopened: the intact prefix, then the rest read again
  CHECK(resumes_like_reference(path, 128));
}

TOME_TEST_MAIN()
