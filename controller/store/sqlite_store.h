// The Store on an embedded SQLite database (WAL, schema migrations), one file under the
// controller's state dir. One connection, used from one thread at a time (as Store allows).
#ifndef RELAYGUARD_CONTROLLER_STORE_SQLITE_STORE_H_
#define RELAYGUARD_CONTROLLER_STORE_SQLITE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/rollout/rollout_engine.h"
#include "controller/store/records.h"
#include "controller/store/store.h"

struct sqlite3;

namespace relayguard::controller {

class SqliteStore final : public Store {
 public:
  // Opens (creating when missing) the database at `path`, turns on WAL and foreign keys, and
  // applies pending schema migrations in one transaction each. Errors name the path.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;

  int SchemaVersion() const;  // number of migrations applied

  // Compliance checks kept per host (Store::AddComplianceCheck's retention): beyond it the
  // oldest go, pruned every 100th sequence number.
  void set_compliance_checks_per_host(size_t keep) { compliance_keep_per_host_ = keep; }
  // Attempt reports kept (Store::AddAttemptReport's retention): a host's reports whose period
  // ended more than `max_age_s` before its newest one's, and beyond `per_host` reports, go;
  // pruned every 100th sequence number.
  void set_attempt_retention(int64_t max_age_s, size_t per_host) {
    attempt_max_age_s_ = max_age_s;
    attempt_keep_per_host_ = per_host;
  }

  absl::Status UpsertHost(const HostRecord& host) override;
  absl::StatusOr<std::vector<HostRecord>> Hosts() override;
  absl::StatusOr<std::optional<HostRecord>> Host(const std::string& name) override;

  absl::Status PutPolicyVersion(const PolicyVersionRecord& policy) override;
  absl::StatusOr<std::optional<PolicyVersionRecord>> PolicyVersion(const std::string& name,
                                                                   uint64_t version) override;
  absl::StatusOr<std::vector<PolicyVersionRecord>> LatestPolicies() override;

  absl::StatusOr<std::string> NextRolloutId() override;
  absl::Status SaveRollout(const RolloutRecord& rollout) override;
  absl::Status CreateRollout(const RolloutRecord& rollout, const AuditEntry& start) override;
  absl::Status SaveRolloutProgress(const std::string& id, const RolloutState& state,
                                   int64_t updated_at,
                                   const std::vector<std::string>& changed_hosts) override;
  absl::StatusOr<std::optional<RolloutRecord>> Rollout(const std::string& id) override;
  absl::StatusOr<std::vector<RolloutRecord>> Rollouts() override;

  absl::Status AddResult(const HostResult& result) override;
  absl::StatusOr<std::vector<HostResult>> ResultsForRollout(const std::string& rollout_id) override;
  absl::StatusOr<std::vector<HostResult>> ResultsForHost(const std::string& host,
                                                         size_t limit) override;
  absl::StatusOr<std::optional<HostResult>> FirstChangeInRollout(const std::string& rollout_id,
                                                                 const std::string& host) override;

  // Fleet rollbacks awaiting their answer (sqlite_store_rollbacks.cc).
  absl::Status AddPendingRollback(const PendingRollbackRecord& rollback) override;
  absl::Status DeletePendingRollback(const std::string& host, const std::string& nonce) override;
  absl::StatusOr<std::vector<PendingRollbackRecord>> PendingRollbacks() override;
  absl::Status AddRollbackResult(const HostResult& result) override;

  // Compliance checks and holds (sqlite_store_compliance.cc).
  absl::StatusOr<bool> AddComplianceCheck(const ComplianceCheckRecord& check) override;
  absl::StatusOr<std::vector<ComplianceCheckRecord>> LatestCompliance() override;
  absl::StatusOr<std::vector<ComplianceCheckRecord>> ComplianceHistory(const std::string& host,
                                                                       size_t limit) override;
  absl::StatusOr<std::vector<std::string>> EnforceFailedHosts(const std::string& policy,
                                                              uint64_t version) override;
  absl::StatusOr<bool> PutEnforceHold(const EnforceHoldRecord& hold) override;

  // The log monitor's attempt reports (sqlite_store_attempts.cc).
  absl::StatusOr<bool> AddAttemptReport(const AttemptReportRecord& report) override;
  absl::StatusOr<std::vector<AttemptReportRecord>> AttemptReports(const std::string& host,
                                                                  int64_t since,
                                                                  size_t limit) override;
  absl::StatusOr<std::vector<SourceAttemptsSummary>> AttemptsSince(const std::string& host,
                                                                   int64_t since,
                                                                   size_t limit) override;
  absl::StatusOr<std::vector<HostAttemptTotals>> AttemptTotalsSince(const std::string& host,
                                                                    int64_t since) override;
  absl::StatusOr<std::optional<EnforceHoldRecord>> EnforceHold(const std::string& policy,
                                                               uint64_t version) override;
  absl::StatusOr<std::vector<EnforceHoldRecord>> EnforceHolds() override;

  absl::StatusOr<int64_t> Audit(const AuditEntry& entry) override;
  absl::StatusOr<std::vector<AuditEntry>> AuditLog(size_t limit) override;

  // Dashboard users and sessions (sqlite_store_users.cc).
  absl::Status PutUser(const UserRecord& user) override;
  absl::Status UpdateUser(const UserRecord& user) override;
  absl::Status DeleteUser(const std::string& name) override;
  absl::StatusOr<std::optional<UserRecord>> User(const std::string& name) override;
  absl::StatusOr<std::vector<UserRecord>> Users() override;
  absl::Status PutSession(const SessionRecord& session) override;
  absl::StatusOr<std::optional<SessionRecord>> Session(const std::string& token_hash) override;
  absl::Status TouchSession(const std::string& token_hash, int64_t last_seen) override;
  absl::StatusOr<int> DeleteSession(const std::string& token_hash) override;
  absl::StatusOr<int> DeleteSessionsOf(const std::string& user) override;
  absl::StatusOr<int> DeleteExpiredSessions(int64_t now) override;
  absl::StatusOr<UserRecord> ChangePassword(const std::string& name,
                                            const std::string& password_hash,
                                            int64_t changed_at) override;
  absl::StatusOr<int> OpenSession(const SessionRecord& session,
                                  const SessionCleanup& cleanup) override;

 private:
  explicit SqliteStore(sqlite3* db, std::string path);
  // PutSession's checks and insert, inside the caller's transaction.
  absl::Status InsertSession(const SessionRecord& session, const std::string& what);
  // SaveRollout's writes, inside the caller's transaction.
  absl::Status WriteRollout(const RolloutRecord& rollout, const std::string& what);
  sqlite3* db_;
  std::string path_;
  size_t compliance_keep_per_host_ = 10000;
  int64_t attempt_max_age_s_ = 90 * 86400;  // 90 days
  size_t attempt_keep_per_host_ = 30000;    // 104 days of 5-minute reports
  // Drops `host`'s attempt reports beyond the retention (AddAttemptReport).
  absl::Status PruneAttemptReports(const std::string& host, int64_t newest_period_end);
  int schema_version_ = 0;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_STORE_SQLITE_STORE_H_
