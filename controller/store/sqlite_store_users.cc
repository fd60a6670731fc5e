// SqliteStore: the dashboard's users and sessions (schema migration 7).
#include <sqlite3.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_statement.h"
#include "controller/store/sqlite_store.h"

namespace relayguard::controller {
namespace {

using sql::Statement;
using sql::Transaction;
using sql::UnknownName;

constexpr char kUserColumns[] = "name, role, password_hash, created_at, password_changed_at";
constexpr char kSessionColumns[] =
    "token_hash, user, csrf_token, created_at, expires_at, last_seen";

// The user in the current row of `s` (selected with kUserColumns); DataLoss naming the row when
// its role is no name this build knows.
absl::StatusOr<UserRecord> ReadUser(const std::string& path, const Statement& s) {
  UserRecord u;
  u.name = s.Text(0);
  absl::StatusOr<Role> role = ParseRole(s.Text(1));
  if (!role.ok()) return UnknownName(path, "users", u.name, role.status());
  u.role = *role;
  u.password_hash = s.Text(2);
  u.created_at = s.Int64(3);
  u.password_changed_at = s.Int64(4);
  return u;
}

SessionRecord ReadSession(const Statement& s) {
  return SessionRecord{s.Text(0), s.Text(1), s.Text(2), s.Int64(3), s.Int64(4), s.Int64(5)};
}

}  // namespace

absl::Status SqliteStore::PutUser(const UserRecord& u) {
  const std::string what = absl::StrCat("adding user ", u.name);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  ASSIGN_OR_RETURN(std::optional<UserRecord> existing, User(u.name));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(
        absl::StrCat("user ", u.name, " already exists — nothing was changed"));
  }
  Statement insert(db_, path_, what);
  RETURN_IF_ERROR(insert.Prepare(
      absl::StrCat("INSERT INTO users (", kUserColumns, ") VALUES (?, ?, ?, ?, ?)").c_str()));
  RETURN_IF_ERROR(
      insert.Bind(u.name, RoleName(u.role), u.password_hash, u.created_at, u.password_changed_at)
          .Run());
  return tx.Commit(what);
}

absl::Status SqliteStore::UpdateUser(const UserRecord& u) {
  const std::string what = absl::StrCat("updating user ", u.name);
  Statement update(db_, path_, what);
  RETURN_IF_ERROR(update.Prepare(
      "UPDATE users SET role = ?, password_hash = ?, created_at = ?, password_changed_at = ? "
      "WHERE name = ?"));
  RETURN_IF_ERROR(
      update.Bind(RoleName(u.role), u.password_hash, u.created_at, u.password_changed_at, u.name)
          .Run());
  if (sqlite3_changes(db_) != 1) {
    return absl::NotFoundError(absl::StrCat("there is no user ", u.name, " — nothing was changed"));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::DeleteUser(const std::string& name) {
  const std::string what = absl::StrCat("removing user ", name);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  // Explicitly, not only through the foreign key's cascade: a database opened without
  // foreign keys must not keep sessions of a removed user.
  RETURN_IF_ERROR(DeleteSessionsOf(name).status());
  Statement del(db_, path_, what);
  RETURN_IF_ERROR(del.Prepare("DELETE FROM users WHERE name = ?"));
  RETURN_IF_ERROR(del.Bind(name).Run());
  if (sqlite3_changes(db_) != 1) {
    return absl::NotFoundError(absl::StrCat("there is no user ", name, " — nothing was changed"));
  }
  return tx.Commit(what);
}

absl::StatusOr<UserRecord> SqliteStore::ChangePassword(const std::string& name,
                                                       const std::string& password_hash,
                                                       int64_t changed_at) {
  const std::string what = absl::StrCat("changing the password of user ", name);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  Statement update(db_, path_, what);
  RETURN_IF_ERROR(
      update.Prepare("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?"));
  RETURN_IF_ERROR(update.Bind(password_hash, changed_at, name).Run());
  if (sqlite3_changes(db_) != 1) {
    return absl::NotFoundError(absl::StrCat("there is no user ", name, " — nothing was changed"));
  }
  // Whoever knew the old password is signed out everywhere; if that fails, the old password
  // stays too (the transaction rolls back).
  RETURN_IF_ERROR(DeleteSessionsOf(name).status());
  ASSIGN_OR_RETURN(std::optional<UserRecord> user, User(name));
  if (!user.has_value()) {
    return absl::InternalError(absl::StrCat(what, ": the user vanished inside the transaction"));
  }
  RETURN_IF_ERROR(tx.Commit(what));
  return *std::move(user);
}

absl::StatusOr<std::optional<UserRecord>> SqliteStore::User(const std::string& name) {
  Statement q(db_, path_, absl::StrCat("reading user ", name));
  RETURN_IF_ERROR(
      q.Prepare(absl::StrCat("SELECT ", kUserColumns, " FROM users WHERE name = ?").c_str()));
  ASSIGN_OR_RETURN(bool row, q.Bind(name).Step());
  if (!row) return std::nullopt;
  return ReadUser(path_, q);
}

absl::StatusOr<std::vector<UserRecord>> SqliteStore::Users() {
  Statement q(db_, path_, "listing users");
  RETURN_IF_ERROR(
      q.Prepare(absl::StrCat("SELECT ", kUserColumns, " FROM users ORDER BY name").c_str()));
  std::vector<UserRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(UserRecord user, ReadUser(path_, q));
    out.push_back(std::move(user));
  }
  return out;
}

absl::Status SqliteStore::PutSession(const SessionRecord& s) {
  const std::string what = absl::StrCat("adding a session of user ", s.user);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  RETURN_IF_ERROR(InsertSession(s, what));
  return tx.Commit(what);
}

absl::Status SqliteStore::InsertSession(const SessionRecord& s, const std::string& what) {
  ASSIGN_OR_RETURN(std::optional<UserRecord> user, User(s.user));
  if (!user.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": there is no such user — nothing was changed"));
  }
  ASSIGN_OR_RETURN(std::optional<SessionRecord> existing, Session(s.token_hash));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(
        absl::StrCat(what, ": its token is already in use — nothing was changed"));
  }
  Statement insert(db_, path_, what);
  RETURN_IF_ERROR(insert.Prepare(
      absl::StrCat("INSERT INTO sessions (", kSessionColumns, ") VALUES (?, ?, ?, ?, ?, ?)")
          .c_str()));
  return insert.Bind(s.token_hash, s.user, s.csrf_token, s.created_at, s.expires_at, s.last_seen)
      .Run();
}

absl::StatusOr<int> SqliteStore::OpenSession(const SessionRecord& s,
                                             const SessionCleanup& cleanup) {
  const std::string what = absl::StrCat("starting a session of user ", s.user);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  ASSIGN_OR_RETURN(int removed, DeleteExpiredSessions(cleanup.now));
  Statement ended(db_, path_, absl::StrCat(what, " (removing its ended sessions)"));
  RETURN_IF_ERROR(
      ended.Prepare("DELETE FROM sessions WHERE user = ? AND (created_at <= ? OR last_seen < ?)"));
  RETURN_IF_ERROR(ended.Bind(s.user, cleanup.created_by, cleanup.seen_before).Run());
  removed += sqlite3_changes(db_);
  // The newest keep - 1 stay (ties: the later inserted); the new one makes keep.
  const int64_t keep_old = cleanup.keep == 0 ? 0 : sql::LimitToSql(cleanup.keep - 1);
  Statement oldest(db_, path_, absl::StrCat(what, " (removing its oldest sessions)"));
  RETURN_IF_ERROR(oldest.Prepare(
      "DELETE FROM sessions WHERE user = ? AND rowid NOT IN (SELECT rowid FROM sessions "
      "WHERE user = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)"));
  RETURN_IF_ERROR(oldest.Bind(s.user, s.user, keep_old).Run());
  removed += sqlite3_changes(db_);
  RETURN_IF_ERROR(InsertSession(s, what));
  RETURN_IF_ERROR(tx.Commit(what));
  return removed;
}

absl::StatusOr<std::optional<SessionRecord>> SqliteStore::Session(const std::string& token_hash) {
  // The token hash is a credential of sorts: errors name no more than "a session".
  Statement q(db_, path_, "reading a session");
  RETURN_IF_ERROR(q.Prepare(
      absl::StrCat("SELECT ", kSessionColumns, " FROM sessions WHERE token_hash = ?").c_str()));
  ASSIGN_OR_RETURN(bool row, q.Bind(token_hash).Step());
  if (!row) return std::nullopt;
  return ReadSession(q);
}

absl::Status SqliteStore::TouchSession(const std::string& token_hash, int64_t last_seen) {
  Statement update(db_, path_, "refreshing a session");
  RETURN_IF_ERROR(update.Prepare("UPDATE sessions SET last_seen = ? WHERE token_hash = ?"));
  RETURN_IF_ERROR(update.Bind(last_seen, token_hash).Run());
  if (sqlite3_changes(db_) != 1) return absl::NotFoundError("the session has ended");
  return absl::OkStatus();
}

absl::StatusOr<int> SqliteStore::DeleteSession(const std::string& token_hash) {
  Statement del(db_, path_, "ending a session");
  RETURN_IF_ERROR(del.Prepare("DELETE FROM sessions WHERE token_hash = ?"));
  RETURN_IF_ERROR(del.Bind(token_hash).Run());
  return sqlite3_changes(db_);
}

absl::StatusOr<int> SqliteStore::DeleteSessionsOf(const std::string& user) {
  Statement del(db_, path_, absl::StrCat("ending the sessions of user ", user));
  RETURN_IF_ERROR(del.Prepare("DELETE FROM sessions WHERE user = ?"));
  RETURN_IF_ERROR(del.Bind(user).Run());
  return sqlite3_changes(db_);
}

absl::StatusOr<int> SqliteStore::DeleteExpiredSessions(int64_t now) {
  Statement del(db_, path_, "removing expired sessions");
  RETURN_IF_ERROR(del.Prepare("DELETE FROM sessions WHERE expires_at <= ?"));
  RETURN_IF_ERROR(del.Bind(now).Run());
  return sqlite3_changes(db_);
}

}  // namespace relayguard::controller
