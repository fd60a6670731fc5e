// What the controller keeps: the records every store implementation reads and writes (hosts,
// policy versions, rollouts, per-host results, fleet rollbacks awaiting their answer, compliance
// checks, enforcement holds, audit, dashboard users and their sessions, the log monitor's attempt
// reports).
#ifndef RELAYGUARD_CONTROLLER_STORE_RECORDS_H_
#define RELAYGUARD_CONTROLLER_STORE_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/apply_outcome.h"
#include "common/compliance_states.h"
#include "controller/auth/role.h"
#include "controller/rollout/rollout_engine.h"

namespace relayguard::controller {

struct HostRecord {
  std::string name;                           // the agent certificate's CN
  std::map<std::string, std::string> labels;  // "site" -> "fra1"
  std::string mta;                            // "postfix"
  std::string mta_version;
  std::string applied_policy;  // empty when none
  uint64_t applied_version = 0;
  std::string backup_head;  // agent's newest backup commit
  int64_t last_seen = 0;    // seconds since the epoch
  bool operator==(const HostRecord&) const = default;
};

struct PolicyVersionRecord {
  std::string name;
  uint64_t version = 0;
  std::string yaml;  // the playbook text as loaded
  int64_t loaded_at = 0;
  bool operator==(const PolicyVersionRecord&) const = default;
};

struct RolloutRecord {
  RolloutSpec spec;
  RolloutState state;
  std::string created_by;
  std::string reason;  // the operator's reason for starting it; may be empty
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct HostResult {
  std::string rollout_id;  // empty for results outside a rollout
  std::string host;
  std::string nonce;
  ApplyOutcome outcome = ApplyOutcome::kRefused;  // stored by name
  std::string phase;
  std::string error;
  std::string diff;
  std::string backup_commit;
  std::string result_commit;
  int64_t at = 0;
  bool operator==(const HostResult&) const = default;
};

// A fleet rollback the controller sent and has not stored the answer of (Store's pending
// rollbacks), keyed by (host, nonce): a restarted controller sends it again with its nonce.
struct PendingRollbackRecord {
  std::string host;
  std::string nonce;
  std::string rollout_id;  // empty for a rollback outside a rollout
  std::string to_commit;   // empty: from before the host's newest apply (the agent decides)
  int64_t sent_at = 0;     // seconds since the epoch
  bool operator==(const PendingRollbackRecord&) const = default;
};

struct AuditEntry {
  int64_t id = 0;  // assigned by the store
  int64_t at = 0;
  std::string who;     // operator certificate CN
  std::string action;  // "rollout start", "rollback", ...
  std::string target;  // "r-000003", "host mx1", ...
  std::string result;  // "ok" or the error
  std::string reason;  // the operator's reason (controller/rollout/operator_reason.h); may be empty
  bool operator==(const AuditEntry&) const = default;
};

// One scheduled compliance check as a host reported it. `report` is the agent's message exactly as
// it arrived (serialized bytes, opaque to the store, so nothing is lost); the other fields are
// copies of some of its fields, for queries.
struct ComplianceCheckRecord {
  std::string host;
  uint64_t seq = 0;  // per host, increasing; (host, seq) is stored once
  std::string policy;
  uint64_t version = 0;
  ComplianceMode mode = ComplianceMode::kAudit;        // stored by name
  ComplianceStatus status = ComplianceStatus::kError;  // stored by name
  int64_t checked_at = 0;   // when the agent checked (seconds since the epoch)
  int64_t received_at = 0;  // when the controller got it
  std::string summary;
  Enforcement enforcement = Enforcement::kNone;  // stored by name ("" for none)
  std::string error;
  std::string report;
  bool operator==(const ComplianceCheckRecord&) const = default;
};

// What one source address did in a host's mail log during an attempt report's period (the
// agent's SourceAttempts).
struct SourceAttemptsRecord {
  std::string source;  // the client's IP address
  uint64_t refused = 0;
  uint64_t recipients = 0;  // distinct recipients of the refused attempts
  uint64_t sasl_failures = 0;
  uint64_t relayed = 0;
  int64_t first_seen = 0;  // seconds since the epoch
  int64_t last_seen = 0;
  std::vector<std::string> samples;  // a few log lines
  bool over_threshold = false;
  bool operator==(const SourceAttemptsRecord&) const = default;
};

// One period of a host's log monitor (the agent's AttemptReport): the busiest sources and the
// totals over every source. Keyed by (host, seq) like compliance checks.
struct AttemptReportRecord {
  std::string host;
  uint64_t seq = 0;  // per host, increasing; (host, seq) is stored once
  int64_t period_start = 0;
  int64_t period_end = 0;
  int64_t received_at = 0;  // when the controller got it
  std::vector<SourceAttemptsRecord> sources;
  uint64_t other_sources = 0;  // sources seen but not listed
  uint64_t refused = 0;        // totals over every source
  uint64_t sasl_failures = 0;
  uint64_t relayed = 0;
  uint64_t lines = 0;
  uint64_t unknown_lines = 0;
  std::string log_source;  // "file /var/log/mail.log"
  std::vector<std::string> warnings;
  bool operator==(const AttemptReportRecord&) const = default;
};

// One source of one host over a time range, summed over the attempt reports of the range.
struct SourceAttemptsSummary {
  std::string host;
  std::string source;
  uint64_t refused = 0;        // sum
  uint64_t recipients = 0;     // the most of any one report (distinct per period, not overall)
  uint64_t sasl_failures = 0;  // sum
  uint64_t relayed = 0;        // sum
  int64_t first_seen = 0;      // earliest
  int64_t last_seen = 0;       // latest
  std::vector<std::string> samples;  // those of the report that saw it last
  bool over_threshold = false;       // in any report
  bool operator==(const SourceAttemptsSummary&) const = default;
};

// A host's attempt reports over a time range, summed.
struct HostAttemptTotals {
  std::string host;
  uint64_t reports = 0;
  uint64_t refused = 0;
  uint64_t sasl_failures = 0;
  uint64_t relayed = 0;
  uint64_t lines = 0;
  uint64_t unknown_lines = 0;
  int64_t last_period_end = 0;  // of its newest report
  std::string log_source;       // of its newest report
  bool operator==(const HostAttemptTotals&) const = default;
};

// Enforcement of `policy` v`version` halted fleet-wide: too many hosts failed to enforce it.
struct EnforceHoldRecord {
  std::string policy;
  uint64_t version = 0;
  std::string reason;
  int64_t at = 0;
  bool operator==(const EnforceHoldRecord&) const = default;
};

// A dashboard account (controller/auth/user_directory.h manages them).
struct UserRecord {
  std::string name;           // [a-z0-9][a-z0-9._-]{0,63}
  Role role = Role::kViewer;  // stored by name
  std::string password_hash;  // argon2id PHC string (controller/auth/password_hash.h)
  int64_t created_at = 0;     // seconds since the epoch
  int64_t password_changed_at = 0;
  bool operator==(const UserRecord&) const = default;
};

// A signed-in dashboard session. The token itself is never stored, only its SHA-256.
struct SessionRecord {
  std::string token_hash;  // lower-case hex SHA-256 of the session token
  std::string user;        // a UserRecord's name
  std::string csrf_token;  // what every write must carry in its header
  int64_t created_at = 0;
  int64_t expires_at = 0;  // created_at + the maximum age, whatever the activity
  int64_t last_seen = 0;   // the last request that used it (idle timeout)
  bool operator==(const SessionRecord&) const = default;
};

// Which of a user's sessions end when it opens a new one (Store::OpenSession): the rules of
// Authenticate, applied ahead of time so that the table holds only live sessions.
struct SessionCleanup {
  int64_t now = 0;          // expires_at <= now: past its maximum age (any user's session)
  int64_t created_by = 0;   // created_at <= created_by: too old under the current maximum age
  int64_t seen_before = 0;  // last_seen < seen_before: idle for too long
  size_t keep = 10;         // at most this many sessions per user, the new one included
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_STORE_RECORDS_H_
