// The states of a scheduled compliance check, each with its one stable name: what the agent's
// report says, the controller's store keeps (TEXT columns), relayguardctl and the agent print.
// Their wire forms are enums in agent_stream.proto and operator.proto
// (common/compliance_states_proto.h converts).
#ifndef RELAYGUARD_COMMON_COMPLIANCE_STATES_H_
#define RELAYGUARD_COMMON_COMPLIANCE_STATES_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace relayguard {

// A playbook's compliance.mode: report drift only, or also re-apply the policy.
enum class ComplianceMode { kAudit, kEnforce };
const char* ComplianceModeName(ComplianceMode mode);  // "audit", "enforce"
absl::StatusOr<ComplianceMode> ParseComplianceMode(absl::string_view name);

// The host's state when a check ends.
enum class ComplianceStatus {
  kCompliant,
  kDrifted,       // a managed setting differs from the policy
  kRelayOpen,     // the untrusted probe relayed
  kInconclusive,  // some listener or rule could not be proven closed
  kError,         // the check could not run
};
// "compliant", "drifted", "relay-open", "inconclusive", "error"
const char* ComplianceStatusName(ComplianceStatus status);
absl::StatusOr<ComplianceStatus> ParseComplianceStatus(absl::string_view name);

// A host as the fleet view shows it: its newest check's status, unless it is offline now
// (unreachable: the check may be stale by any amount) or has reported none.
enum class FleetHostStatus {
  kCompliant,
  kDrifted,
  kRelayOpen,
  kInconclusive,
  kError,
  kUnreachable,
  kNeverChecked,
};
// The ComplianceStatus names, "unreachable", "never-checked"
const char* FleetHostStatusName(FleetHostStatus status);
absl::StatusOr<FleetHostStatus> ParseFleetHostStatus(absl::string_view name);
FleetHostStatus ToFleetHostStatus(ComplianceStatus status);

// What enforcement did after a check.
enum class Enforcement {
  kNone,            // nothing to enforce, or audit mode
  kApplied,         // the policy was re-applied and verified
  kOutsideWindow,   // drift found outside every maintenance window: waits for the next one
  kUnchanged,       // the transaction found nothing to change
  kRolledBack,      // the transaction failed and was rolled back
  kRollbackFailed,  // the rollback failed too: the host needs a person
  kRefused,         // the transaction refused to start (validation, preflight)
  kSuspended,       // an earlier enforcement of this version failed on this host
  kHeld,            // the controller halted enforcement of this version (failure budget spent)
};
// "" for kNone, then "applied", "outside-window", "unchanged", "rolled-back",
// "rollback-failed", "refused", "suspended", "held"
const char* EnforcementName(Enforcement enforcement);
absl::StatusOr<Enforcement> ParseEnforcement(absl::string_view name);

// Whether the agent ran its enforcement transaction (applied, unchanged, refused, rolled-back,
// rollback-failed); not for none, outside-window, suspended, held.
bool EnforcementRan(Enforcement enforcement);
// Whether the transaction changed files and then failed (rolled-back, rollback-failed): what
// counts against a failure budget and suspends enforcement of the version on the host.
bool EnforcementFailed(Enforcement enforcement);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_COMPLIANCE_STATES_H_
