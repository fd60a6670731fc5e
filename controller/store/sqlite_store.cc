#include "controller/store/sqlite_store.h"

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <ctime>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_statement.h"

namespace relayguard::controller {
namespace {

using sql::Exec;
using sql::FromSql;
using sql::LimitToSql;
using sql::SqlError;
using sql::Statement;
using sql::ToSql;
using sql::Transaction;
using sql::UnknownName;

// Schema migrations, applied in order, one transaction each. Append only: a released entry never
// changes, a schema change is a new entry. Migration N is recorded as version N.
constexpr std::array<const char*, 9> kMigrations = {
    // 1: every table.
    R"sql(
CREATE TABLE hosts (
  name TEXT PRIMARY KEY NOT NULL,
  mta TEXT NOT NULL,
  mta_version TEXT NOT NULL,
  applied_policy TEXT NOT NULL,
  applied_version INTEGER NOT NULL,
  backup_head TEXT NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE TABLE host_labels (
  host TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (host, key)
);
CREATE TABLE policy_versions (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  yaml TEXT NOT NULL,
  loaded_at INTEGER NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE TABLE rollouts (
  id TEXT PRIMARY KEY NOT NULL,
  policy TEXT NOT NULL,
  version INTEGER NOT NULL,
  wave_failure_budget INTEGER NOT NULL,
  pause_between_waves INTEGER NOT NULL,
  rollback_on_halt INTEGER NOT NULL,
  offline_deadline_s INTEGER NOT NULL,
  status INTEGER NOT NULL,
  current_wave INTEGER NOT NULL,
  halt_reason TEXT NOT NULL,
  next_nonce INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE rollout_targets (
  rollout_id TEXT NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  host TEXT NOT NULL,
  PRIMARY KEY (rollout_id, position)
);
CREATE TABLE rollout_waves (
  rollout_id TEXT NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  percent INTEGER NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (rollout_id, position)
);
CREATE TABLE rollout_hosts (
  rollout_id TEXT NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  phase INTEGER NOT NULL,
  wave INTEGER NOT NULL,
  nonce TEXT NOT NULL,
  pushed_at INTEGER NOT NULL,
  error TEXT NOT NULL,
  PRIMARY KEY (rollout_id, host)
);
CREATE TABLE results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rollout_id TEXT NOT NULL,
  host TEXT NOT NULL,
  nonce TEXT NOT NULL,
  outcome TEXT NOT NULL,
  phase TEXT NOT NULL,
  error TEXT NOT NULL,
  diff TEXT NOT NULL,
  backup_commit TEXT NOT NULL,
  result_commit TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX results_rollout_at ON results (rollout_id, at);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  who TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  result TEXT NOT NULL
);
CREATE TABLE counters (
  name TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
);
)sql",
    // 2: a host's recent results are read on every host page.
    R"sql(
CREATE INDEX results_host_at ON results (host, at);
)sql",
    // 3: a rollback of a rollout looks up each host's result in it.
    R"sql(
CREATE INDEX results_rollout_host_at ON results (rollout_id, host, at);
)sql",
    // 4: scheduled compliance checks (the agent's report kept whole, plus columns to query) and
    // the enforcement holds put when a policy version spent its failure budget.
    R"sql(
CREATE TABLE compliance_checks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host TEXT NOT NULL,
  seq INTEGER NOT NULL,
  policy TEXT NOT NULL,
  version INTEGER NOT NULL,
  mode TEXT NOT NULL,
  status TEXT NOT NULL,
  checked_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  summary TEXT NOT NULL,
  enforcement TEXT NOT NULL,
  error TEXT NOT NULL,
  report BLOB NOT NULL,
  UNIQUE (host, seq)
);
CREATE INDEX compliance_checks_host_checked ON compliance_checks (host, checked_at, seq);
CREATE INDEX compliance_checks_checked ON compliance_checks (checked_at);
CREATE INDEX compliance_checks_enforcement ON compliance_checks (policy, version, enforcement);
CREATE TABLE enforce_holds (
  policy TEXT NOT NULL,
  version INTEGER NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (policy, version)
);
)sql",
    // 5: rollout status and host phase by name, not by enum position (reordering an enum must
    // not change what a saved rollout means). The positions are those of schema 4's code
    // (tests/data/store/controller-schema4.sqlite); a value outside them is kept as its digits,
    // which the store reports as an unknown name on reading instead of guessing.
    R"sql(
ALTER TABLE rollouts ADD COLUMN status_name TEXT NOT NULL DEFAULT '';
UPDATE rollouts SET status_name = CASE status WHEN 0 THEN 'running' WHEN 1 THEN 'paused'
  WHEN 2 THEN 'halted' WHEN 3 THEN 'aborted' WHEN 4 THEN 'succeeded'
  ELSE CAST(status AS TEXT) END;
ALTER TABLE rollouts DROP COLUMN status;
ALTER TABLE rollouts RENAME COLUMN status_name TO status;
ALTER TABLE rollout_hosts ADD COLUMN phase_name TEXT NOT NULL DEFAULT '';
UPDATE rollout_hosts SET phase_name = CASE phase WHEN 0 THEN 'waiting' WHEN 1 THEN 'pending'
  WHEN 2 THEN 'pushed' WHEN 3 THEN 'succeeded' WHEN 4 THEN 'failed' WHEN 5 THEN 'rolling-back'
  WHEN 6 THEN 'rolled-back' ELSE CAST(phase AS TEXT) END;
ALTER TABLE rollout_hosts DROP COLUMN phase;
ALTER TABLE rollout_hosts RENAME COLUMN phase_name TO phase;
)sql",
    // 6: the reason an operator gives for an action (audit) and for starting a rollout; rows
    // written before have none ('').
    R"sql(
ALTER TABLE audit ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE rollouts ADD COLUMN reason TEXT NOT NULL DEFAULT '';
)sql",
    // 7: the dashboard's accounts (argon2id hashes) and server-side sessions (the SHA-256 of
    // each token, never the token).
    R"sql(
CREATE TABLE users (
  name TEXT PRIMARY KEY NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY NOT NULL,
  user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
)sql",
    // 8: the log monitor's attempt reports: one row per report (its totals), one per source
    // listed in it (deleted with its report).
    R"sql(
CREATE TABLE attempt_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host TEXT NOT NULL,
  seq INTEGER NOT NULL,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  other_sources INTEGER NOT NULL,
  refused INTEGER NOT NULL,
  sasl_failures INTEGER NOT NULL,
  relayed INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  unknown_lines INTEGER NOT NULL,
  log_source TEXT NOT NULL,
  warnings BLOB NOT NULL,
  UNIQUE (host, seq)
);
CREATE INDEX attempt_reports_host_end ON attempt_reports (host, period_end);
CREATE INDEX attempt_reports_end ON attempt_reports (period_end);
CREATE TABLE attempts (
  report_id INTEGER NOT NULL REFERENCES attempt_reports(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  host TEXT NOT NULL,
  seq INTEGER NOT NULL,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  source TEXT NOT NULL,
  refused INTEGER NOT NULL,
  recipients INTEGER NOT NULL,
  sasl_failures INTEGER NOT NULL,
  relayed INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  samples BLOB NOT NULL,
  over_threshold INTEGER NOT NULL,
  PRIMARY KEY (report_id, position)
);
CREATE INDEX attempts_host_end ON attempts (host, period_end);
CREATE INDEX attempts_end ON attempts (period_end);
)sql",
    // 9: the fleet rollbacks sent and not answered yet (deleted with the storing of their answer),
    // re-sent with their nonce by a restarted controller.
    R"sql(
CREATE TABLE pending_rollbacks (
  host TEXT NOT NULL,
  nonce TEXT NOT NULL,
  rollout_id TEXT NOT NULL,
  to_commit TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  PRIMARY KEY (host, nonce)
);
)sql",
};

absl::Status SetPragmas(sqlite3* db, const std::string& path) {
  RETURN_IF_ERROR(Exec(db, path, "PRAGMA busy_timeout=5000", "setting busy_timeout"));
  {
    Statement wal(db, path, "PRAGMA journal_mode=WAL");
    RETURN_IF_ERROR(wal.Prepare("PRAGMA journal_mode=WAL"));
    ASSIGN_OR_RETURN(bool row, wal.Step());
    std::string mode = row ? wal.Text(0) : "";
    if (mode != "wal" && path != ":memory:") {
      return absl::FailedPreconditionError(absl::StrCat(
          "turning on WAL for SQLite database ", path, " failed: journal_mode is '", mode,
          "'; the database must be on a local file system that supports shared memory"));
    }
  }
  RETURN_IF_ERROR(Exec(db, path, "PRAGMA foreign_keys=ON", "turning on foreign keys"));
  RETURN_IF_ERROR(Exec(db, path, "PRAGMA synchronous=NORMAL", "setting synchronous=NORMAL"));
  return absl::OkStatus();
}

// Applies the migrations not yet recorded; returns how many are applied in total.
absl::StatusOr<int> Migrate(sqlite3* db, const std::string& path) {
  RETURN_IF_ERROR(Exec(db, path,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                       "creating schema_migrations"));
  std::vector<int64_t> applied;
  {
    Statement q(db, path, "reading schema_migrations");
    RETURN_IF_ERROR(q.Prepare("SELECT version FROM schema_migrations ORDER BY version"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      applied.push_back(q.Int64(0));
    }
  }
  for (int64_t v : applied) {
    if (v < 1 || v > static_cast<int64_t>(kMigrations.size())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "SQLite database ", path, " has schema migration ", v, " but this controller knows only ",
          kMigrations.size(), "; it was written by a newer relayguard — upgrade the controller"));
    }
  }
  for (size_t i = 0; i < kMigrations.size(); ++i) {
    int64_t version = static_cast<int64_t>(i) + 1;
    bool done = false;
    for (int64_t v : applied) done = done || v == version;
    if (done) continue;
    std::string what = absl::StrCat("schema migration ", version);
    Transaction tx(db, path);
    RETURN_IF_ERROR(tx.Begin(what));
    RETURN_IF_ERROR(Exec(db, path, kMigrations[i], what));
    Statement record(db, path, absl::StrCat("recording ", what));
    RETURN_IF_ERROR(
        record.Prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"));
    RETURN_IF_ERROR(record.Bind(version, static_cast<int64_t>(std::time(nullptr))).Run());
    RETURN_IF_ERROR(tx.Commit(what));
  }
  return static_cast<int>(kMigrations.size());
}

constexpr char kHostColumns[] =
    "name, mta, mta_version, applied_policy, applied_version, backup_head, last_seen";

HostRecord ReadHost(const Statement& s) {
  HostRecord h;
  h.name = s.Text(0);
  h.mta = s.Text(1);
  h.mta_version = s.Text(2);
  h.applied_policy = s.Text(3);
  h.applied_version = FromSql(s.Int64(4));
  h.backup_head = s.Text(5);
  h.last_seen = s.Int64(6);
  return h;
}

PolicyVersionRecord ReadPolicy(const Statement& s) {
  return PolicyVersionRecord{s.Text(0), FromSql(s.Int64(1)), s.Text(2), s.Int64(3)};
}

constexpr char kResultColumns[] =
    "rollout_id, host, nonce, outcome, phase, error, diff, backup_commit, result_commit, at";

// Reads the result in the current row of `s` (selected with kResultColumns); DataLoss naming
// the row when its outcome is no name this build knows.
absl::StatusOr<HostResult> ReadResult(const std::string& path, const Statement& s) {
  HostResult r;
  r.rollout_id = s.Text(0);
  r.host = s.Text(1);
  r.nonce = s.Text(2);
  absl::StatusOr<ApplyOutcome> outcome = ParseApplyOutcome(s.Text(3));
  if (!outcome.ok()) {
    return UnknownName(path, "results", absl::StrCat("host ", r.host, " nonce ", r.nonce),
                       outcome.status());
  }
  r.outcome = *outcome;
  r.phase = s.Text(4);
  r.error = s.Text(5);
  r.diff = s.Text(6);
  r.backup_commit = s.Text(7);
  r.result_commit = s.Text(8);
  r.at = s.Int64(9);
  return r;
}

constexpr char kRolloutColumns[] =
    "id, policy, version, wave_failure_budget, pause_between_waves, rollback_on_halt, "
    "offline_deadline_s, status, current_wave, halt_reason, next_nonce, created_by, created_at, "
    "updated_at, reason";

// Reads the rollout in the current row of `row` (selected with kRolloutColumns) and its targets,
// waves and per-host progress.
absl::StatusOr<RolloutRecord> ReadRollout(sqlite3* db, const std::string& path,
                                          const Statement& row) {
  RolloutRecord r;
  RolloutSpec& spec = r.spec;
  RolloutState& state = r.state;
  spec.id = row.Text(0);
  spec.policy = row.Text(1);
  spec.version = FromSql(row.Int64(2));
  spec.wave_failure_budget = row.Int(3);
  spec.pause_between_waves = row.Int64(4) != 0;
  spec.rollback_on_halt = row.Int64(5) != 0;
  spec.offline_deadline_s = row.Int64(6);
  absl::StatusOr<RolloutStatus> status = ParseRolloutStatus(row.Text(7));
  if (!status.ok()) return UnknownName(path, "rollouts", spec.id, status.status());
  state.status = *status;
  state.current_wave = row.Int(8);
  state.halt_reason = row.Text(9);
  state.next_nonce = FromSql(row.Int64(10));
  r.created_by = row.Text(11);
  r.created_at = row.Int64(12);
  r.updated_at = row.Int64(13);
  r.reason = row.Text(14);

  std::string what = absl::StrCat("reading rollout ", spec.id);
  Statement targets(db, path, what);
  RETURN_IF_ERROR(
      targets.Prepare("SELECT host FROM rollout_targets WHERE rollout_id = ? ORDER BY position"));
  targets.Bind(spec.id);
  for (;;) {
    ASSIGN_OR_RETURN(bool more, targets.Step());
    if (!more) break;
    spec.hosts.push_back(targets.Text(0));
  }
  Statement waves(db, path, what);
  RETURN_IF_ERROR(waves.Prepare(
      "SELECT percent, value FROM rollout_waves WHERE rollout_id = ? ORDER BY position"));
  waves.Bind(spec.id);
  for (;;) {
    ASSIGN_OR_RETURN(bool more, waves.Step());
    if (!more) break;
    spec.waves.push_back(WaveSize{waves.Int64(0) != 0, waves.Int(1)});
  }
  Statement hosts(db, path, what);
  RETURN_IF_ERROR(hosts.Prepare(
      "SELECT host, phase, wave, nonce, pushed_at, error FROM rollout_hosts WHERE rollout_id = ?"));
  hosts.Bind(spec.id);
  for (;;) {
    ASSIGN_OR_RETURN(bool more, hosts.Step());
    if (!more) break;
    absl::StatusOr<HostPhase> phase = ParseHostPhase(hosts.Text(1));
    if (!phase.ok()) {
      return UnknownName(path, "rollout_hosts", absl::StrCat(spec.id, " host ", hosts.Text(0)),
                         phase.status());
    }
    state.hosts[hosts.Text(0)] = HostProgress{*phase, hosts.Int(2), hosts.Text(3), hosts.Int64(4),
                                              hosts.Text(5)};
  }
  return r;
}

}  // namespace

SqliteStore::SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

SqliteStore::~SqliteStore() { sqlite3_close_v2(db_); }

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return absl::FailedPreconditionError(
        absl::StrCat("opening SQLite database ", path, " failed: ", message,
                     "; check that the directory exists and is writable by the controller"));
  }
  // The store owns the handle from here on, so every early return closes it.
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path));
  RETURN_IF_ERROR(SetPragmas(db, store->path_));
  ASSIGN_OR_RETURN(store->schema_version_, Migrate(db, store->path_));
  return store;
}

int SqliteStore::SchemaVersion() const { return schema_version_; }

absl::Status SqliteStore::UpsertHost(const HostRecord& host) {
  std::string what = absl::StrCat("saving host ", host.name);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  Statement upsert(db_, path_, what);
  RETURN_IF_ERROR(upsert.Prepare(
      "INSERT INTO hosts (name, mta, mta_version, applied_policy, applied_version, backup_head, "
      "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
      "mta = excluded.mta, mta_version = excluded.mta_version, "
      "applied_policy = excluded.applied_policy, applied_version = excluded.applied_version, "
      "backup_head = excluded.backup_head, last_seen = excluded.last_seen"));
  RETURN_IF_ERROR(upsert
                      .Bind(host.name, host.mta, host.mta_version, host.applied_policy,
                            ToSql(host.applied_version), host.backup_head, host.last_seen)
                      .Run());
  Statement clear(db_, path_, absl::StrCat("clearing labels of host ", host.name));
  RETURN_IF_ERROR(clear.Prepare("DELETE FROM host_labels WHERE host = ?"));
  RETURN_IF_ERROR(clear.Bind(host.name).Run());
  Statement label(db_, path_, absl::StrCat("saving labels of host ", host.name));
  RETURN_IF_ERROR(label.Prepare("INSERT INTO host_labels (host, key, value) VALUES (?, ?, ?)"));
  for (const auto& [key, value] : host.labels) {
    label.Reset();
    RETURN_IF_ERROR(label.Bind(host.name, key, value).Run());
  }
  return tx.Commit(what);
}

absl::StatusOr<std::vector<HostRecord>> SqliteStore::Hosts() {
  std::vector<HostRecord> hosts;
  std::map<std::string, size_t> index;
  Statement q(db_, path_, "listing hosts");
  RETURN_IF_ERROR(
      q.Prepare(absl::StrCat("SELECT ", kHostColumns, " FROM hosts ORDER BY name").c_str()));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    index[q.Text(0)] = hosts.size();
    hosts.push_back(ReadHost(q));
  }
  Statement labels(db_, path_, "listing host labels");
  RETURN_IF_ERROR(labels.Prepare("SELECT host, key, value FROM host_labels"));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, labels.Step());
    if (!row) break;
    auto it = index.find(labels.Text(0));
    if (it != index.end()) hosts[it->second].labels[labels.Text(1)] = labels.Text(2);
  }
  return hosts;
}

absl::StatusOr<std::optional<HostRecord>> SqliteStore::Host(const std::string& name) {
  std::string what = absl::StrCat("reading host ", name);
  Statement q(db_, path_, what);
  RETURN_IF_ERROR(
      q.Prepare(absl::StrCat("SELECT ", kHostColumns, " FROM hosts WHERE name = ?").c_str()));
  ASSIGN_OR_RETURN(bool row, q.Bind(name).Step());
  if (!row) return std::nullopt;
  HostRecord host = ReadHost(q);
  Statement labels(db_, path_, what);
  RETURN_IF_ERROR(labels.Prepare("SELECT key, value FROM host_labels WHERE host = ?"));
  labels.Bind(name);
  for (;;) {
    ASSIGN_OR_RETURN(bool label_row, labels.Step());
    if (!label_row) break;
    host.labels[labels.Text(0)] = labels.Text(1);
  }
  return host;
}

absl::Status SqliteStore::PutPolicyVersion(const PolicyVersionRecord& policy) {
  std::string what = absl::StrCat("storing policy ", policy.name, " version ", policy.version);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  Statement existing(db_, path_, what);
  RETURN_IF_ERROR(
      existing.Prepare("SELECT yaml FROM policy_versions WHERE name = ? AND version = ?"));
  ASSIGN_OR_RETURN(bool row, existing.Bind(policy.name, ToSql(policy.version)).Step());
  if (row) {
    if (existing.Text(0) == policy.yaml) return absl::OkStatus();  // same text: nothing to do
    return absl::AlreadyExistsError(absl::StrCat(
        "policy ", policy.name, " version ", policy.version,
        " is already stored with different text; bump the version in the playbook to change it"));
  }
  Statement insert(db_, path_, what);
  RETURN_IF_ERROR(insert.Prepare(
      "INSERT INTO policy_versions (name, version, yaml, loaded_at) VALUES (?, ?, ?, ?)"));
  RETURN_IF_ERROR(
      insert.Bind(policy.name, ToSql(policy.version), policy.yaml, policy.loaded_at).Run());
  return tx.Commit(what);
}

absl::StatusOr<std::optional<PolicyVersionRecord>> SqliteStore::PolicyVersion(
    const std::string& name, uint64_t version) {
  Statement q(db_, path_, absl::StrCat("reading policy ", name, " version ", version));
  RETURN_IF_ERROR(q.Prepare(
      "SELECT name, version, yaml, loaded_at FROM policy_versions WHERE name = ? AND version = ?"));
  ASSIGN_OR_RETURN(bool row, q.Bind(name, ToSql(version)).Step());
  if (!row) return std::nullopt;
  return ReadPolicy(q);
}

absl::StatusOr<std::vector<PolicyVersionRecord>> SqliteStore::LatestPolicies() {
  // Versions compare as signed 64-bit integers here; versions above 2^63 are not expected.
  Statement q(db_, path_, "listing the newest policy versions");
  RETURN_IF_ERROR(
      q.Prepare("SELECT p.name, p.version, p.yaml, p.loaded_at FROM policy_versions p "
                "WHERE p.version = (SELECT MAX(version) FROM policy_versions WHERE name = p.name) "
                "ORDER BY p.name"));
  std::vector<PolicyVersionRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(ReadPolicy(q));
  }
  return out;
}

absl::StatusOr<std::string> SqliteStore::NextRolloutId() {
  const std::string what = "allocating a rollout id";
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  Statement bump(db_, path_, what);
  RETURN_IF_ERROR(
      bump.Prepare("INSERT INTO counters (name, value) VALUES (?, 1) "
                   "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value"));
  ASSIGN_OR_RETURN(bool row, bump.Bind("rollout").Step());
  if (!row) return SqlError(db_, what, path_);
  int64_t n = bump.Int64(0);
  // RETURNING rows must be stepped to the end before COMMIT.
  ASSIGN_OR_RETURN(bool more, bump.Step());
  (void)more;
  RETURN_IF_ERROR(tx.Commit(what));
  return absl::StrCat("r-", absl::Dec(n, absl::kZeroPad6));
}

absl::Status SqliteStore::SaveRollout(const RolloutRecord& rollout) {
  std::string what = absl::StrCat("saving rollout ", rollout.spec.id);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  RETURN_IF_ERROR(WriteRollout(rollout, what));
  return tx.Commit(what);
}

absl::Status SqliteStore::CreateRollout(const RolloutRecord& rollout, const AuditEntry& start) {
  std::string what = absl::StrCat("creating rollout ", rollout.spec.id);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  RETURN_IF_ERROR(WriteRollout(rollout, what));
  RETURN_IF_ERROR(Audit(start).status());
  return tx.Commit(what);
}

absl::Status SqliteStore::WriteRollout(const RolloutRecord& rollout, const std::string& what) {
  const RolloutSpec& spec = rollout.spec;
  const RolloutState& state = rollout.state;
  Statement upsert(db_, path_, what);
  RETURN_IF_ERROR(upsert.Prepare(
      absl::StrCat(
          "INSERT INTO rollouts (", kRolloutColumns,
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
          "policy = excluded.policy, version = excluded.version, "
          "wave_failure_budget = excluded.wave_failure_budget, "
          "pause_between_waves = excluded.pause_between_waves, "
          "rollback_on_halt = excluded.rollback_on_halt, "
          "offline_deadline_s = excluded.offline_deadline_s, status = excluded.status, "
          "current_wave = excluded.current_wave, halt_reason = excluded.halt_reason, "
          "next_nonce = excluded.next_nonce, created_by = excluded.created_by, "
          "created_at = excluded.created_at, updated_at = excluded.updated_at, "
          "reason = excluded.reason")
          .c_str()));
  RETURN_IF_ERROR(upsert
                      .Bind(spec.id, spec.policy, ToSql(spec.version), spec.wave_failure_budget,
                            spec.pause_between_waves, spec.rollback_on_halt,
                            spec.offline_deadline_s, RolloutStatusName(state.status),
                            state.current_wave, state.halt_reason, ToSql(state.next_nonce),
                            rollout.created_by, rollout.created_at, rollout.updated_at,
                            rollout.reason)
                      .Run());
  // The children are replaced wholesale: simpler than diffing and still one transaction.
  for (const char* sql : {"DELETE FROM rollout_targets WHERE rollout_id = ?",
                          "DELETE FROM rollout_waves WHERE rollout_id = ?",
                          "DELETE FROM rollout_hosts WHERE rollout_id = ?"}) {
    Statement clear(db_, path_, what);
    RETURN_IF_ERROR(clear.Prepare(sql));
    RETURN_IF_ERROR(clear.Bind(spec.id).Run());
  }
  Statement target(db_, path_, absl::StrCat("saving targets of rollout ", spec.id));
  RETURN_IF_ERROR(
      target.Prepare("INSERT INTO rollout_targets (rollout_id, position, host) VALUES (?, ?, ?)"));
  for (size_t i = 0; i < spec.hosts.size(); ++i) {
    target.Reset();
    RETURN_IF_ERROR(target.Bind(spec.id, static_cast<int64_t>(i), spec.hosts[i]).Run());
  }
  Statement wave(db_, path_, absl::StrCat("saving waves of rollout ", spec.id));
  RETURN_IF_ERROR(wave.Prepare(
      "INSERT INTO rollout_waves (rollout_id, position, percent, value) VALUES (?, ?, ?, ?)"));
  for (size_t i = 0; i < spec.waves.size(); ++i) {
    wave.Reset();
    RETURN_IF_ERROR(
        wave.Bind(spec.id, static_cast<int64_t>(i), spec.waves[i].percent, spec.waves[i].value)
            .Run());
  }
  Statement host(db_, path_, absl::StrCat("saving host progress of rollout ", spec.id));
  RETURN_IF_ERROR(host.Prepare(
      "INSERT INTO rollout_hosts (rollout_id, host, phase, wave, nonce, pushed_at, error) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  for (const auto& [name, p] : state.hosts) {
    host.Reset();
    RETURN_IF_ERROR(
        host.Bind(spec.id, name, HostPhaseName(p.phase), p.wave, p.nonce, p.pushed_at, p.error)
            .Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::SaveRolloutProgress(const std::string& id, const RolloutState& state,
                                              int64_t updated_at,
                                              const std::vector<std::string>& changed_hosts) {
  std::string what = absl::StrCat("saving progress of rollout ", id);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  Statement update(db_, path_, what);
  RETURN_IF_ERROR(update.Prepare(
      "UPDATE rollouts SET status = ?, current_wave = ?, halt_reason = ?, next_nonce = ?, "
      "updated_at = ? WHERE id = ?"));
  RETURN_IF_ERROR(update
                      .Bind(RolloutStatusName(state.status), state.current_wave, state.halt_reason,
                            ToSql(state.next_nonce), updated_at, id)
                      .Run());
  if (sqlite3_changes(db_) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": the rollout was never saved in ", path_));
  }
  Statement host(db_, path_, what);
  RETURN_IF_ERROR(host.Prepare(
      "INSERT OR REPLACE INTO rollout_hosts (rollout_id, host, phase, wave, nonce, pushed_at, "
      "error) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  for (const std::string& name : changed_hosts) {
    auto it = state.hosts.find(name);
    if (it == state.hosts.end()) continue;
    const HostProgress& p = it->second;
    host.Reset();
    RETURN_IF_ERROR(
        host.Bind(id, name, HostPhaseName(p.phase), p.wave, p.nonce, p.pushed_at, p.error)
            .Run());
  }
  return tx.Commit(what);
}

absl::StatusOr<std::optional<RolloutRecord>> SqliteStore::Rollout(const std::string& id) {
  Statement q(db_, path_, absl::StrCat("reading rollout ", id));
  RETURN_IF_ERROR(
      q.Prepare(absl::StrCat("SELECT ", kRolloutColumns, " FROM rollouts WHERE id = ?").c_str()));
  ASSIGN_OR_RETURN(bool row, q.Bind(id).Step());
  if (!row) return std::nullopt;
  return ReadRollout(db_, path_, q);
}

absl::StatusOr<std::vector<RolloutRecord>> SqliteStore::Rollouts() {
  Statement q(db_, path_, "listing rollouts");
  RETURN_IF_ERROR(q.Prepare(
      absl::StrCat("SELECT ", kRolloutColumns, " FROM rollouts ORDER BY created_at DESC, id DESC")
          .c_str()));
  std::vector<RolloutRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(RolloutRecord r, ReadRollout(db_, path_, q));
    out.push_back(std::move(r));
  }
  return out;
}

absl::Status SqliteStore::AddResult(const HostResult& r) {
  Statement insert(db_, path_, absl::StrCat("saving a result of host ", r.host));
  RETURN_IF_ERROR(insert.Prepare(absl::StrCat("INSERT INTO results (", kResultColumns,
                                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                                     .c_str()));
  return insert
      .Bind(r.rollout_id, r.host, r.nonce, std::string(ApplyOutcomeName(r.outcome)), r.phase,
            r.error, r.diff, r.backup_commit, r.result_commit, r.at)
      .Run();
}

absl::StatusOr<std::vector<HostResult>> SqliteStore::ResultsForRollout(
    const std::string& rollout_id) {
  Statement q(db_, path_, absl::StrCat("listing results of rollout ", rollout_id));
  RETURN_IF_ERROR(q.Prepare(absl::StrCat("SELECT ", kResultColumns,
                                         " FROM results WHERE rollout_id = ? "
                                         "ORDER BY at DESC, id DESC")
                                .c_str()));
  q.Bind(rollout_id);
  std::vector<HostResult> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(HostResult result, ReadResult(path_, q));
    out.push_back(std::move(result));
  }
  return out;
}

absl::StatusOr<std::vector<HostResult>> SqliteStore::ResultsForHost(const std::string& host,
                                                                    size_t limit) {
  Statement q(db_, path_, absl::StrCat("listing results of host ", host));
  RETURN_IF_ERROR(q.Prepare(absl::StrCat("SELECT ", kResultColumns,
                                         " FROM results WHERE host = ? "
                                         "ORDER BY at DESC, id DESC LIMIT ?")
                                .c_str()));
  q.Bind(host, LimitToSql(limit));
  std::vector<HostResult> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(HostResult result, ReadResult(path_, q));
    out.push_back(std::move(result));
  }
  return out;
}

absl::StatusOr<std::optional<HostResult>> SqliteStore::FirstChangeInRollout(
    const std::string& rollout_id, const std::string& host) {
  Statement q(db_, path_, absl::StrCat("reading the result of host ", host, " in ", rollout_id));
  RETURN_IF_ERROR(q.Prepare(absl::StrCat("SELECT ", kResultColumns,
                                         " FROM results WHERE rollout_id = ? AND host = ? AND "
                                         "outcome = ? ORDER BY at, id LIMIT 1")
                                .c_str()));
  q.Bind(rollout_id, host, std::string(ApplyOutcomeName(ApplyOutcome::kApplied)));
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::nullopt;
  return ReadResult(path_, q);
}

absl::StatusOr<int64_t> SqliteStore::Audit(const AuditEntry& e) {
  Statement insert(db_, path_, absl::StrCat("writing the audit entry '", e.action, "' by ", e.who));
  RETURN_IF_ERROR(
      insert.Prepare("INSERT INTO audit (at, who, action, target, result, reason) "
                     "VALUES (?, ?, ?, ?, ?, ?)"));
  RETURN_IF_ERROR(insert.Bind(e.at, e.who, e.action, e.target, e.result, e.reason).Run());
  return sqlite3_last_insert_rowid(db_);
}

absl::StatusOr<std::vector<AuditEntry>> SqliteStore::AuditLog(size_t limit) {
  Statement q(db_, path_, "reading the audit log");
  RETURN_IF_ERROR(q.Prepare(
      "SELECT id, at, who, action, target, result, reason FROM audit "
      "ORDER BY at DESC, id DESC LIMIT ?"));
  q.Bind(LimitToSql(limit));
  std::vector<AuditEntry> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(AuditEntry{q.Int64(0), q.Int64(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5),
                             q.Text(6)});
  }
  return out;
}

}  // namespace relayguard::controller
