// The SQLite plumbing shared by the store's files: prepared statements with bound values,
// transactions that roll back unless committed, and the integer conversions. Internal to
// controller/store (namespace sql); errors carry what was attempted and the database path.
#ifndef RELAYGUARD_CONTROLLER_STORE_SQLITE_STATEMENT_H_
#define RELAYGUARD_CONTROLLER_STORE_SQLITE_STATEMENT_H_

#include <sqlite3.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace relayguard::controller::sql {

// Bytes bound and read as a BLOB (not TEXT): serialized messages, anything not UTF-8.
struct Blob {
  const std::string& bytes;
};

// SQLite integers are signed 64-bit; unsigned values are stored by their bit pattern so every
// uint64_t round-trips exactly.
inline int64_t ToSql(uint64_t v) { return static_cast<int64_t>(v); }
inline uint64_t FromSql(int64_t v) { return static_cast<uint64_t>(v); }

inline int64_t LimitToSql(size_t limit) {
  return limit > static_cast<size_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(limit);
}

// A stored name that is no known state: the database was written by a newer relayguard or by
// hand. Names the table, the row and the value; never a silent default.
inline absl::Status UnknownName(const std::string& path, const std::string& table,
                                const std::string& row, const absl::Status& parsed) {
  return absl::DataLossError(absl::StrCat("SQLite database ", path, ", table ", table, ", row ",
                                          row, ": ", parsed.message()));
}

inline absl::Status SqlError(sqlite3* db, const std::string& what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " failed for SQLite database ", path, ": ", sqlite3_errmsg(db)));
}

// A prepared statement. Values are always bound, never pasted into the SQL text. Errors carry
// what was attempted and the database path.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& path, std::string what)
      : db_(db), path_(path), what_(std::move(what)) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  absl::Status Prepare(const char* sql) {
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      return Error("preparing");
    }
    return absl::OkStatus();
  }

  // Binds parameters 1..n in order; remembers the first failure for Step.
  template <typename... Args>
  Statement& Bind(const Args&... args) {
    int index = 0;
    (BindOne(++index, args), ...);
    return *this;
  }

  // True when a row is ready, false when done.
  absl::StatusOr<bool> Step() {
    if (!bind_status_.ok()) return bind_status_;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error("executing");
  }

  // Runs a statement that returns no rows.
  absl::Status Run() {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    return absl::OkStatus();
  }

  // Makes the statement ready to run again with new bindings.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
  }
  std::string BlobBytes(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }
  int64_t Int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  int Int(int col) const { return sqlite3_column_int(stmt_, col); }

 private:
  void BindOne(int index, const std::string& v) {
    Check(sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void BindOne(int index, const char* v) {
    Check(sqlite3_bind_text(stmt_, index, v, -1, SQLITE_TRANSIENT));
  }
  void BindOne(int index, const Blob& v) {
    Check(sqlite3_bind_blob(stmt_, index, v.bytes.data(), static_cast<int>(v.bytes.size()),
                            SQLITE_TRANSIENT));
  }
  void BindOne(int index, int64_t v) { Check(sqlite3_bind_int64(stmt_, index, v)); }
  void BindOne(int index, int v) { Check(sqlite3_bind_int64(stmt_, index, v)); }
  void BindOne(int index, bool v) { Check(sqlite3_bind_int64(stmt_, index, v ? 1 : 0)); }

  void Check(int rc) {
    if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = Error("binding parameters for");
  }
  absl::Status Error(const char* verb) const {
    return SqlError(db_, absl::StrCat(verb, " ", what_), path_);
  }

  sqlite3* db_;
  const std::string& path_;
  std::string what_;
  sqlite3_stmt* stmt_ = nullptr;
  absl::Status bind_status_;
};

// Runs SQL without parameters (pragmas, transaction control, migration scripts).
inline absl::Status Exec(sqlite3* db, const std::string& path, const char* sql,
                         const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err != nullptr ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return absl::InternalError(
        absl::StrCat(what, " failed for SQLite database ", path, ": ", message));
  }
  return absl::OkStatus();
}

// BEGIN IMMEDIATE on construction; rolls back unless Commit succeeded.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {}
  ~Transaction() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  absl::Status Begin(const std::string& what) {
    RETURN_IF_ERROR(
        Exec(db_, path_, "BEGIN IMMEDIATE", absl::StrCat("starting a transaction to ", what)));
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status Commit(const std::string& what) {
    RETURN_IF_ERROR(Exec(db_, path_, "COMMIT", absl::StrCat("committing ", what)));
    open_ = false;
    return absl::OkStatus();
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  bool open_ = false;
};


}  // namespace relayguard::controller::sql

#endif  // RELAYGUARD_CONTROLLER_STORE_SQLITE_STATEMENT_H_
