#include "kvstore/sqlite_db.h"

#include <cerrno>
#include <cstring>

#include "common/error.h"

#ifdef TOME_HAVE_SQLITE
#include <sqlite3.h>

namespace tome {

namespace {

// The store's error code for an SQLite result code (extended codes included).
// sys_errno: the OS error of the failing call (sqlite3_system_errno; errno itself may have
// been overwritten by the statement's reset and rollback since).
const char* store_code(int rc, int sys_errno) {
  switch (rc & 0xff) {
    case SQLITE_FULL: return "STORE_FULL";
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH: return "STORE_READONLY";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return "STORE_CORRUPT";
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return "STORE_BUSY";
    case SQLITE_IOERR:
      // a write beyond RLIMIT_FSIZE or a quota reads as an I/O error; say what it is
      if (sys_errno == EFBIG || sys_errno == ENOSPC || sys_errno == EDQUOT) return "STORE_FULL";
      return "STORE_IO";
    default: return "STORE_IO";
  }
}

}  // namespace

bool sqlite_available() { return true; }

SqliteDb::SqliteDb(const std::string& path, bool create, int busy_ms) : path_(path) {
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    const int err = db_ ? sqlite3_system_errno(db_) : errno;
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(store_code(rc, err), "cannot open the KV store " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_ms);
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

bool SqliteDb::has_moved() {
  int moved = 0;
  return sqlite3_file_control(db_, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved != 0;
}

void SqliteDb::fail(int rc, const std::string& what) const {
  std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const char* code = store_code(rc, db_ ? sqlite3_system_errno(db_) : 0);
  if (std::strcmp(code, "STORE_FULL") == 0) msg += " (the disk is full or the file reached its size limit)";
  throw Error(code, "KV store " + path_ + ": " + what + ": " + msg);
}

void SqliteDb::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) fail(rc, std::string("'") + sql + "'");
}

void SqliteDb::rollback_quietly() {
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

SqliteStatement::SqliteStatement(SqliteDb& db, const char* sql) : db_(db) {
  const int rc = sqlite3_prepare_v2(db.handle(), sql, -1, &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, std::string("prepare '") + sql + "'");
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::bind(int i, int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) db_.fail(rc, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int i, const std::string& v) {
  const int rc = sqlite3_bind_text(stmt_, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_.fail(rc, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind_blob(int i, const void* data, size_t size) {
  // SQLITE_STATIC: the caller keeps the bytes alive until step() has run
  const int rc = sqlite3_bind_blob64(stmt_, i, size ? data : "", sqlite3_uint64(size), SQLITE_STATIC);
  if (rc != SQLITE_OK) db_.fail(rc, "bind");
  return *this;
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string sql = sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "";
  sqlite3_reset(stmt_);
  db_.fail(rc, "'" + sql + "'");
}

void SqliteStatement::run() {
  while (step()) {
  }
  reset();
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::column_int(int i) const { return sqlite3_column_int64(stmt_, i); }

std::string SqliteStatement::column_text(int i) const {
  const unsigned char* t = sqlite3_column_text(stmt_, i);
  return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(stmt_, i))) : std::string();
}

const uint8_t* SqliteStatement::column_blob(int i, size_t* size) const {
  const void* p = sqlite3_column_blob(stmt_, i);
  *size = size_t(sqlite3_column_bytes(stmt_, i));
  return static_cast<const uint8_t*>(p);
}

bool SqliteStatement::column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

}  // namespace tome

#else  // no SQLite in this build: every store operation says so

namespace tome {

bool sqlite_available() { return false; }
SqliteDb::SqliteDb(const std::string& path, bool, int) : path_(path) {
  throw Error("STORE_UNAVAILABLE", "this build of tome has no SQLite; the KV store is unavailable");
}
SqliteDb::~SqliteDb() = default;
void SqliteDb::fail(int, const std::string& what) const { throw Error("STORE_UNAVAILABLE", what); }
void SqliteDb::exec(const char*) { fail(0, "no SQLite"); }
void SqliteDb::rollback_quietly() {}
bool SqliteDb::has_moved() { return false; }
SqliteStatement::SqliteStatement(SqliteDb& db, const char*) : db_(db) { db.fail(0, "no SQLite"); }
SqliteStatement::~SqliteStatement() = default;
SqliteStatement& SqliteStatement::bind(int, int64_t) { return *this; }
SqliteStatement& SqliteStatement::bind(int, const std::string&) { return *this; }
SqliteStatement& SqliteStatement::bind_blob(int, const void*, size_t) { return *this; }
bool SqliteStatement::step() { return false; }
void SqliteStatement::run() {}
void SqliteStatement::reset() {}
int64_t SqliteStatement::column_int(int) const { return 0; }
std::string SqliteStatement::column_text(int) const { return {}; }
const uint8_t* SqliteStatement::column_blob(int, size_t* size) const { *size = 0; return nullptr; }
bool SqliteStatement::column_is_null(int) const { return true; }

}  // namespace tome
#endif
