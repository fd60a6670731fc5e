#include "controller/rollout/command_states.h"

#include "common/enum_names.h"

namespace relayguard::controller {

const char* PlanStatusName(PlanStatus s) {
  switch (s) {
    case PlanStatus::kWouldChange: return "would-change";
    case PlanStatus::kUnchanged: return "unchanged";
    case PlanStatus::kRefused: return "refused";
    case PlanStatus::kOffline: return "offline";
    case PlanStatus::kNoAnswer: return "no-answer";
  }
  return "unknown";
}

absl::StatusOr<PlanStatus> ParsePlanStatus(absl::string_view name) {
  return ParseEnumName<PlanStatus>(name, "plan status", PlanStatusName, PlanStatus::kWouldChange,
                                   PlanStatus::kNoAnswer);
}

const char* RollbackStatusName(RollbackStatus s) {
  switch (s) {
    case RollbackStatus::kSent: return "sent";
    case RollbackStatus::kRestored: return "restored";
    case RollbackStatus::kUnchanged: return "unchanged";
    case RollbackStatus::kFailed: return "failed";
    case RollbackStatus::kOffline: return "offline";
    case RollbackStatus::kNoAnswer: return "no-answer";
    case RollbackStatus::kSkipped: return "skipped";
  }
  return "unknown";
}

absl::StatusOr<RollbackStatus> ParseRollbackStatus(absl::string_view name) {
  return ParseEnumName<RollbackStatus>(name, "rollback status", RollbackStatusName,
                                       RollbackStatus::kSent, RollbackStatus::kSkipped);
}

}  // namespace relayguard::controller
