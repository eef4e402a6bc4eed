// gemma3's sliding-window layers with a KV store and no RAM budget: their rows
// before the window leave RAM once whole store blocks hold them (session.h,
// session_swa.cpp). On the tiny synthetic gemma3 (2 layers: layer 0 local with
// a window of 16, layer 1 global; heads of 128, 2 KV heads), in full and in
// retrieval mode:
//   - a conversation decodes bit for bit as without a store, while the cache
//     holds less by exactly the local layer's rows below its last window
//     (mincore: nothing reads a released row, or its page would be mapped again);
//   - a truncate back past released rows reads its window's rows back, and
//     decodes on as a session that never released them;
//   - a turn committed only at its end keeps its rows until the store has them;
//   - a reopen leaves those rows in the store, also when the store's intact
//     prefix ends before what it read (a damaged block of the global layer);
//   - a layer-major prefill releases as it goes, and one cancelled after the
//     local layer's release leaves the session as it was;
//   - under a RAM budget the residency drops them as soon as they are stored,
//     never to the spill, and counts the local layer at its window in the
//     unlimited host tier a budget fraction is of;
//   - a sealed document (seal_prefix) leaves only the window of its end in
//     the store, and everything above still holds: bit-for-bit decoding, a
//     reopen (eager, lazy, under a budget), a truncate to the seal, a
//     layer-major read (which never writes them); a truncate into the dropped
//     rows is refused, and a store cut below them by damage is read again from
//     the start; a store read before it was sealed drops them at once and
//     shrinks.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <random>
#include <sys/mman.h>
#include <unistd.h>

#include "../kvstore/store_test_util.h"
#include "kvstore/sqlite_db.h"
#include "model/model.h"
#include "model/session.h"
#include "session_work.h"
#include "test_harness.h"

using namespace tome;
using store_test::TempDir;
using session_work::same;
using session_work::skip_without_vocab;

namespace {

constexpr int64_t kDoc = 1500, kQuestion = 12, kEnd = 1900, kAfterTruncate = 1700, kWindow = 16;

SessionOptions options(AttentionMode mode) {
  SessionOptions o;
  o.n_ctx = 2048;
  o.n_threads = 2;
  o.n_batch = 64;
  o.retrieval.mode = mode;
  o.retrieval.sinks = 4;
  o.retrieval.window = 8;
  o.retrieval.top_k = 16;
  return o;
}

struct Reference {
  std::vector<int32_t> seq;             // doc + question + token 5 + greedy tokens to kEnd
  std::vector<uint64_t> steps;          // the logits of each of those decode steps (bits_of)
  std::vector<float> last;              // probe() at kEnd
  std::vector<int32_t> retold;          // seq cut to doc + question, then token 7 and greedy tokens to kAfterTruncate
  std::vector<uint64_t> retold_steps;
  std::vector<float> retold_last;       // probe() at kAfterTruncate
};

struct Fixture {
  TempDir dir;
  std::unique_ptr<Model> model;
  Reference full, retrieval;
  const Reference& of(AttentionMode m) const { return m == AttentionMode::FULL ? full : retrieval; }
};

session_work::Shape shape(int64_t end, bool layer_major = false) { return {kDoc, kQuestion, end, 5, layer_major}; }

// A fingerprint of a step's logits, bit for bit (FNV-1a over their bytes).
uint64_t bits_of(const std::vector<float>& logits) {
  uint64_t h = 1469598103934665603ull;
  const auto* p = reinterpret_cast<const unsigned char*>(logits.data());
  for (size_t i = 0; i < logits.size() * sizeof(float); ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

// The document and question of seq (session_work), then token by token to
// `end` (greedy past seq's end), committing every flush_every tokens and at
// the end; each step's logits. Every step is compared: a sparse decode reads
// a few rows of the past, so a wrong row can leave a later step's logits alone.
std::vector<uint64_t> converse(Session& s, std::vector<int32_t>& seq, int64_t end, bool layer_major = false,
                               int64_t flush_every = 5) {
  session_work::run(s, seq, shape(std::max(s.n_past(), kDoc + kQuestion), layer_major));
  std::vector<uint64_t> steps;
  std::vector<float> logits;
  while (s.n_past() < end) {
    const int64_t p = s.n_past();
    if (int64_t(seq.size()) <= p) seq.push_back(session_work::argmax(logits));
    logits = s.eval({seq[size_t(p)]});
    steps.push_back(bits_of(logits));
    if ((p + 1) % flush_every == 0) s.flush_store();
  }
  s.flush_store();
  return steps;
}

// Bytes of the KV cache in RAM holding positions [0, n) of every layer, less
// the local layer's (0) rows below the window of position n in whole store
// blocks (what a session with a store committed to n has released).
uint64_t kv_bytes_at(const HParams& hp, int64_t n, bool released) {
  const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE)), row = uint64_t(hp.head_dim) * sizeof(uint16_t);
  const uint64_t regions = 2 * uint64_t(hp.n_layer) * uint64_t(hp.n_head_kv);  // K and V of each (layer, KV head)
  const int64_t gone = std::max<int64_t>(0, (n + 1 - kWindow) / KvCache::kBlockRows * KvCache::kBlockRows);
  return regions * ((uint64_t(n) * row + page - 1) / page * page) -
         (released ? 2 * uint64_t(hp.n_head_kv) * uint64_t(gone) * row : 0);
}

// The conversation, then a truncate back to the question's end and another answer.
Reference reference(const Model& model, const std::vector<int32_t>& prompt, AttentionMode mode) {
  Reference r;
  r.seq = prompt;
  r.seq.push_back(5);
  Session s(model, options(mode));
  r.steps = converse(s, r.seq, kEnd);
  // every row in RAM (and nothing past n_past): the count the checks below rely on
  if (s.kv().resident_bytes() != kv_bytes_at(model.hparams(), kEnd, false))
    throw Error("TEST", "the cache without a store holds other pages than its rows'");
  r.last = session_work::probe(s);
  s.truncate(kDoc + kQuestion);
  r.retold.assign(r.seq.begin(), r.seq.begin() + kDoc + kQuestion);
  r.retold.push_back(7);
  r.retold_steps = converse(s, r.retold, kAfterTruncate);
  r.retold_last = session_work::probe(s);
  return r;
}

Fixture& fixture() {
  static Fixture x = [] {
    Fixture f;
    f.model = session_work::tiny_model(f.dir.file("gemma3.gguf"), "gemma3", 3);
    const HParams& hp = f.model->hparams();
    if (hp.n_swa != kWindow || !hp.is_swa(0) || hp.is_swa(1)) throw Error("TEST", "the tiny gemma3 shape changed");
    std::mt19937 g(11);
    std::vector<int32_t> prompt(size_t(kDoc + kQuestion));
    prompt[0] = 1;
    for (size_t i = 1; i < prompt.size(); ++i) prompt[i] = int32_t(3 + g() % uint32_t(hp.n_vocab - 3));
    f.full = reference(*f.model, prompt, AttentionMode::FULL);
    f.retrieval = reference(*f.model, prompt, AttentionMode::RETRIEVAL);
    return f;
  }();
  return x;
}

void attach(Session& s, const std::string& path) { s.attach_store(KvStore::open(path, s.store_identity())); }

// The conversation with a store, the truncate and the second answer; then a
// reopen of the store it leaves (at kAfterTruncate) answers the same.
void converse_with_a_store(AttentionMode mode) {
  skip_without_vocab();
  const Fixture& f = fixture();
  const Reference& ref = f.of(mode);
  const HParams& hp = f.model->hparams();
  TempDir dir;
  const std::string path = dir.file("kv");
  {
    Session s(*f.model, options(mode));
    attach(s, path);
    std::vector<int32_t> seq = ref.seq;
    CHECK(converse(s, seq, kEnd) == ref.steps);
    CHECK_EQ(s.kv().resident_bytes(), kv_bytes_at(hp, kEnd, true));
    // back to the question's end (1512), whose window's rows (from 1497) were released (below 1792)
    s.truncate(kDoc + kQuestion);
    std::vector<int32_t> retold = ref.retold;
    CHECK(converse(s, retold, kAfterTruncate) == ref.retold_steps);
    CHECK(same(session_work::probe(s), ref.retold_last));
  }
  Session s(*f.model, options(mode));
  attach(s, path);
  CHECK_EQ(s.n_past(), kAfterTruncate);
  CHECK_EQ(s.kv().resident_bytes(), kv_bytes_at(hp, kAfterTruncate, true));
  CHECK(same(session_work::probe(s), ref.retold_last));
}

}  // namespace

TEST(full_attention_with_a_store_releases_the_local_rows_and_decodes_bit_for_bit) {
  converse_with_a_store(AttentionMode::FULL);
}

TEST(retrieval_with_a_store_releases_the_local_rows_and_decodes_bit_for_bit) {
  converse_with_a_store(AttentionMode::RETRIEVAL);
}

// A turn of 388 tokens committed only at its end: its local rows stay in RAM
// until the store has them (an append writes them, and rewrites the store's
// last partial block, from RAM).
TEST(a_turn_committed_at_its_end_keeps_its_rows_until_then) {
  skip_without_vocab();
  const Fixture& f = fixture();
  const HParams& hp = f.model->hparams();
  TempDir dir;
  const std::string path = dir.file("kv");
  {
    Session s(*f.model, options(AttentionMode::FULL));
    attach(s, path);
    std::vector<int32_t> seq = f.full.seq;
    CHECK(converse(s, seq, kEnd, false, 1 << 20) == f.full.steps);
    CHECK_EQ(s.kv().resident_bytes(), kv_bytes_at(hp, kEnd, true));
  }
  Session s(*f.model, options(AttentionMode::FULL));
  attach(s, path);
  CHECK_EQ(s.n_past(), kEnd);
  CHECK(same(session_work::probe(s), f.full.last));
  s.truncate(kDoc + kQuestion);  // the rows of its window read back are the turn's, as written
  std::vector<int32_t> retold = f.full.retold;
  CHECK(converse(s, retold, kAfterTruncate) == f.full.retold_steps);
}

// A damaged block of the global layer ends the intact prefix at 1280, below
// the local rows the reopen left in the store (1664): it reads back those of
// the window at 1280 (from 1152) and decodes on as the reference. (The local
// layer, read before the damage was found, also got its rows 1664-1700:
// past the context, rewritten as it grows.)
TEST(a_reopen_cut_short_by_a_damaged_block_reads_back_its_window) {
  skip_without_vocab();
  const Fixture& f = fixture();
  const HParams& hp = f.model->hparams();
  TempDir dir;
  const std::string path = dir.file("kv");
  std::vector<int32_t> seq = f.full.seq;
  {
    Session s(*f.model, options(AttentionMode::FULL));
    attach(s, path);
    converse(s, seq, kEnd);
  }
  {
    SqliteDb db(path, false);
    db.exec("UPDATE kv SET crc = crc + 1 WHERE layer = 1 AND head = 0 AND block = 10");
  }
  Session s(*f.model, options(AttentionMode::FULL));
  attach(s, path);
  CHECK_EQ(s.n_past(), 10 * KvCache::kBlockRows);
  CHECK(converse(s, seq, kEnd) == f.full.steps);
  CHECK_EQ(s.kv().resident_bytes(), kv_bytes_at(hp, kEnd, true));
}

// A document read layer by layer in two calls (0-704, 704-1500); the second
// cancelled once the local layer's rows of it were released (in the global
// layer's chunks), then run again.
TEST(a_layer_major_prefill_releases_as_it_goes_and_a_cancel_undoes_it) {
  skip_without_vocab();
  const Fixture& f = fixture();
  const HParams& hp = f.model->hparams();
  TempDir dir;
  Session s(*f.model, options(AttentionMode::FULL));
  attach(s, dir.file("kv"));
  const std::vector<int32_t>& seq = f.full.seq;
  constexpr int64_t kSplit = 704;  // a multiple of the chunk (64), so the chunks are the reference's
  s.prefill_document(std::vector<int32_t>(seq.begin(), seq.begin() + kSplit));
  CHECK_EQ(s.kv().resident_bytes(), kv_bytes_at(hp, kSplit, true));
  const std::vector<int32_t> rest(seq.begin() + kSplit, seq.begin() + kDoc);
  std::atomic<bool> cancel{false};
  PrefillControl ctl;
  ctl.cancel = &cancel;
  const int64_t n = int64_t(rest.size());
  ctl.progress = [&](int64_t done, int64_t) { cancel = cancel || done > n; };
  CHECK_THROWS_CODE(s.prefill_document(rest, ctl), "CANCELLED");
  CHECK_EQ(s.n_past(), kSplit);
  s.prefill_document(rest);
  CHECK_EQ(s.kv().resident_bytes(), kv_bytes_at(hp, kDoc, true));
  std::vector<int32_t> whole = seq;
  CHECK(converse(s, whole, kEnd, true) == f.full.steps);
}

namespace {
// Bytes of layer l's K and V pages in RAM (mincore over its rows of every KV head).
uint64_t layer_resident_bytes(const Session& s, int l) {
  const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE));
  const HParams& hp = s.model().hparams();
  const size_t bytes = size_t(s.n_ctx()) * size_t(hp.head_dim) * sizeof(uint16_t);
  uint64_t n = 0;
  std::vector<unsigned char> in(bytes / page + 2);
  for (int g = 0; g < hp.n_head_kv; ++g)
    for (const uint16_t* p : {s.kv().k(l, g), s.kv().v(l, g)}) {
      const uintptr_t a = reinterpret_cast<uintptr_t>(p) / page * page;
      const size_t len = (reinterpret_cast<uintptr_t>(p) + bytes - a + page - 1) / page * page;
      in.assign(len / page, 0);
      if (mincore(reinterpret_cast<void*>(a), len, in.data()) != 0) throw Error("TEST", "mincore failed");
      for (unsigned char c : in) n += c & 1;
    }
  return n * page;
}
}  // namespace

// Under a RAM budget (the whole unlimited host tier: nothing needs to go) the
// residency drops the local layer's units outside the static set as soon as
// they are stored, and never spills them: at a reopen only the global layer's
// unread units go to the spill. A truncate into the indexed context (the
// budget leaves, every unit back in place) reads them from their store blocks.
TEST(under_a_budget_the_local_rows_leave_ram_without_the_spill) {
  skip_without_vocab();
  const Fixture& f = fixture();
  const HParams& hp = f.model->hparams();
  TempDir dir;
  const std::string path = dir.file("kv");
  SessionOptions o = options(AttentionMode::RETRIEVAL);
  o.ram_budget_frac = 1.0;
  // the local layer in RAM at most: its sinks' unit, its window's units (16 rows each), the
  // last partial store block; its whole context is 2 x 2 x 1900 x 256 bytes = 1.9 MB
  const uint64_t row = 2 * uint64_t(hp.n_head_kv) * uint64_t(hp.head_dim) * sizeof(uint16_t);
  const uint64_t local_most = row * (16 + 3 * 16 + KvCache::kBlockRows);
  // the global layer's whole context: the most that may go to the spill
  const uint64_t global_layer = uint64_t((kEnd + 15) / 16 * 16) * row;
  {
    Session s(*f.model, o);
    attach(s, path);
    std::vector<int32_t> seq = f.retrieval.seq;
    CHECK(converse(s, seq, kEnd) == f.retrieval.steps);
    CHECK(s.residency().budget_bytes > 0);
    CHECK(layer_resident_bytes(s, 0) <= local_most);
    // the unlimited host tier the budget is a fraction of: the local layer at its window and
    // two store blocks (17 units), not its 119 (both layers whole would be 2 x 1900 rows)
    const ResidencyStats r = s.residency();
    CHECK(r.budget_bytes - r.fixed_bytes <= uint64_t((119 + 17) * 16) * row);
    CHECK(r.budget_bytes - r.fixed_bytes >= uint64_t(119 * 16) * row);
  }
  Session s(*f.model, o);
  attach(s, path);
  CHECK_EQ(s.n_past(), kEnd);
  CHECK(layer_resident_bytes(s, 0) <= local_most);
  CHECK(s.residency().spill_bytes > 0);
  CHECK(s.residency().spill_bytes <= global_layer);
  CHECK(same(session_work::probe(s), f.retrieval.last));
  s.truncate(kDoc + kQuestion);
  std::vector<int32_t> retold = f.retrieval.retold;
  CHECK(converse(s, retold, kAfterTruncate) == f.retrieval.retold_steps);
}

namespace {
// Store blocks of `layer` (of any KV head) below block `below`.
int64_t stored_blocks(const std::string& path, int layer, int64_t below) {
  SqliteDb db(path, false);
  SqliteStatement q(db, "SELECT count(*) FROM kv WHERE layer = ? AND block < ?");
  q.bind(1, layer).bind(2, below);
  return q.step() ? q.column_int(0) : -1;
}

// The document's end is sealed; the window of 1500 starts at 1485, in block 11
// (1408): the local layer's blocks 0-10 go.
constexpr int64_t kSealedFloor = 1408;

// The conversation of `ref` in a store sealed at the document's end; the store left at kEnd.
void write_sealed(const std::string& path, AttentionMode mode) {
  const Fixture& f = fixture();
  const Reference& ref = f.of(mode);
  Session s(*f.model, options(mode));
  attach(s, path);
  s.seal_prefix(kDoc);
  std::vector<int32_t> seq = ref.seq;
  CHECK(converse(s, seq, kEnd) == ref.steps);
}

// Dropped as the document is read, below the window of what is committed;
// then the whole conversation as without a store; a truncate into the dropped
// rows refused, the session as it was; the reference's truncate and second
// answer; a reopen answers the same and refuses the same; a truncate to 0
// lifts the drops, and the document read again (still sealed) answers as the
// first time.
void converse_sealed(AttentionMode mode) {
  skip_without_vocab();
  const Fixture& f = fixture();
  const Reference& ref = f.of(mode);
  TempDir dir;
  const std::string path = dir.file("kv");
  {
    Session s(*f.model, options(mode));
    attach(s, path);
    s.seal_prefix(kDoc);
    s.prefill(std::vector<int32_t>(ref.seq.begin(), ref.seq.begin() + 1000));
    CHECK_EQ(s.store()->dropped_below(), 896);  // the window of 1000 starts at 985, in block 7
    std::vector<int32_t> seq = ref.seq;
    CHECK(converse(s, seq, kEnd) == ref.steps);
    CHECK_EQ(s.store()->dropped_below(), kSealedFloor);
    CHECK_THROWS_CODE(s.truncate(1400), "PREFIX_SEALED");  // its window would start at 1385
    CHECK_EQ(s.n_past(), kEnd);
    CHECK(same(session_work::probe(s), ref.last));
    s.truncate(kDoc + kQuestion);
    std::vector<int32_t> retold = ref.retold;
    CHECK(converse(s, retold, kAfterTruncate) == ref.retold_steps);
  }
  CHECK_EQ(stored_blocks(path, 0, kSealedFloor / 128), 0);
  CHECK_EQ(stored_blocks(path, 0, 14), 3 * 2);  // blocks 11-13 (to 1700) of both KV heads
  CHECK_EQ(stored_blocks(path, 1, 14), 14 * 2);
  Session s(*f.model, options(mode));
  attach(s, path);
  CHECK_EQ(s.n_past(), kAfterTruncate);
  CHECK(same(session_work::probe(s), ref.retold_last));
  CHECK_THROWS_CODE(s.truncate(1300), "PREFIX_SEALED");  // the store's drops, whether this session seals or not
  s.seal_prefix(kDoc);  // as the app does on every read
  s.truncate(kDoc + kQuestion);
  std::vector<int32_t> retold = ref.retold;
  CHECK(converse(s, retold, kAfterTruncate) == ref.retold_steps);
  s.truncate(0);
  CHECK_EQ(s.store()->dropped_below(), 0);
  std::vector<int32_t> seq = ref.seq;
  CHECK(converse(s, seq, kEnd) == ref.steps);
  CHECK_EQ(s.store()->dropped_below(), kSealedFloor);
}
}  // namespace

TEST(full_attention_with_a_sealed_document_stores_one_window_of_the_local_rows) {
  converse_sealed(AttentionMode::FULL);
}

TEST(retrieval_with_a_sealed_document_stores_one_window_of_the_local_rows) {
  converse_sealed(AttentionMode::RETRIEVAL);
}

// A store read without a seal, sealed when reopened (as the app does with a
// book read before seals existed): the local layer's blocks 0-10 go at once
// (2 KV heads x 11 x 64 KiB), the file gives their pages back, and the
// context answers as before.
TEST(sealing_a_store_read_before_drops_its_rows_and_shrinks_the_file) {
  skip_without_vocab();
  const Fixture& f = fixture();
  TempDir dir;
  const std::string path = dir.file("kv");
  {
    Session s(*f.model, options(AttentionMode::FULL));
    attach(s, path);
    std::vector<int32_t> seq = f.full.seq;
    CHECK(converse(s, seq, kEnd) == f.full.steps);
  }
  const int64_t before = int64_t(std::filesystem::file_size(path));
  {
    Session s(*f.model, options(AttentionMode::FULL));
    attach(s, path);
    s.seal_prefix(kDoc);
    CHECK_EQ(s.store()->dropped_below(), kSealedFloor);
  }
  CHECK_EQ(stored_blocks(path, 0, kSealedFloor / 128), 0);
  CHECK(int64_t(std::filesystem::file_size(path)) <= before - 2 * 11 * 65536);
  Session s(*f.model, options(AttentionMode::FULL));
  attach(s, path);
  CHECK_EQ(s.n_past(), kEnd);
  CHECK(same(session_work::probe(s), f.full.last));
}

// A sealed store reopened under a RAM budget: in retrieval mode lazily (the
// local layer's sinks unit is not read from a dropped block), then every unit
// back in RAM when a truncate into the indexed context ends the budget's force
// (the dropped units stay out); in full attention (no budget in force) by the
// full read, which skips the dropped blocks.
TEST(a_sealed_store_reopens_under_a_budget) {
  skip_without_vocab();
  const Fixture& f = fixture();
  for (AttentionMode mode : {AttentionMode::RETRIEVAL, AttentionMode::FULL}) {
    const Reference& ref = f.of(mode);
    TempDir dir;
    const std::string path = dir.file("kv");
    write_sealed(path, mode);
    SessionOptions o = options(mode);
    o.ram_budget_frac = 1.0;
    Session s(*f.model, o);
    attach(s, path);
    CHECK_EQ(s.n_past(), kEnd);
    if (mode == AttentionMode::RETRIEVAL) CHECK(s.residency().unread_units > 0);
    CHECK(same(session_work::probe(s), ref.last));
    s.truncate(kDoc + kQuestion);
    std::vector<int32_t> retold = ref.retold;
    CHECK(converse(s, retold, kAfterTruncate) == ref.retold_steps);
  }
}

// Sealed, a layer-major read never writes the local layer's blocks that its
// commit drops: the store never holds them, not even between the layers' puts
// and the commit (which drops in the same transaction); a cancelled read leaves
// the store as its last commit left it; the conversation decodes as the reference.
TEST(a_sealed_layer_major_prefill_never_stores_the_rows_it_drops) {
  skip_without_vocab();
  const Fixture& f = fixture();
  TempDir dir;
  Session s(*f.model, options(AttentionMode::FULL));
  attach(s, dir.file("kv"));
  s.seal_prefix(kDoc);
  const std::vector<int32_t>& seq = f.full.seq;
  constexpr int64_t kSplit = 704;
  s.prefill_document(std::vector<int32_t>(seq.begin(), seq.begin() + kSplit));
  CHECK_EQ(s.store()->dropped_below(), 640);  // the window of 704 starts at 689, in block 5
  auto stored = [&](int64_t block) { return s.store()->read_block(0, 0, block, [](const uint8_t*, const uint8_t*, int64_t) {}); };
  const std::vector<int32_t> rest(seq.begin() + kSplit, seq.begin() + kDoc);
  const int64_t n = int64_t(rest.size());
  std::atomic<bool> cancel{false};
  bool checked = false;
  PrefillControl ctl;
  ctl.cancel = &cancel;
  ctl.progress = [&](int64_t done, int64_t) {
    if (done != n) return;  // the local layer (0) is put; the global one follows
    checked = true;
    CHECK(stored(5));    // 640-703, committed
    CHECK(!stored(6));   // 768-895: the commit would drop it
    CHECK(!stored(10));  // 1280-1407
    CHECK(stored(11));   // 1408-1499: the window of the seal
    cancel = true;
  };
  CHECK_THROWS_CODE(s.prefill_document(rest, ctl), "CANCELLED");
  CHECK(checked);
  CHECK_EQ(s.n_past(), kSplit);
  CHECK_EQ(s.store()->dropped_below(), 640);
  CHECK(stored(5));
  CHECK(!stored(11));
  s.prefill_document(rest);
  CHECK_EQ(s.store()->dropped_below(), kSealedFloor);
  CHECK(!stored(10));
  CHECK(stored(11));
  std::vector<int32_t> whole = seq;
  CHECK(converse(s, whole, kEnd, true) == f.full.steps);
}

// Damage in the global layer at block 5 (640) ends the intact prefix below the
// dropped rows' window: nothing can be resumed, so the reopen restores nothing
// and cuts the store to 0, and the document is read again.
TEST(a_sealed_store_cut_below_its_dropped_rows_is_read_again) {
  skip_without_vocab();
  const Fixture& f = fixture();
  TempDir dir;
  const std::string path = dir.file("kv");
  write_sealed(path, AttentionMode::FULL);
  {
    SqliteDb db(path, false);
    db.exec("UPDATE kv SET crc = crc + 1 WHERE layer = 1 AND head = 0 AND block = 5");
  }
  Session s(*f.model, options(AttentionMode::FULL));
  attach(s, path);
  CHECK_EQ(s.n_past(), 0);
  CHECK_EQ(s.store()->n_tokens(), 0);
  CHECK_EQ(s.store()->dropped_below(), 0);
  s.seal_prefix(kDoc);
  std::vector<int32_t> seq = f.full.seq;
  CHECK(converse(s, seq, kEnd) == f.full.steps);
}

TOME_TEST_MAIN()
