// SqliteStore: scheduled compliance checks and enforcement holds (schema migration 4).
#include <sqlite3.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_statement.h"
#include "controller/store/sqlite_store.h"

namespace relayguard::controller {
namespace {

using sql::Blob;
using sql::FromSql;
using sql::LimitToSql;
using sql::Statement;
using sql::ToSql;
using sql::UnknownName;

constexpr char kCheckColumns[] =
    "host, seq, policy, version, mode, status, checked_at, received_at, summary, enforcement, "
    "error, report";

// The check in the current row of `s` (selected with kCheckColumns); DataLoss naming the row
// and the value when a state is no name this build knows.
absl::StatusOr<ComplianceCheckRecord> ReadCheck(const std::string& path, const Statement& s) {
  ComplianceCheckRecord c;
  c.host = s.Text(0);
  c.seq = FromSql(s.Int64(1));
  c.policy = s.Text(2);
  c.version = FromSql(s.Int64(3));
  c.checked_at = s.Int64(6);
  c.received_at = s.Int64(7);
  c.summary = s.Text(8);
  c.error = s.Text(10);
  c.report = s.BlobBytes(11);
  auto unknown = [&](const absl::Status& parsed) {
    return UnknownName(path, "compliance_checks", absl::StrCat("host ", c.host, " seq ", c.seq),
                       parsed);
  };
  absl::StatusOr<ComplianceMode> mode = ParseComplianceMode(s.Text(4));
  if (!mode.ok()) return unknown(mode.status());
  c.mode = *mode;
  absl::StatusOr<ComplianceStatus> status = ParseComplianceStatus(s.Text(5));
  if (!status.ok()) return unknown(status.status());
  c.status = *status;
  absl::StatusOr<Enforcement> enforcement = ParseEnforcement(s.Text(9));
  if (!enforcement.ok()) return unknown(enforcement.status());
  c.enforcement = *enforcement;
  return c;
}

absl::StatusOr<std::vector<ComplianceCheckRecord>> ReadChecks(const std::string& path,
                                                              Statement& q) {
  std::vector<ComplianceCheckRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(ComplianceCheckRecord check, ReadCheck(path, q));
    out.push_back(std::move(check));
  }
  return out;
}

}  // namespace

absl::StatusOr<bool> SqliteStore::AddComplianceCheck(const ComplianceCheckRecord& c) {
  Statement insert(db_, path_,
                   absl::StrCat("saving compliance check ", c.seq, " of host ", c.host));
  RETURN_IF_ERROR(insert.Prepare(
      absl::StrCat("INSERT INTO compliance_checks (", kCheckColumns,
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (host, seq) DO NOTHING")
          .c_str()));
  RETURN_IF_ERROR(insert
                      .Bind(c.host, ToSql(c.seq), c.policy, ToSql(c.version),
                            ComplianceModeName(c.mode), ComplianceStatusName(c.status),
                            c.checked_at, c.received_at, c.summary, EnforcementName(c.enforcement),
                            c.error, Blob{c.report})
                      .Run());
  const bool added = sqlite3_changes(db_) == 1;
  if (added && c.seq % 100 == 0) {
    Statement prune(db_, path_, absl::StrCat("pruning old compliance checks of host ", c.host));
    RETURN_IF_ERROR(prune.Prepare(
        "DELETE FROM compliance_checks WHERE host = ? AND id NOT IN (SELECT id FROM "
        "compliance_checks WHERE host = ? ORDER BY checked_at DESC, seq DESC LIMIT ?)"));
    RETURN_IF_ERROR(
        prune.Bind(c.host, c.host, static_cast<int64_t>(compliance_keep_per_host_)).Run());
  }
  return added;
}

absl::StatusOr<std::vector<ComplianceCheckRecord>> SqliteStore::LatestCompliance() {
  Statement q(db_, path_, "reading the newest compliance check of every host");
  // One index probe per host (compliance_checks_host_checked), not a sort of the history.
  RETURN_IF_ERROR(q.Prepare(
      absl::StrCat("SELECT ", kCheckColumns,
                   " FROM compliance_checks WHERE id IN (SELECT (SELECT c.id FROM "
                   "compliance_checks c WHERE c.host = h.host ORDER BY c.checked_at DESC, "
                   "c.seq DESC LIMIT 1) FROM (SELECT DISTINCT host FROM compliance_checks) h) "
                   "ORDER BY host")
          .c_str()));
  return ReadChecks(path_, q);
}

absl::StatusOr<std::vector<ComplianceCheckRecord>> SqliteStore::ComplianceHistory(
    const std::string& host, size_t limit) {
  Statement q(db_, path_,
              host.empty() ? std::string("listing compliance checks")
                           : absl::StrCat("listing compliance checks of host ", host));
  if (host.empty()) {
    RETURN_IF_ERROR(q.Prepare(absl::StrCat("SELECT ", kCheckColumns,
                                           " FROM compliance_checks ORDER BY checked_at DESC, "
                                           "host, seq DESC LIMIT ?")
                                  .c_str()));
    q.Bind(LimitToSql(limit));
  } else {
    RETURN_IF_ERROR(q.Prepare(absl::StrCat("SELECT ", kCheckColumns,
                                           " FROM compliance_checks WHERE host = ? "
                                           "ORDER BY checked_at DESC, seq DESC LIMIT ?")
                                  .c_str()));
    q.Bind(host, LimitToSql(limit));
  }
  return ReadChecks(path_, q);
}

absl::StatusOr<std::vector<std::string>> SqliteStore::EnforceFailedHosts(const std::string& policy,
                                                                         uint64_t version) {
  Statement q(db_, path_,
              absl::StrCat("listing hosts that failed to enforce ", policy, " v", version));
  RETURN_IF_ERROR(
      q.Prepare("SELECT DISTINCT host FROM compliance_checks WHERE policy = ? AND version = ? AND "
                "enforcement IN (?, ?) ORDER BY host"));
  q.Bind(policy, ToSql(version), EnforcementName(Enforcement::kRolledBack),
         EnforcementName(Enforcement::kRollbackFailed));
  std::vector<std::string> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(q.Text(0));
  }
  return out;
}

absl::StatusOr<bool> SqliteStore::PutEnforceHold(const EnforceHoldRecord& h) {
  Statement insert(db_, path_,
                   absl::StrCat("saving the enforcement hold of ", h.policy, " v", h.version));
  RETURN_IF_ERROR(
      insert.Prepare("INSERT INTO enforce_holds (policy, version, reason, at) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (policy, version) DO NOTHING"));
  RETURN_IF_ERROR(insert.Bind(h.policy, ToSql(h.version), h.reason, h.at).Run());
  return sqlite3_changes(db_) == 1;
}

absl::StatusOr<std::optional<EnforceHoldRecord>> SqliteStore::EnforceHold(
    const std::string& policy, uint64_t version) {
  Statement q(db_, path_,
              absl::StrCat("reading the enforcement hold of ", policy, " v", version));
  RETURN_IF_ERROR(q.Prepare(
      "SELECT policy, version, reason, at FROM enforce_holds WHERE policy = ? AND version = ?"));
  ASSIGN_OR_RETURN(bool row, q.Bind(policy, ToSql(version)).Step());
  if (!row) return std::nullopt;
  return EnforceHoldRecord{q.Text(0), FromSql(q.Int64(1)), q.Text(2), q.Int64(3)};
}

absl::StatusOr<std::vector<EnforceHoldRecord>> SqliteStore::EnforceHolds() {
  Statement q(db_, path_, "listing enforcement holds");
  RETURN_IF_ERROR(q.Prepare(
      "SELECT policy, version, reason, at FROM enforce_holds ORDER BY policy, version"));
  std::vector<EnforceHoldRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(EnforceHoldRecord{q.Text(0), FromSql(q.Int64(1)), q.Text(2), q.Int64(3)});
  }
  return out;
}

}  // namespace relayguard::controller
