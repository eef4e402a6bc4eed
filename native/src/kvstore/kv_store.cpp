#include "kvstore/kv_store.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fp16.h"
#include "kvstore/block_checksum.h"

namespace tome {

namespace {

constexpr const char* kFormatName = "tome-kv";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Checksum seeds tie a block to its place, so a block stored under the wrong
// key (or swapped with another) fails verification too.
uint64_t kv_seed(int layer, int head, int64_t block) {
  return (uint64_t(layer) << 48) ^ (uint64_t(head) << 32) ^ uint64_t(block) ^ 0x6b76ull;
}
uint64_t token_seed(int64_t block) { return uint64_t(block) ^ 0x746f6bull; }
uint64_t query_seed(int layer, int head, int64_t pos0) {
  return (uint64_t(layer) << 48) ^ (uint64_t(head) << 32) ^ uint64_t(pos0) ^ 0x71ull;
}
uint64_t index_seed(int layer, int head, int64_t built_at) {
  return (uint64_t(layer) << 48) ^ (uint64_t(head) << 32) ^ uint64_t(built_at) ^ 0x6978ull;
}

// Checksums of a store made since version 2 of them (meta "checksums"): a query
// chunk's covers its pos1 too, and an index image carries a trailer (u64) tied
// to its (layer, head, built_at), so an image under another key, or a chunk
// whose end was changed, fails like a damaged block. Stores made before keep
// version 1 for everything written to them (their rows stay readable).
constexpr int kChecksumsVersion = 2;
constexpr size_t kIndexTrailerBytes = 8;

// meta "query_rows" of a store whose query rows are bf16 (absent: f32, a store made
// before it; such a store writes f32 rows until its indexes are complete, which
// empties the queries table, so that one read's rows are in one format).
constexpr const char* kQueryRowsBf16 = "bf16";

uint64_t query_checksum(int checksums, const void* data, size_t size, int layer, int head, int64_t pos0, int64_t pos1) {
  uint64_t seed = query_seed(layer, head, pos0);
  if (checksums >= 2) seed = block_checksum(&pos1, sizeof pos1, seed);
  return block_checksum(data, size, seed);
}

// The meta table of db as key -> value (empty when the table does not exist yet).
std::map<std::string, std::string> meta_of(SqliteDb& db) {
  std::map<std::string, std::string> m;
  SqliteStatement has(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  if (!has.step() || has.column_int(0) == 0) return m;
  SqliteStatement q(db, "SELECT key, value FROM meta");
  while (q.step()) m[q.column_text(0)] = q.column_text(1);
  return m;
}

int64_t parse_int(const std::map<std::string, std::string>& m, const char* key, int64_t dflt) {
  auto it = m.find(key);
  if (it == m.end()) return dflt;
  try {
    return std::stoll(it->second);
  } catch (...) {
    throw Error("STORE_CORRUPT", std::string("KV store meta '") + key + "' is not a number");
  }
}

// "3,4,7" -> a mask of n_layer with those set; STORE_CORRUPT for anything else.
std::vector<bool> parse_layer_list(const std::string& text, int n_layer) {
  std::vector<bool> mask(size_t(std::max(n_layer, 0)), false);
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find(',', at);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(at, end - at);
    if (item.empty() || item.size() > 6 || item.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(item) >= n_layer)
      throw Error("STORE_CORRUPT", "KV store meta 'dropped_layers' is not a list of layers");
    mask[size_t(std::stoi(item))] = true;
    at = end + 1;
  }
  return mask;
}

std::string layer_list(const std::vector<bool>& mask) {
  std::string text;
  for (size_t l = 0; l < mask.size(); ++l)
    if (mask[l]) text += (text.empty() ? "" : ",") + std::to_string(l);
  return text;
}

}  // namespace

// A listing does not wait for a store in use: it says so (tome cache list, gc).
constexpr int kMetaBusyMs = 50;

// reclaim_free_pages(): only when more than 1/kReclaimAboveFraction of the
// file is free (the queries deleted once the indexes are complete are as large
// as the K/V of the indexed layers: a third of an 8K smol llama store), in
// steps of kReclaimStepPages pages (64 MiB).
constexpr int64_t kReclaimAboveFraction = 16;
constexpr int64_t kReclaimStepPages = 2048;

KvStore::KvStore(const std::string& path, const StoreIdentity& id) : db_(path, true), id_(id) {}

std::unique_ptr<KvStore> KvStore::open(const std::string& path, const StoreIdentity& id) {
  // EXCLUSIVE: the store is locked from its first read until closed. A session's
  // in-memory state (n_tokens, the blocks it rewrites) assumes it is the one writer:
  // a second process on the same book (the desktop app and `tome serve` or `tome run
  // --doc` share the data folder) would interleave its blocks with this one's, K/V
  // computed over one history stored beside another's tokens. It gets STORE_BUSY and
  // reads the book without the store. (Set before WAL: the log then needs no shared
  // memory file.) WAL: a commit is one append to the log, atomic on a crash; FULL:
  // durable on power loss too.
  //
  // A store removed (remove_if_unused, under the lock) between this open and the lock
  // leaves this connection on a deleted file: every commit would go to it and be lost
  // at close. Once locked, the file is checked to still be the path's; else the path
  // is opened again (a new store).
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<KvStore> s(new KvStore(path, id));
    const bool may_retry = attempt < 3;
    std::map<std::string, std::string> m;
    try {
      s->db_.exec("PRAGMA locking_mode = EXCLUSIVE");
      s->db_.exec("PRAGMA page_size = 32768");
      // a new file only (its mode is fixed by its first write, so before WAL's;
      // set on an existing one, it would write its header): reclaim_free_pages()
      // then gives the pages of deleted rows back to the disk
      if (SqliteStatement q(s->db_, "PRAGMA page_count"); q.step() && q.column_int(0) == 0)
        s->db_.exec("PRAGMA auto_vacuum = INCREMENTAL");
      s->db_.exec("PRAGMA journal_mode = WAL");
      s->db_.exec("PRAGMA synchronous = FULL");
      m = meta_of(s->db_);
    } catch (const Error& e) {
      // (a file unlinked while this connection waited for its lock fails an fstat: STORE_IO)
      if (may_retry && s->db_.has_moved()) continue;
      if (e.code() != "STORE_BUSY") throw;
      throw Error("STORE_BUSY", "KV store " + path + " is in use by another tome process");
    }
    if (may_retry && s->db_.has_moved()) continue;
    if (m.empty()) {
      // an empty file may be locked only by this first write: checked again after it
      s->create_schema();
      if (may_retry && s->db_.has_moved()) continue;
      m = meta_of(s->db_);
    }
    s->check_identity(m);
    s->load_state(m);
    return s;
  }
}

KvStore::Removal KvStore::remove_if_unused(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Removal::kAbsent;
  auto unlink_all = [&] {
    for (const char* side : {"-wal", "-shm", "-journal"}) ::unlink((path + side).c_str());
    ::unlink(path.c_str());  // the store last: a session opening it meanwhile creates a new one
  };
  try {
    SqliteDb db(path, false, 0);  // no wait: a session holds its store until it closes
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    // the path may name another file by now (removed and made again since the stat)
    if (db.has_moved()) return Removal::kAbsent;
    unlink_all();
    // closed unlinked: SQLite sees the file moved and neither checkpoints into it nor
    // deletes "<path>-wal" by name (which a new store at the path may own by then)
    return Removal::kRemoved;
  } catch (const Error& e) {
    if (e.code() == "STORE_BUSY") return Removal::kInUse;
    if (e.code() == "STORE_CORRUPT") {  // not a database: no session can hold it
      unlink_all();
      return Removal::kRemoved;
    }
    if (e.code() == "STORE_READONLY" && ::stat(path.c_str(), &st) != 0) return Removal::kAbsent;
    throw;
  }
}

std::map<std::string, std::string> KvStore::read_meta(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw Error("STORE_NOT_FOUND", "no KV store at " + path);
  SqliteDb db(path, false, kMetaBusyMs);
  try {
    return meta_of(db);
  } catch (const Error& e) {
    if (e.code() != "STORE_BUSY") throw;
    throw Error("STORE_BUSY", "KV store " + path + " is in use (a tome session holds it)");
  }
}

void KvStore::create_schema() {
  db_.transaction([&] {
    db_.exec(
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS tokens(block INTEGER PRIMARY KEY, n INTEGER NOT NULL, ids BLOB NOT NULL,"
        "  crc INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS kv(layer INTEGER NOT NULL, head INTEGER NOT NULL, block INTEGER NOT NULL,"
        "  n INTEGER NOT NULL, k BLOB NOT NULL, v BLOB NOT NULL, crc INTEGER NOT NULL,"
        "  PRIMARY KEY(layer, head, block));"
        "CREATE TABLE IF NOT EXISTS queries(layer INTEGER NOT NULL, head INTEGER NOT NULL, pos0 INTEGER NOT NULL,"
        "  pos1 INTEGER NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL, PRIMARY KEY(layer, head, pos0));"
        "CREATE TABLE IF NOT EXISTS indexes(layer INTEGER NOT NULL, head INTEGER NOT NULL,"
        "  built_at INTEGER NOT NULL, image BLOB NOT NULL, PRIMARY KEY(layer, head));");
    const std::string t = std::to_string(now_ms());
    const std::pair<const char*, std::string> rows[] = {
        {"format", kFormatName},
        {"version", std::to_string(kStoreFormatVersion)},
        {"model_fp", id_.model_fp},
        {"tokenizer_fp", id_.tokenizer_fp},
        {"settings", id_.settings},
        {"n_layer", std::to_string(id_.n_layer)},
        {"n_head_kv", std::to_string(id_.n_head_kv)},
        {"head_dim", std::to_string(id_.head_dim)},
        {"block_tokens", std::to_string(kStoreBlockTokens)},
        {"n_tokens", "0"},
        {"index_built_at", "-1"},
        {"index_complete", "0"},
        {"index_settings", ""},
        {"checksums", std::to_string(kChecksumsVersion)},
        {"query_rows", kQueryRowsBf16},
        {"created_ms", t},
        {"last_used_ms", t},
    };
    for (const auto& r : rows) put_meta(r.first, r.second);
  });
}

void KvStore::check_identity(const std::map<std::string, std::string>& m) const {
  auto expect = [&](const char* key, const std::string& want) {
    auto it = m.find(key);
    const std::string have = it == m.end() ? "(missing)" : it->second;
    if (have != want)
      throw Error("STORE_MISMATCH", "KV store " + db_.path() + " does not match: " + key + " is '" + have +
                                        "', expected '" + want + "'");
  };
  expect("format", kFormatName);
  expect("version", std::to_string(kStoreFormatVersion));
  expect("model_fp", id_.model_fp);
  expect("tokenizer_fp", id_.tokenizer_fp);
  expect("settings", id_.settings);
  expect("n_layer", std::to_string(id_.n_layer));
  expect("n_head_kv", std::to_string(id_.n_head_kv));
  expect("head_dim", std::to_string(id_.head_dim));
  expect("block_tokens", std::to_string(kStoreBlockTokens));
}

void KvStore::load_state(const std::map<std::string, std::string>& m) {
  n_tokens_ = parse_int(m, "n_tokens", 0);
  index_built_at_ = parse_int(m, "index_built_at", -1);
  index_complete_ = parse_int(m, "index_complete", 0) != 0;
  auto it = m.find("index_settings");
  index_settings_ = it == m.end() ? "" : it->second;
  checksums_ = int(parse_int(m, "checksums", 1));
  if (checksums_ < 1 || checksums_ > kChecksumsVersion)  // a later build's, or damage: not this build's to use
    throw Error("STORE_MISMATCH", "KV store " + db_.path() + " has checksums version " + std::to_string(checksums_) +
                                      ", not one this build reads");
  auto rows = m.find("query_rows");
  if (rows != m.end() && rows->second != kQueryRowsBf16)  // a later build's format
    throw Error("STORE_MISMATCH", "KV store " + db_.path() + " has query rows '" + rows->second +
                                      "', not a format this build reads");
  query_bf16_ = rows != m.end();
  if (n_tokens_ < 0 || n_tokens_ > (int64_t(1) << 40)) throw Error("STORE_CORRUPT", "KV store n_tokens out of range");
  dropped_below_ = parse_int(m, "dropped_below", 0);
  if (dropped_below_ < 0 || dropped_below_ % kStoreBlockTokens != 0 || dropped_below_ > n_tokens_)
    throw Error("STORE_CORRUPT", "KV store dropped_below out of range");
  dropped_layer_.clear();
  auto layers = m.find("dropped_layers");
  if (dropped_below_ > 0 && layers == m.end()) throw Error("STORE_CORRUPT", "KV store meta 'dropped_layers' is missing");
  if (dropped_below_ > 0) dropped_layer_ = parse_layer_list(layers->second, id_.n_layer);
}

void KvStore::put_meta(const std::string& key, const std::string& value) {
  SqliteStatement s(db_, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  s.bind(1, key).bind(2, value).run();
}

void KvStore::set_label(const std::string& key, const std::string& value) {
  db_.transaction([&] { put_meta("label." + key, value); });
}

void KvStore::touch() {
  db_.transaction([&] { put_meta("last_used_ms", std::to_string(now_ms())); });
}

// ---- reads ----------------------------------------------------------------------

int64_t KvStore::read_tokens(int64_t n, std::vector<int32_t>& out) {
  n = std::min(n, n_tokens_);
  out.assign(size_t(n), 0);
  const int64_t B = kStoreBlockTokens;
  SqliteStatement q(db_, "SELECT block, n, ids, crc FROM tokens WHERE block < ? ORDER BY block");
  q.bind(1, (n + B - 1) / B);
  int64_t next = 0;  // first block not yet verified
  while (q.step()) {
    const int64_t b = q.column_int(0), rows = q.column_int(1);
    size_t size = 0;
    const uint8_t* ids = q.column_blob(2, &size);
    const int64_t need = std::min(B, n - b * B);
    if (b != next || rows < need || rows > B || size != size_t(rows) * 4 ||
        block_checksum(ids, size, token_seed(b)) != uint64_t(q.column_int(3)))
      return std::min(n, next * B);
    std::memcpy(out.data() + b * B, ids, size_t(need) * 4);
    ++next;
  }
  return std::min(n, next * B);
}

int64_t KvStore::read_kv(const HeadRowsFn& rows_of, int64_t n, const std::function<int64_t(int layer)>& copy_from) {
  n = std::min(n, n_tokens_);
  const int64_t B = kStoreBlockTokens, n_blocks = (n + B - 1) / B;
  const size_t row_bytes = size_t(id_.head_dim) * 2;
  int64_t intact = n;
  SqliteStatement q(db_, "SELECT block, n, k, v, crc FROM kv WHERE layer = ? AND head = ? AND block < ? ORDER BY block");
  for (int l = 0; l < id_.n_layer; ++l)
    for (int h = 0; h < id_.n_head_kv; ++h) {
      q.bind(1, l).bind(2, h).bind(3, n_blocks);
      uint8_t* kdst = reinterpret_cast<uint8_t*>(rows_of(l, h, false));
      uint8_t* vdst = reinterpret_cast<uint8_t*>(rows_of(l, h, true));
      const int64_t skip_below = copy_from ? copy_from(l) : 0;
      int64_t next = dropped(l, 0) ? dropped_below_ / B : 0;  // first block expected
      while (next * B < intact && q.step()) {
        const int64_t b = q.column_int(0), rows = q.column_int(1);
        if (b < next) continue;  // (a dropped block left behind: never read)
        size_t ks = 0, vs = 0;
        const uint8_t* k = q.column_blob(2, &ks);
        const uint8_t* v = q.column_blob(3, &vs);
        const int64_t need = std::min(B, n - b * B);
        if (b != next || rows < need || rows > B || ks != size_t(rows) * row_bytes || vs != ks ||
            block_checksum(v, vs, block_checksum(k, ks, kv_seed(l, h, b))) != uint64_t(q.column_int(4)))
          break;
        if ((b + 1) * B > skip_below) {
          std::memcpy(kdst + size_t(b * B) * row_bytes, k, size_t(need) * row_bytes);
          std::memcpy(vdst + size_t(b * B) * row_bytes, v, size_t(need) * row_bytes);
        }
        ++next;
      }
      q.reset();
      intact = std::min(intact, next * B);
    }
  return intact;
}

bool KvStore::read_block(int layer, int head, int64_t block,
                         const std::function<void(const uint8_t* k, const uint8_t* v, int64_t rows)>& use) {
  if (!block_query_)
    block_query_ = std::make_unique<SqliteStatement>(db_, "SELECT n, k, v, crc FROM kv WHERE layer = ? AND head = ? AND block = ?");
  SqliteStatement& q = *block_query_;
  q.bind(1, layer).bind(2, head).bind(3, block);
  bool ok = false;
  if (q.step()) {
    const size_t row_bytes = size_t(id_.head_dim) * 2;
    size_t ks = 0, vs = 0;
    const uint8_t* k = q.column_blob(1, &ks);
    const uint8_t* v = q.column_blob(2, &vs);
    const int64_t n = q.column_int(0);
    ok = n >= 0 && n <= kStoreBlockTokens && ks == size_t(n) * row_bytes && vs == ks &&
         block_checksum(v, vs, block_checksum(k, ks, kv_seed(layer, head, block))) == uint64_t(q.column_int(3));
    if (ok) {
      try {
        use(k, v, n);
      } catch (...) {
        q.reset();  // else the statement stays stepped and every later read fails to bind
        throw;
      }
    }
  }
  q.reset();
  return ok;
}

int64_t KvStore::read_queries(int layer, int head, int64_t n, int64_t max_rows_per_pos, std::vector<uint16_t>& out) {
  out.clear();
  SqliteStatement q(db_, "SELECT pos0, pos1, data, crc FROM queries WHERE layer = ? AND head = ? ORDER BY pos0");
  q.bind(1, layer).bind(2, head);
  int64_t next = 0;  // end of the contiguous, verified chunks
  while (q.step()) {
    const int64_t p0 = q.column_int(0), p1 = q.column_int(1);
    if (p1 > n) break;
    size_t size = 0;
    const uint8_t* data = q.column_blob(2, &size);
    const size_t value_bytes = query_bf16_ ? 2 : 4, row_bytes = size_t(id_.head_dim) * value_bytes;
    if (p0 != next || p1 <= p0 || size % row_bytes != 0 || size / row_bytes > size_t(p1 - p0) * size_t(max_rows_per_pos) ||
        query_checksum(checksums_, data, size, layer, head, p0, p1) != uint64_t(q.column_int(3)))
      return next;
    const size_t at = out.size(), values = size / value_bytes;
    out.resize(at + values);
    if (query_bf16_) {
      std::memcpy(out.data() + at, data, size);
    } else {
      for (size_t i = 0; i < values; ++i) {  // (a blob's bytes need not be aligned for floats)
        float f;
        std::memcpy(&f, data + i * 4, 4);
        out[at + i] = fp32_to_bf16(f);
      }
    }
    next = p1;
  }
  return next;
}

bool KvStore::read_index(int layer, int head, int64_t built_at, std::vector<uint8_t>& image) {
  SqliteStatement q(db_, "SELECT image FROM indexes WHERE layer = ? AND head = ? AND built_at = ?");
  q.bind(1, layer).bind(2, head).bind(3, built_at);
  if (!q.step()) return false;
  size_t size = 0;
  const uint8_t* p = q.column_blob(0, &size);
  if (checksums_ >= 2) {
    if (size < kIndexTrailerBytes) return false;
    size -= kIndexTrailerBytes;
    uint64_t trailer = 0;
    std::memcpy(&trailer, p + size, sizeof trailer);
    if (block_checksum(p, size, index_seed(layer, head, built_at)) != trailer) return false;
  }
  image.assign(p, p + size);
  return true;
}

// ---- writes ---------------------------------------------------------------------

void KvStore::write_kv_blocks(int l0, int l1, const HeadRowsFn& rows_of, int64_t pos0, int64_t pos1,
                              int64_t skip_below) {
  const int64_t B = kStoreBlockTokens;
  const size_t row_bytes = size_t(id_.head_dim) * 2;
  SqliteStatement kv(db_, "INSERT OR REPLACE INTO kv(layer, head, block, n, k, v, crc) VALUES(?, ?, ?, ?, ?, ?, ?)");
  for (int64_t b = std::max(pos0, skip_below) / B; b * B < pos1; ++b) {
    const int64_t start = b * B, rows = std::min(pos1, start + B) - start;
    const size_t bytes = size_t(rows) * row_bytes;
    for (int l = l0; l < l1; ++l)
      for (int h = 0; h < id_.n_head_kv; ++h) {
        const uint8_t* k = reinterpret_cast<const uint8_t*>(rows_of(l, h, false)) + size_t(start) * row_bytes;
        const uint8_t* v = reinterpret_cast<const uint8_t*>(rows_of(l, h, true)) + size_t(start) * row_bytes;
        const uint64_t crc = block_checksum(v, bytes, block_checksum(k, bytes, kv_seed(l, h, b)));
        kv.bind(1, l).bind(2, h).bind(3, b).bind(4, rows).bind_blob(5, k, bytes).bind_blob(6, v, bytes);
        kv.bind(7, int64_t(crc)).run();
      }
  }
}

void KvStore::write_token_blocks(const int32_t* tokens, int64_t pos0, int64_t pos1) {
  const int64_t B = kStoreBlockTokens;
  SqliteStatement tk(db_, "INSERT OR REPLACE INTO tokens(block, n, ids, crc) VALUES(?, ?, ?, ?)");
  for (int64_t b = pos0 / B; b * B < pos1; ++b) {
    const int64_t start = b * B, rows = std::min(pos1, start + B) - start;
    const int32_t* ids = tokens + start;
    tk.bind(1, b).bind(2, rows).bind_blob(3, ids, size_t(rows) * 4);
    tk.bind(4, int64_t(block_checksum(ids, size_t(rows) * 4, token_seed(b)))).run();
  }
}

void KvStore::write_queries(const std::vector<QueryChunk>& queries, int64_t pos0, int64_t pos1) {
  SqliteStatement qs(db_, "INSERT OR REPLACE INTO queries(layer, head, pos0, pos1, data, crc) VALUES(?, ?, ?, ?, ?, ?)");
  std::vector<float> f32;  // an older store's format
  for (const QueryChunk& c : queries) {  // empty chunks too: they keep the coverage contiguous
    const int64_t values = c.n_rows * id_.head_dim;
    const void* data = c.rows;
    size_t bytes = size_t(values) * 2;
    if (!query_bf16_) {
      f32.resize(size_t(values));
      for (int64_t i = 0; i < values; ++i) f32[size_t(i)] = bf16_to_fp32(c.rows[i]);
      data = f32.data();
      bytes = size_t(values) * 4;
    }
    qs.bind(1, c.layer).bind(2, c.head).bind(3, pos0).bind(4, pos1).bind_blob(5, data, bytes);
    qs.bind(6, int64_t(query_checksum(checksums_, data, bytes, c.layer, c.head, pos0, pos1))).run();
  }
}

void KvStore::append(const HeadRowsFn& rows_of, const int32_t* tokens, int64_t pos0, int64_t pos1,
                     const std::vector<QueryChunk>& queries) {
  if (pos0 < 0 || pos1 <= pos0 || pos0 > n_tokens_)
    throw Error("BAD_ARGUMENT", "KV store append must continue the committed positions");
  db_.transaction([&] {
    write_kv_blocks(0, id_.n_layer, rows_of, pos0, pos1);
    write_token_blocks(tokens, pos0, pos1);
    write_queries(queries, pos0, pos1);
    put_meta("n_tokens", std::to_string(pos1));
  });
  n_tokens_ = pos1;
}

void KvStore::put_layer(int layer, const HeadRowsFn& rows_of, int64_t pos0, int64_t pos1,
                        const std::vector<QueryChunk>& queries, int64_t skip_below) {
  if (pos0 < 0 || pos1 <= pos0 || pos0 > n_tokens_ || layer < 0 || layer >= id_.n_layer)
    throw Error("BAD_ARGUMENT", "KV store put_layer must continue the committed positions");
  // (a block past pos0 skipped: its rows were in none; the block holding pos0
  // skipped: its committed rows stay as they are, as an undo needs them)
  const int64_t skip = skip_below / kStoreBlockTokens * kStoreBlockTokens;
  db_.transaction([&] {
    write_kv_blocks(layer, layer + 1, rows_of, pos0, pos1, skip);
    write_queries(queries, pos0, pos1);
  });
}

void KvStore::commit_tokens(const int32_t* tokens, int64_t pos0, int64_t pos1, const std::vector<int>& drop_layers,
                            int64_t drop_below) {
  if (pos0 < 0 || pos1 <= pos0 || pos0 > n_tokens_)
    throw Error("BAD_ARGUMENT", "KV store commit must continue the committed positions");
  const int64_t B = kStoreBlockTokens, to = std::min(drop_below, pos1) / B * B;
  const bool drop = !drop_layers.empty() && to > dropped_below_;
  const std::vector<bool> mask = drop ? drop_mask(drop_layers) : std::vector<bool>{};
  db_.transaction([&] {
    write_token_blocks(tokens, pos0, pos1);
    put_meta("n_tokens", std::to_string(pos1));
    if (drop) drop_in_transaction(mask, to);
  });
  n_tokens_ = pos1;
  if (drop) rows_dropped(mask, to);
}

void KvStore::discard_uncommitted() {
  const int64_t B = kStoreBlockTokens, n = n_tokens_, b = n / B, keep = n % B;
  const size_t row_bytes = size_t(id_.head_dim) * 2;
  std::optional<bool> dropped;
  db_.transaction([&] {
    SqliteStatement(db_, "DELETE FROM kv WHERE block >= ?").bind(1, (n + B - 1) / B).run();
    if (keep > 0) {
      // the block holding position n, rewritten past it from its start: back to its committed rows
      struct Block {
        int64_t layer, head;
        std::vector<uint8_t> k, v;
      };
      std::vector<Block> cut;
      SqliteStatement q(db_, "SELECT layer, head, n, k, v, crc FROM kv WHERE block = ? AND n > ?");
      q.bind(1, b).bind(2, keep);
      while (q.step()) {
        const int64_t l = q.column_int(0), h = q.column_int(1), rows = q.column_int(2);
        size_t ks = 0, vs = 0;
        const uint8_t* k = q.column_blob(3, &ks);
        const uint8_t* v = q.column_blob(4, &vs);
        if (rows > B || ks != size_t(rows) * row_bytes || vs != ks ||
            block_checksum(v, vs, block_checksum(k, ks, kv_seed(int(l), int(h), b))) != uint64_t(q.column_int(5)))
          continue;  // damaged: left for a read to find
        const size_t bytes = size_t(keep) * row_bytes;
        cut.push_back(Block{l, h, std::vector<uint8_t>(k, k + bytes), std::vector<uint8_t>(v, v + bytes)});
      }
      SqliteStatement w(db_, "UPDATE kv SET n = ?, k = ?, v = ?, crc = ? WHERE layer = ? AND head = ? AND block = ?");
      for (const Block& c : cut) {
        const uint64_t crc = block_checksum(c.v.data(), c.v.size(), block_checksum(c.k.data(), c.k.size(), kv_seed(int(c.layer), int(c.head), b)));
        w.bind(1, keep).bind_blob(2, c.k.data(), c.k.size()).bind_blob(3, c.v.data(), c.v.size());
        w.bind(4, int64_t(crc)).bind(5, c.layer).bind(6, c.head).bind(7, b).run();
      }
    }
    SqliteStatement(db_, "DELETE FROM queries WHERE pos1 > ?").bind(1, n).run();
    if (index_built_at_ > n) dropped = drop_indexes_in_transaction();
  });
  if (dropped) indexes_dropped(*dropped);
}

void KvStore::cut_query_chunks(int64_t n, const QueryRowsFn& query_rows) {
  struct Cut {
    int64_t layer, head, pos0;
    std::vector<uint8_t> data;
  };
  std::vector<Cut> cuts;
  const size_t value_bytes = query_bf16_ ? 2 : 4, row_bytes = size_t(id_.head_dim) * value_bytes;
  SqliteStatement q(db_, "SELECT layer, head, pos0, pos1, data, crc FROM queries WHERE pos0 < ? AND pos1 > ?");
  q.bind(1, n).bind(2, n);
  while (q.step()) {
    const int64_t l = q.column_int(0), h = q.column_int(1), p0 = q.column_int(2), p1 = q.column_int(3);
    size_t size = 0;
    const uint8_t* data = q.column_blob(4, &size);
    if (p0 < 0 || p1 <= p0 || size != size_t(query_rows(p0, p1)) * row_bytes ||
        query_checksum(checksums_, data, size, int(l), int(h), p0, p1) != uint64_t(q.column_int(5)))
      continue;  // not what the session's sampling gives, or damaged: dropped below
    const size_t keep = size_t(query_rows(p0, n)) * row_bytes;
    if (keep <= size) cuts.push_back(Cut{l, h, p0, std::vector<uint8_t>(data, data + keep)});
  }
  q.reset();
  SqliteStatement w(db_, "UPDATE queries SET pos1 = ?, data = ?, crc = ? WHERE layer = ? AND head = ? AND pos0 = ?");
  for (const Cut& c : cuts) {
    const uint64_t crc = query_checksum(checksums_, c.data.data(), c.data.size(), int(c.layer), int(c.head), c.pos0, n);
    w.bind(1, n).bind_blob(2, c.data.data(), c.data.size()).bind(3, int64_t(crc));
    w.bind(4, c.layer).bind(5, c.head).bind(6, c.pos0).run();
  }
}

void KvStore::truncate(int64_t n, const QueryRowsFn& query_rows) {
  if (n < 0 || n >= n_tokens_) return;
  std::optional<bool> dropped;
  db_.transaction([&] {
    const int64_t B = kStoreBlockTokens, first_dead = (n + B - 1) / B;
    SqliteStatement(db_, "DELETE FROM kv WHERE block >= ?").bind(1, first_dead).run();
    SqliteStatement(db_, "DELETE FROM tokens WHERE block >= ?").bind(1, first_dead).run();
    // a query chunk straddling n: cut to its rows below n where the caller can
    // count them (its rows are per kept position, not per block), else dropped
    if (query_rows) cut_query_chunks(n, query_rows);
    SqliteStatement(db_, "DELETE FROM queries WHERE pos1 > ?").bind(1, n).run();
    put_meta("n_tokens", std::to_string(n));
    if (index_built_at_ > n) dropped = drop_indexes_in_transaction();  // built over positions that are gone
    if (dropped_below_ > n / B * B) put_meta("dropped_below", std::to_string(n / B * B));
  });
  n_tokens_ = n;
  dropped_below_ = std::min(dropped_below_, n / kStoreBlockTokens * kStoreBlockTokens);
  if (dropped) indexes_dropped(*dropped);
}

void KvStore::drop_rows_below(const std::vector<int>& layers, int64_t pos) {
  const int64_t to = std::min(pos, n_tokens_) / kStoreBlockTokens * kStoreBlockTokens;
  if (to <= dropped_below_ || layers.empty()) return;
  const std::vector<bool> mask = drop_mask(layers);
  db_.transaction([&] { drop_in_transaction(mask, to); });
  rows_dropped(mask, to);
}

std::vector<bool> KvStore::drop_mask(const std::vector<int>& layers) const {
  std::vector<bool> mask(size_t(id_.n_layer), false);
  for (int l : layers) {
    if (l < 0 || l >= id_.n_layer) throw Error("BAD_ARGUMENT", "KV store drop: layer out of range");
    mask[size_t(l)] = true;
  }
  if (dropped_below_ > 0 && mask != dropped_layer_)
    throw Error("BAD_ARGUMENT", "KV store drop: the layers differ from those of the earlier drops");
  return mask;
}

void KvStore::drop_in_transaction(const std::vector<bool>& mask, int64_t to) {
  const int64_t B = kStoreBlockTokens;
  // from the last drop on: the blocks below it are gone already
  SqliteStatement del(db_, "DELETE FROM kv WHERE layer = ? AND block >= ? AND block < ?");
  for (size_t l = 0; l < mask.size(); ++l)
    if (mask[l]) del.bind(1, int64_t(l)).bind(2, dropped_below_ / B).bind(3, to / B).run();
  put_meta("dropped_below", std::to_string(to));
  put_meta("dropped_layers", layer_list(mask));
}

void KvStore::rows_dropped(const std::vector<bool>& mask, int64_t to) {
  dropped_below_ = to;
  dropped_layer_ = mask;
}

void KvStore::set_index_settings(const std::string& s) {
  db_.transaction([&] { put_meta("index_settings", s); });
  index_settings_ = s;
}

void KvStore::put_index(int layer, int head, int64_t built_at, const std::vector<uint8_t>& image) {
  std::vector<uint8_t> sealed;  // version 2: the image and its trailer
  if (checksums_ >= 2) {
    sealed.resize(image.size() + kIndexTrailerBytes);
    std::memcpy(sealed.data(), image.data(), image.size());
    const uint64_t trailer = block_checksum(image.data(), image.size(), index_seed(layer, head, built_at));
    std::memcpy(sealed.data() + image.size(), &trailer, sizeof trailer);
  }
  const std::vector<uint8_t>& blob = checksums_ >= 2 ? sealed : image;
  db_.transaction([&] {
    SqliteStatement s(db_, "INSERT OR REPLACE INTO indexes(layer, head, built_at, image) VALUES(?, ?, ?, ?)");
    s.bind(1, layer).bind(2, head).bind(3, built_at).bind_blob(4, blob.data(), blob.size()).run();
    put_meta("index_built_at", std::to_string(built_at));
  });
  index_built_at_ = built_at;
}

void KvStore::set_index_complete(int64_t built_at) {
  db_.transaction([&] {
    put_meta("index_built_at", std::to_string(built_at));
    put_meta("index_complete", "1");
    db_.exec("DELETE FROM queries");
    put_meta("query_rows", kQueryRowsBf16);  // none left in an older format
  });
  index_built_at_ = built_at;
  index_complete_ = true;
  query_bf16_ = true;
  reclaim_free_pages();
}

void KvStore::reclaim_free_pages() {
  auto pragma = [&](const char* sql) {
    SqliteStatement q(db_, sql);
    return q.step() ? q.column_int(0) : 0;
  };
  try {
    if (pragma("PRAGMA auto_vacuum") != 2) return;  // a store made before: its free pages stay for later writes
    const int64_t pages = pragma("PRAGMA page_count");
    if (pragma("PRAGMA freelist_count") * kReclaimAboveFraction <= pages) return;
    // in steps, each written through the log and checkpointed, so the log never
    // holds more than one step's pages (the file shrinks as it goes)
    for (int64_t left = pragma("PRAGMA freelist_count"); left > 0;) {
      db_.exec(("PRAGMA incremental_vacuum(" + std::to_string(kReclaimStepPages) + ")").c_str());
      db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      const int64_t now = pragma("PRAGMA freelist_count");
      if (now >= left) break;
      left = now;
    }
  } catch (const Error&) {
    // a disk that refuses the moves (full): the free pages stay, reused by later writes
  }
}

void KvStore::drop_indexes() {
  bool settings_cleared = false;
  db_.transaction([&] { settings_cleared = drop_indexes_in_transaction(); });
  indexes_dropped(settings_cleared);
}

// The rows only: the fields follow once the transaction commits (indexes_dropped),
// so a COMMIT that fails (a full disk) leaves them saying what the file says.
bool KvStore::drop_indexes_in_transaction() {
  db_.exec("DELETE FROM indexes");
  put_meta("index_built_at", "-1");
  put_meta("index_complete", "0");
  SqliteStatement q(db_, "SELECT count(*) FROM queries");
  const bool no_queries = q.step() && q.column_int(0) == 0;
  if (no_queries) put_meta("index_settings", "");
  return no_queries;
}

void KvStore::indexes_dropped(bool settings_cleared) {
  index_built_at_ = -1;
  index_complete_ = false;
  if (settings_cleared) index_settings_.clear();
}

}  // namespace tome
