// The controller's store: hosts, policy versions, rollouts (spec + engine state, saved after every
// step), per-host results, fleet rollbacks awaiting their answer, scheduled compliance checks and
// enforcement holds, the audit log of operator actions, the dashboard's users and sessions, and
// the log monitor's attempt reports. SqliteStore is the embedded implementation; a replicated one
// (PostgreSQL) implements the same contract in its own file.
//
// Contract common to every method:
// - An error Status means nothing was written (each write is atomic) and the call may be retried.
//   Its message names the store and what was attempted.
// - Records round-trip exactly: what a Put/Save/Add wrote is what the reads return, field for
//   field, whatever the implementation's column types.
// - An implementation need not be thread-safe: callers serialise access (StoreFacade holds the
//   one lock). "Not found" is an empty optional or an empty vector, never an error.
#ifndef RELAYGUARD_CONTROLLER_STORE_STORE_H_
#define RELAYGUARD_CONTROLLER_STORE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/rollout/rollout_engine.h"
#include "controller/store/records.h"

namespace relayguard::controller {

class Store {
 public:
  virtual ~Store() = default;

  // Hosts, keyed by name. Upsert replaces every field of an existing host. Idempotent.
  virtual absl::Status UpsertHost(const HostRecord& host) = 0;
  virtual absl::StatusOr<std::vector<HostRecord>> Hosts() = 0;  // ordered by name
  virtual absl::StatusOr<std::optional<HostRecord>> Host(const std::string& name) = 0;

  // Policy versions are immutable once written. Idempotent for the same (name, version, yaml);
  // AlreadyExists if the same name and version arrive with a different text (a playbook must
  // bump its version to change), and the stored text is kept.
  virtual absl::Status PutPolicyVersion(const PolicyVersionRecord& policy) = 0;
  virtual absl::StatusOr<std::optional<PolicyVersionRecord>> PolicyVersion(const std::string& name,
                                                                           uint64_t version) = 0;
  // The highest version of every policy name, ordered by name.
  virtual absl::StatusOr<std::vector<PolicyVersionRecord>> LatestPolicies() = 0;

  // A new rollout id, "r-000001", "r-000002", ...: increasing, never handed out twice, even
  // across restarts or when the rollout it was for was never saved. Not idempotent.
  virtual absl::StatusOr<std::string> NextRolloutId() = 0;
  // Inserts or replaces the whole rollout (spec, state with every host, bookkeeping).
  // Idempotent.
  virtual absl::Status SaveRollout(const RolloutRecord& rollout) = 0;
  // SaveRollout and the audit entry of the rollout's start, in one write: a rollout is never
  // stored without the entry that says who started it, nor the entry without the rollout.
  virtual absl::Status CreateRollout(const RolloutRecord& rollout, const AuditEntry& start) = 0;
  // Updates a rollout already written by SaveRollout: its status fields, `updated_at`, and the
  // progress of `changed_hosts` only (one ACK touches one host; rewriting every host each time
  // is O(N^2)). Hosts not named keep what was stored. FailedPrecondition when the rollout was
  // never saved. Idempotent.
  virtual absl::Status SaveRolloutProgress(const std::string& id, const RolloutState& state,
                                           int64_t updated_at,
                                           const std::vector<std::string>& changed_hosts) = 0;
  virtual absl::StatusOr<std::optional<RolloutRecord>> Rollout(const std::string& id) = 0;
  // Every rollout, newest first (by created_at, then id).
  virtual absl::StatusOr<std::vector<RolloutRecord>> Rollouts() = 0;

  // Appends one result; results are never updated or merged (not idempotent: a retry after an
  // error is safe, a second call after success adds a second row).
  virtual absl::Status AddResult(const HostResult& result) = 0;
  // Results of a rollout, newest first (by `at`, then the order added).
  virtual absl::StatusOr<std::vector<HostResult>> ResultsForRollout(
      const std::string& rollout_id) = 0;
  // The newest `limit` results of `host`, newest first (by `at`, then the order added).
  virtual absl::StatusOr<std::vector<HostResult>> ResultsForHost(const std::string& host,
                                                                 size_t limit) = 0;
  // The oldest result (by `at`, then the order added) of `host` in `rollout_id` that changed its
  // files (outcome "applied"): its backup_commit holds the host's configuration from before the
  // rollout. nullopt when the rollout never changed the host.
  virtual absl::StatusOr<std::optional<HostResult>> FirstChangeInRollout(
      const std::string& rollout_id, const std::string& host) = 0;

  // Fleet rollbacks sent and not answered yet, keyed by (host, nonce): written before the
  // rollback goes out, so that a controller killed before it stored the answer is succeeded by
  // one that sends it again. Adding is idempotent (a row already stored is kept as it was);
  // deleting one that is not stored is not an error.
  virtual absl::Status AddPendingRollback(const PendingRollbackRecord& rollback) = 0;
  virtual absl::Status DeletePendingRollback(const std::string& host, const std::string& nonce) = 0;
  // Every pending rollback, oldest first (by sent_at, then host, then nonce).
  virtual absl::StatusOr<std::vector<PendingRollbackRecord>> PendingRollbacks() = 0;
  // In one transaction: appends `result` (as AddResult) and deletes the pending rollback
  // (result.host, result.nonce) if there is one. A kill cannot leave the answer stored and the
  // rollback still pending (re-sent and stored twice), nor the rollback gone and its answer not
  // stored. Not idempotent, as AddResult.
  virtual absl::Status AddRollbackResult(const HostResult& result) = 0;

  // Compliance checks, keyed by (host, seq). Adding is idempotent: true when the check is new,
  // false when (host, seq) was already stored (an agent re-sends what was not acked); the stored
  // copy is kept as it was. An implementation may drop a host's oldest checks beyond a retention
  // it documents, so that a host checked every minute does not grow the store without bound.
  virtual absl::StatusOr<bool> AddComplianceCheck(const ComplianceCheckRecord& check) = 0;
  // The newest check of every host that has one (by checked_at, then seq), ordered by host.
  virtual absl::StatusOr<std::vector<ComplianceCheckRecord>> LatestCompliance() = 0;
  // Checks of `host` (every host when empty), newest first by checked_at (then host, then seq),
  // at most `limit`.
  virtual absl::StatusOr<std::vector<ComplianceCheckRecord>> ComplianceHistory(
      const std::string& host, size_t limit) = 0;
  // Distinct hosts (ordered by name) with a check of `policy` v`version` whose enforcement
  // failed ("rolled-back" or "rollback-failed").
  virtual absl::StatusOr<std::vector<std::string>> EnforceFailedHosts(const std::string& policy,
                                                                      uint64_t version) = 0;

  // The log monitor's attempt reports, keyed by (host, seq). Adding is idempotent as for
  // compliance checks: true when new, false when (host, seq) was stored already (kept as it
  // was). An implementation drops old reports beyond a retention it documents.
  virtual absl::StatusOr<bool> AddAttemptReport(const AttemptReportRecord& report) = 0;
  // The reports of `host` (every host when empty) whose period ended at or after `since`, newest
  // first (by period_end, then host, then seq), at most `limit`.
  virtual absl::StatusOr<std::vector<AttemptReportRecord>> AttemptReports(const std::string& host,
                                                                          int64_t since,
                                                                          size_t limit) = 0;
  // Per host and source, summed over the reports of `host` (every host when empty) whose period
  // ended at or after `since`: most refused first (then host, then source), at most `limit`.
  virtual absl::StatusOr<std::vector<SourceAttemptsSummary>> AttemptsSince(
      const std::string& host, int64_t since, size_t limit) = 0;
  // Per host (ordered by name), the totals of the same reports.
  virtual absl::StatusOr<std::vector<HostAttemptTotals>> AttemptTotalsSince(
      const std::string& host, int64_t since) = 0;

  // Enforcement holds, keyed by (policy, version). Idempotent: true when the hold is new, false
  // (and the stored hold unchanged) when that policy version is already held.
  virtual absl::StatusOr<bool> PutEnforceHold(const EnforceHoldRecord& hold) = 0;
  virtual absl::StatusOr<std::optional<EnforceHoldRecord>> EnforceHold(const std::string& policy,
                                                                       uint64_t version) = 0;
  // Every hold, ordered by policy, then version.
  virtual absl::StatusOr<std::vector<EnforceHoldRecord>> EnforceHolds() = 0;

  // Appends an audit entry (its id is ignored) and returns the id assigned, increasing. Not
  // idempotent.
  virtual absl::StatusOr<int64_t> Audit(const AuditEntry& entry) = 0;
  // The newest `limit` entries, newest first (by `at`, then id).
  virtual absl::StatusOr<std::vector<AuditEntry>> AuditLog(size_t limit) = 0;

  // Dashboard users, keyed by name. PutUser inserts: AlreadyExists when the name is taken (the
  // stored user kept). UpdateUser replaces every field of an existing user: NotFound when there
  // is none. DeleteUser removes the user and all of its sessions: NotFound when there is none.
  virtual absl::Status PutUser(const UserRecord& user) = 0;
  virtual absl::Status UpdateUser(const UserRecord& user) = 0;
  virtual absl::Status DeleteUser(const std::string& name) = 0;
  virtual absl::StatusOr<std::optional<UserRecord>> User(const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<UserRecord>> Users() = 0;  // ordered by name

  // Dashboard sessions, keyed by token_hash. PutSession inserts (AlreadyExists for a token hash
  // already stored; FailedPrecondition when its user does not exist). TouchSession sets
  // last_seen (NotFound when there is no such session). The deletes are idempotent and return
  // how many sessions they removed; DeleteExpiredSessions removes those with expires_at <= now.
  virtual absl::Status PutSession(const SessionRecord& session) = 0;
  virtual absl::StatusOr<std::optional<SessionRecord>> Session(const std::string& token_hash) = 0;
  virtual absl::Status TouchSession(const std::string& token_hash, int64_t last_seen) = 0;
  virtual absl::StatusOr<int> DeleteSession(const std::string& token_hash) = 0;
  virtual absl::StatusOr<int> DeleteSessionsOf(const std::string& user) = 0;
  virtual absl::StatusOr<int> DeleteExpiredSessions(int64_t now) = 0;

  // In one transaction: sets `name`'s password hash and password_changed_at and ends every
  // session of the user; returns the user as now stored. NotFound when there is no such user.
  // On any error nothing was changed (the old password still works, the sessions stay).
  virtual absl::StatusOr<UserRecord> ChangePassword(const std::string& name,
                                                    const std::string& password_hash,
                                                    int64_t changed_at) = 0;
  // In one transaction: removes the sessions `cleanup` says have ended (every expired one, and
  // those of session.user too old or idle), then session.user's oldest (by created_at) until
  // cleanup.keep - 1 are left, and inserts `session` (errors as PutSession). Returns how many
  // sessions were removed; on any error nothing was changed.
  virtual absl::StatusOr<int> OpenSession(const SessionRecord& session,
                                          const SessionCleanup& cleanup) = 0;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_STORE_STORE_H_
