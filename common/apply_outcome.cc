#include "common/apply_outcome.h"

#include "common/enum_names.h"

namespace relayguard {

const char* ApplyOutcomeName(ApplyOutcome outcome) {
  switch (outcome) {
    case ApplyOutcome::kApplied:
      return "applied";
    case ApplyOutcome::kUnchanged:
      return "unchanged";
    case ApplyOutcome::kDryRun:
      return "dry-run";
    case ApplyOutcome::kRefused:
      return "refused";
    case ApplyOutcome::kRolledBack:
      return "rolled-back";
    case ApplyOutcome::kRestored:
      return "restored";
    case ApplyOutcome::kRollbackFailed:
      return "rollback-failed";
  }
  return "unknown";
}

absl::StatusOr<ApplyOutcome> ParseApplyOutcome(absl::string_view name) {
  return ParseEnumName<ApplyOutcome>(name, "apply outcome", ApplyOutcomeName,
                                     ApplyOutcome::kApplied, ApplyOutcome::kRollbackFailed);
}

}  // namespace relayguard
