#include "common/apply_outcome_proto.h"

#include "absl/strings/str_cat.h"

namespace relayguard {

namespace pb = ::relayguard::v1;

pb::ApplyResult::Outcome ApplyOutcomeToProto(ApplyOutcome outcome) {
  switch (outcome) {
    case ApplyOutcome::kApplied:
      return pb::ApplyResult::OUTCOME_APPLIED;
    case ApplyOutcome::kUnchanged:
      return pb::ApplyResult::OUTCOME_UNCHANGED;
    case ApplyOutcome::kDryRun:
      return pb::ApplyResult::OUTCOME_UNCHANGED;
    case ApplyOutcome::kRefused:
      return pb::ApplyResult::OUTCOME_REFUSED;
    case ApplyOutcome::kRolledBack:
      return pb::ApplyResult::OUTCOME_ROLLED_BACK;
    case ApplyOutcome::kRestored:
      return pb::ApplyResult::OUTCOME_RESTORED;
    case ApplyOutcome::kRollbackFailed:
      return pb::ApplyResult::OUTCOME_ROLLBACK_FAILED;
  }
  return pb::ApplyResult::OUTCOME_UNSPECIFIED;
}

absl::StatusOr<ApplyOutcome> ApplyOutcomeFromProto(pb::ApplyResult::Outcome outcome) {
  switch (outcome) {
    case pb::ApplyResult::OUTCOME_APPLIED:
      return ApplyOutcome::kApplied;
    case pb::ApplyResult::OUTCOME_UNCHANGED:
      return ApplyOutcome::kUnchanged;
    case pb::ApplyResult::OUTCOME_REFUSED:
      return ApplyOutcome::kRefused;
    case pb::ApplyResult::OUTCOME_ROLLED_BACK:
      return ApplyOutcome::kRolledBack;
    case pb::ApplyResult::OUTCOME_RESTORED:
      return ApplyOutcome::kRestored;
    case pb::ApplyResult::OUTCOME_ROLLBACK_FAILED:
      return ApplyOutcome::kRollbackFailed;
    default:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat("apply outcome ", static_cast<int>(outcome), " (",
                                                 pb::ApplyResult::Outcome_Name(outcome),
                                                 ") is not one this build knows"));
}

const char* ApplyOutcomeText(pb::ApplyResult::Outcome outcome) {
  absl::StatusOr<ApplyOutcome> o = ApplyOutcomeFromProto(outcome);
  return o.ok() ? ApplyOutcomeName(*o) : "unspecified";
}

}  // namespace relayguard
