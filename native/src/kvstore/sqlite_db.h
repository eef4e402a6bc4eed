// SqliteDb: the few SQLite calls the KV store needs, as RAII objects whose
// failures are tome::Error with a code a user (and the app) can act on:
//   STORE_FULL      the disk (or the file's size limit) is full       SQLITE_FULL, EFBIG
//   STORE_READONLY  the directory or file cannot be written            SQLITE_READONLY, SQLITE_CANTOPEN
//   STORE_CORRUPT   the file is not a (valid) SQLite database          SQLITE_CORRUPT, SQLITE_NOTADB
//   STORE_BUSY      another process holds the store                    SQLITE_BUSY, SQLITE_LOCKED
//   STORE_IO        any other I/O error
// Built with the SQLite amalgamation that better-sqlite3 ships (symbols hidden,
// so it never meets the app database's copy), or the system library; without
// either, open() throws STORE_UNAVAILABLE (see CMakeLists.txt).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace tome {

class SqliteDb;

// One prepared statement; parameters are 1-based, columns 0-based.
class SqliteStatement {
 public:
  SqliteStatement(SqliteDb& db, const char* sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& bind(int i, int64_t v);
  SqliteStatement& bind(int i, const std::string& v);
  SqliteStatement& bind_blob(int i, const void* data, size_t size);
  // Advances: true while a row is available, false when done.
  bool step();
  // Runs to completion (statements without result rows).
  void run();
  void reset();

  int64_t column_int(int i) const;
  std::string column_text(int i) const;
  // The blob's bytes stay valid until the next step/reset.
  const uint8_t* column_blob(int i, size_t* size) const;
  bool column_is_null(int i) const;

 private:
  SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  // Opens (creating when create is true) the database file at path; a lock held
  // elsewhere is waited for busy_ms, then STORE_BUSY.
  SqliteDb(const std::string& path, bool create, int busy_ms = 2000);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const char* sql);
  // BEGIN IMMEDIATE ... COMMIT; rolled back when fn throws (the error is rethrown).
  template <class Fn>
  void transaction(Fn&& fn) {
    exec("BEGIN IMMEDIATE");
    try {
      fn();
    } catch (...) {
      rollback_quietly();
      throw;
    }
    try {
      exec("COMMIT");
    } catch (...) {
      rollback_quietly();  // a COMMIT that fails (busy, full) may leave the transaction open
      throw;
    }
  }
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }
  // True when the file this connection has open is no longer the one its path
  // names (unlinked or replaced since it was opened).
  bool has_moved();
  // Throws the tome::Error for SQLite result code rc (what: the operation).
  [[noreturn]] void fail(int rc, const std::string& what) const;

 private:
  void rollback_quietly();
  std::string path_;
  sqlite3* db_ = nullptr;
};

// True when this build has SQLite (else every SqliteDb throws STORE_UNAVAILABLE).
bool sqlite_available();

}  // namespace tome
