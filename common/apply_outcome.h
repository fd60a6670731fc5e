// What one apply transaction (apply, rollback or recovery) did on a host: the agent reports it,
// the controller stores it (by name) and the operator API shows it. One vocabulary for all three.
// The wire form is relayguard.v1.ApplyResult.Outcome (common/apply_outcome_proto.h converts).
#ifndef RELAYGUARD_COMMON_APPLY_OUTCOME_H_
#define RELAYGUARD_COMMON_APPLY_OUTCOME_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace relayguard {

enum class ApplyOutcome {
  kApplied,         // changed, reloaded, verified, committed
  kUnchanged,       // nothing to change (nothing written, nothing reloaded)
  kDryRun,          // diff computed, nothing touched
  kRefused,         // stopped before touching anything (bad input, validation, preflight)
  kRolledBack,      // changed, a later phase failed, every file restored and the MTA reloaded
  kRestored,        // a rollback or a recovery put an earlier commit back and it answers
  kRollbackFailed,  // restoring failed too: the host needs a person (journal kept)
};
// "applied", "unchanged", "dry-run", "refused", "rolled-back", "restored", "rollback-failed"
const char* ApplyOutcomeName(ApplyOutcome outcome);
absl::StatusOr<ApplyOutcome> ParseApplyOutcome(absl::string_view name);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_APPLY_OUTCOME_H_
