// KvStore: the durable cache of one document's context, one SQLite file:
// the token ids, the K/V rows of every (layer, KV head) in blocks of
// kBlockTokens positions, the prefill queries kept until the retrieval indexes
// are built, and the indexes' byte images (retrieval/index_io.h, keys left out:
// they are the K rows already stored). Every block carries a checksum.
//
// Schema (one transaction per append, so a killed process leaves the store at
// its last complete chunk: SQLite's WAL makes a commit atomic and durable):
//   meta(key, value)                     identity, n_tokens, index state, checksums version, labels,
//                                        dropped rows (dropped_below, dropped_layers), query_rows
//   tokens(block, n, ids, crc)           ids of positions [block*B, block*B + n)
//   kv(layer, head, block, n, k, v, crc) f16 rows (n, head_dim) of K and V
//   queries(layer, head, pos0, pos1, data, crc)
//                                        query rows captured for [pos0, pos1): bf16 where
//                                        meta query_rows is "bf16" (every store made since it
//                                        was added, and older ones once their indexes are
//                                        complete), else f32 (rows of an older store's read)
//   indexes(layer, head, built_at, image) the image, then (checksums version 2)
//                                        a u64 checksum of it seeded by its key
// A block may hold rows beyond n_tokens (after a truncate): n_tokens bounds reads,
// and the next append rewrites the block from its start. Files made since
// reclaim_free_pages() was added use incremental auto-vacuum. Layers that read only
// a window of past positions (gemma3's local layers) may have their blocks
// below meta dropped_below deleted (drop_rows_below): they are absent by
// design, never damage.
//
// A store whose identity (format, model and tokenizer fingerprints, the
// settings that shape K/V, shape) differs from the one asked for is never
// used: open() throws STORE_MISMATCH. K/V do not depend on the attention mode
// (a prefill is always full attention), so sessions of every mode share one
// store; the queries and indexes belong to the one index kind named by
// index_settings (mode, sinks, window, ...), which other kinds leave alone. SQLite failures map to STORE_FULL / STORE_READONLY /
// STORE_CORRUPT / STORE_BUSY / STORE_IO (kvstore/sqlite_db.h).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kvstore/sqlite_db.h"

namespace tome {

constexpr int kStoreFormatVersion = 1;
constexpr int kStoreBlockTokens = 128;

// What a store must match to be used.
struct StoreIdentity {
  std::string model_fp;      // model/fingerprint.h
  std::string tokenizer_fp;
  std::string settings;      // canonical text of the settings that shape K/V (numerics)
  int n_layer = 0, n_head_kv = 0, head_dim = 0;
};

// Base pointer of (layer, KV head)'s K rows (value = false) or V rows (true):
// f16 rows of head_dim, position p at base + p * head_dim.
using HeadRowsFn = std::function<uint16_t*(int layer, int head, bool value)>;

// Query rows captured for one (layer, KV head) over the positions of a chunk.
struct QueryChunk {
  int layer = 0, head = 0;
  const uint16_t* rows = nullptr;  // bf16, n_rows x head_dim
  int64_t n_rows = 0;
};

class KvStore {
 public:
  // Opens the store at path, creating it (schema and identity in one
  // transaction) when absent or empty.
  static std::unique_ptr<KvStore> open(const std::string& path, const StoreIdentity& id);
  // The meta table of an existing store, identity unchecked (for listings).
  static std::map<std::string, std::string> read_meta(const std::string& path);
  // Deletes the store at path (and SQLite's files beside it) unless a session
  // holds it, deciding under the store's own lock: a listing's "not in use"
  // may be stale by the time it deletes. A session that opened the file just
  // before finds it moved once it gets the lock and opens the path again.
  enum class Removal { kRemoved, kInUse, kAbsent };
  static Removal remove_if_unused(const std::string& path);

  const std::string& path() const { return db_.path(); }
  int64_t n_tokens() const { return n_tokens_; }
  int64_t index_built_at() const { return index_built_at_; }  // -1: no index stored
  bool index_complete() const { return index_complete_; }
  // The index kind the stored queries and indexes belong to ("" when none).
  const std::string& index_settings() const { return index_settings_; }
  void set_index_settings(const std::string& s);

  // Verified reads of the first n positions. Each returns how many leading
  // positions are intact (n when all are): a block whose checksum, size or key
  // does not match ends the intact prefix there; nothing after it is copied.
  int64_t read_tokens(int64_t n, std::vector<int32_t>& out);
  // copy_from, when given: blocks of layer l wholly below row copy_from(l) are
  // verified (they bound the intact prefix as any other) but not copied (a
  // sliding-window layer's rows before its window, which stay in the store).
  // Dropped blocks (dropped()) are neither read nor copied.
  int64_t read_kv(const HeadRowsFn& rows, int64_t n, const std::function<int64_t(int layer)>& copy_from = nullptr);
  // One block of (layer, head), verified, handed to use(k, v, rows): its K and
  // V bytes (rows of head_dim f16), valid during the call. false (use not
  // called) when the block is missing or fails its checksum. Reuses one
  // prepared statement (not thread-safe).
  bool read_block(int layer, int head, int64_t block,
                  const std::function<void(const uint8_t* k, const uint8_t* v, int64_t rows)>& use);
  // Query rows of (layer, head) for chunks wholly below n, in position order;
  // returns the end of the contiguous, intact chunks (<= n). A chunk of more
  // than max_rows_per_pos rows a position (a prefill captures at most one row
  // per query head of the group) ends the intact chunks: a crafted store
  // cannot make the reader allocate more than a real prefill would.
  // Rows come out as bf16 whatever the store holds.
  int64_t read_queries(int layer, int head, int64_t n, int64_t max_rows_per_pos, std::vector<uint16_t>& out);

  // Commits positions [pos0, pos1): their K/V rows (whole blocks from the
  // block's start), token ids (tokens[0, pos1)), the chunk's query rows, and
  // n_tokens = pos1, in one transaction.
  void append(const HeadRowsFn& rows, const int32_t* tokens, int64_t pos0, int64_t pos1,
              const std::vector<QueryChunk>& queries);
  // Layer-major prefill (Session::prefill_document): one layer's K/V rows of
  // positions [pos0, pos1) (whole blocks from the block's start) and that
  // layer's query chunks, in one transaction, n_tokens untouched: rows past
  // n_tokens are not read back until commit_tokens() covers them, so a kill
  // before it leaves the store at its last commit. Blocks wholly below
  // skip_below are not written (a sealed prefix's sliding-window layer, whose
  // commit drops them).
  void put_layer(int layer, const HeadRowsFn& rows, int64_t pos0, int64_t pos1, const std::vector<QueryChunk>& queries,
                 int64_t skip_below = 0);
  // The token ids of [pos0, pos1) and n_tokens = pos1, once every layer's rows
  // are put; with drop_layers, drop_rows_below(drop_layers, drop_below) in the
  // same transaction (the blocks put_layer skipped are then never missing).
  void commit_tokens(const int32_t* tokens, int64_t pos0, int64_t pos1, const std::vector<int>& drop_layers = {},
                     int64_t drop_below = 0);
  // Undoes what put_layer() and put_index() wrote past n_tokens (a layer-major
  // prefill stopped before commit_tokens): the K/V blocks past it deleted, the
  // block holding it cut back to its committed rows (checksum verified, then
  // made again), the query chunks ending past it and the indexes built past it
  // dropped; one transaction. The store is then what its last commit left.
  void discard_uncommitted();
  // Forgets positions from n on (rows stay until overwritten, n_tokens bounds
  // them), and the indexes when they were built over more than n positions.
  // dropped_below falls to n's block (the blocks from there on are past n).
  // A query chunk straddling n is dropped whole, unless query_rows(pos0, pos1)
  // says how many rows a chunk of (layer, head) holds for [pos0, pos1) (the
  // session's sampling): then a chunk that holds exactly query_rows(pos0, pos1)
  // rows and passes its checksum is cut to its rows of [pos0, n), so that the
  // store keeps every row of the positions it keeps.
  using QueryRowsFn = std::function<int64_t(int64_t pos0, int64_t pos1)>;
  void truncate(int64_t n, const QueryRowsFn& query_rows = nullptr);

  // Deletes the K/V blocks of `layers` wholly below position pos (rounded down
  // to a block; at most the committed blocks), one transaction, recorded in
  // meta so a reopen expects them absent. For layers that attend a window only:
  // a context of n positions then needs their rows from its window's start on,
  // which the caller keeps at or above dropped_below(). The layers must be those
  // of earlier drops; a pos at or below dropped_below() changes nothing.
  void drop_rows_below(const std::vector<int>& layers, int64_t pos);
  int64_t dropped_below() const { return dropped_below_; }  // a multiple of kStoreBlockTokens; 0: none
  bool dropped(int layer, int64_t block) const {
    return block * kStoreBlockTokens < dropped_below_ && layer >= 0 && size_t(layer) < dropped_layer_.size() &&
           dropped_layer_[size_t(layer)];
  }

  void put_index(int layer, int head, int64_t built_at, const std::vector<uint8_t>& image);
  // false when (layer, head) has no stored index built at built_at, or its
  // image fails the store's checksum (one stored under another key, too).
  // Images written by a store's own checksums version; see kv_store.cpp.
  bool read_index(int layer, int head, int64_t built_at, std::vector<uint8_t>& image);
  // Marks the indexes built at built_at complete and drops the queries (then
  // reclaim_free_pages(): they took as much as the indexed layers' K/V).
  void set_index_complete(int64_t built_at);
  // Gives the file's free pages (deleted rows) back to the file system when
  // they are a sizeable part of it: a store made with auto_vacuum (every store
  // since this was added) moves its last pages into the holes and shrinks.
  // A failure (a full disk) leaves the free pages for later writes. Not after
  // the drops of a document being read: the next commit reuses those pages.
  void reclaim_free_pages();
  // Drops the indexes (and the index kind, unless queries remain).
  void drop_indexes();

  void set_label(const std::string& key, const std::string& value);
  void touch();  // last_used = now

 private:
  KvStore(const std::string& path, const StoreIdentity& id);
  void create_schema();
  void check_identity(const std::map<std::string, std::string>& meta) const;
  void load_state(const std::map<std::string, std::string>& meta);
  void put_meta(const std::string& key, const std::string& value);

  SqliteDb db_;
  std::unique_ptr<SqliteStatement> block_query_;  // read_block's statement
  StoreIdentity id_;
  int64_t n_tokens_ = 0;
  int64_t index_built_at_ = -1;
  bool index_complete_ = false;
  int64_t dropped_below_ = 0;
  std::vector<bool> dropped_layer_;  // per layer (empty: none dropped)
  std::string index_settings_;
  int checksums_ = 1;  // meta "checksums": what the query and index checksums cover (kv_store.cpp)
  bool query_bf16_ = false;  // meta "query_rows": the stored query rows' format (bf16, else f32)
  // Deletes the stored indexes within the caller's transaction; true when the
  // index kind was cleared too (no queries left). The caller then applies
  // indexes_dropped(that) after the commit.
  bool drop_indexes_in_transaction();
  void indexes_dropped(bool settings_cleared);
  void write_kv_blocks(int l0, int l1, const HeadRowsFn& rows, int64_t pos0, int64_t pos1, int64_t skip_below = 0);
  // drop_rows_below's parts: the layers as a mask (checked against earlier
  // drops), the deletes and meta within the caller's transaction, then the fields.
  std::vector<bool> drop_mask(const std::vector<int>& layers) const;
  void drop_in_transaction(const std::vector<bool>& mask, int64_t to);
  void rows_dropped(const std::vector<bool>& mask, int64_t to);
  void write_token_blocks(const int32_t* tokens, int64_t pos0, int64_t pos1);
  void write_queries(const std::vector<QueryChunk>& queries, int64_t pos0, int64_t pos1);
  // truncate(n)'s cut of the query chunks straddling n (in its transaction).
  void cut_query_chunks(int64_t n, const QueryRowsFn& query_rows);
};

}  // namespace tome
