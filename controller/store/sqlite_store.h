// The controller's store: an embedded SQLite database (WAL, schema migrations) holding hosts,
// policy versions, rollouts (spec + engine state, saved after every step), per-host results,
// scheduled compliance checks and enforcement holds, and the audit log of operator actions. One
// connection, used from one thread at a time.
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

struct sqlite3;

namespace relayguard::controller {

class SqliteStore {
 public:
  // Opens (creating when missing) the database at `path`, turns on WAL and foreign keys, and
  // applies pending schema migrations in one transaction each. Errors name the path.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore();

  int SchemaVersion() const;  // number of migrations applied

  absl::Status UpsertHost(const HostRecord& host);
  absl::StatusOr<std::vector<HostRecord>> Hosts();  // by name
  absl::StatusOr<std::optional<HostRecord>> Host(const std::string& name);

  // Idempotent for the same (name, version, yaml); AlreadyExists if the same name and version
  // arrive with different text (a playbook must bump its version to change).
  absl::Status PutPolicyVersion(const PolicyVersionRecord& policy);
  absl::StatusOr<std::optional<PolicyVersionRecord>> PolicyVersion(const std::string& name,
                                                                  uint64_t version);
  absl::StatusOr<std::vector<PolicyVersionRecord>> LatestPolicies();  // newest version per name

  // "r-000001", "r-000002", ... never reused.
  absl::StatusOr<std::string> NextRolloutId();
  // Inserts or replaces the rollout (spec and state round-trip exactly).
  absl::Status SaveRollout(const RolloutRecord& rollout);
  // Saves a rollout already saved once: its status row and only the progress rows of
  // `changed_hosts` (one ACK touches one host; rewriting every host each time is O(N^2)).
  absl::Status SaveRolloutProgress(const std::string& id, const RolloutState& state,
                                   int64_t updated_at,
                                   const std::vector<std::string>& changed_hosts);
  absl::StatusOr<std::optional<RolloutRecord>> Rollout(const std::string& id);
  absl::StatusOr<std::vector<RolloutRecord>> Rollouts();  // newest first

  absl::Status AddResult(const HostResult& result);
  absl::StatusOr<std::vector<HostResult>> ResultsForRollout(const std::string& rollout_id);
  absl::StatusOr<std::vector<HostResult>> ResultsForHost(const std::string& host, size_t limit);
  // The first result of `host` in `rollout_id` that changed its files (outcome "applied"): its
  // backup_commit holds the host's configuration from before the rollout. nullopt when the
  // rollout never changed the host (unchanged, refused, failed and restored, or not reached).
  absl::StatusOr<std::optional<HostResult>> FirstChangeInRollout(const std::string& rollout_id,
                                                                 const std::string& host);

  // Compliance checks (sqlite_store_compliance.cc). Adding is idempotent: true when the check
  // is new, false when (host, seq) was already stored (an agent re-sends what was not acked);
  // the stored copy is kept as it was.
  absl::StatusOr<bool> AddComplianceCheck(const ComplianceCheckRecord& check);
  // Checks kept per host: beyond it the oldest go (pruned every 100th sequence number), so a
  // host checked every minute for years does not grow the database without bound.
  void set_compliance_checks_per_host(size_t keep) { compliance_keep_per_host_ = keep; }
  // The newest check of every host that has one (by checked_at, then seq), by host name.
  absl::StatusOr<std::vector<ComplianceCheckRecord>> LatestCompliance();
  // Checks of `host` (every host when empty), newest first by checked_at (then host, then seq).
  absl::StatusOr<std::vector<ComplianceCheckRecord>> ComplianceHistory(const std::string& host,
                                                                       size_t limit);
  // Distinct hosts (by name) with a check of `policy` v`version` whose enforcement failed
  // ("rolled-back" or "rollback-failed").
  absl::StatusOr<std::vector<std::string>> EnforceFailedHosts(const std::string& policy,
                                                              uint64_t version);
  // True when the hold is new; false (and the stored hold unchanged) when that policy version
  // is already held.
  absl::StatusOr<bool> PutEnforceHold(const EnforceHoldRecord& hold);
  absl::StatusOr<std::optional<EnforceHoldRecord>> EnforceHold(const std::string& policy,
                                                               uint64_t version);
  absl::StatusOr<std::vector<EnforceHoldRecord>> EnforceHolds();  // by policy, then version

  absl::StatusOr<int64_t> Audit(const AuditEntry& entry);  // returns the new id
  absl::StatusOr<std::vector<AuditEntry>> AuditLog(size_t limit);  // newest first

 private:
  explicit SqliteStore(sqlite3* db, std::string path);
  sqlite3* db_;
  std::string path_;
  size_t compliance_keep_per_host_ = 10000;
  int schema_version_ = 0;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_STORE_SQLITE_STORE_H_
