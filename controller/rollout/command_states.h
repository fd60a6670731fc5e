// What became of a plan (dry run) or a rollback asked of one host: the per-host answers of
// RolloutManager::Plan and RolloutManager::Rollback, each with its one stable name.
#ifndef RELAYGUARD_CONTROLLER_ROLLOUT_COMMAND_STATES_H_
#define RELAYGUARD_CONTROLLER_ROLLOUT_COMMAND_STATES_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace relayguard::controller {

enum class PlanStatus {
  kWouldChange,  // the policy would change the host's files
  kUnchanged,    // already as the policy wants
  kRefused,      // the agent refused the policy (the reason in the answer's error)
  kOffline,      // no stream to the host
  kNoAnswer,     // no answer before the timeout
};
const char* PlanStatusName(PlanStatus s);  // "would-change", "unchanged", ..., "no-answer"
absl::StatusOr<PlanStatus> ParsePlanStatus(absl::string_view name);

enum class RollbackStatus {
  kSent,       // sent, not waited for
  kRestored,   // the agent restored and verified the files
  kUnchanged,  // already as asked
  kFailed,
  kOffline,
  kNoAnswer,
  kSkipped,    // the rollout did not change this host
};
const char* RollbackStatusName(RollbackStatus s);  // "sent", "restored", ..., "skipped"
absl::StatusOr<RollbackStatus> ParseRollbackStatus(absl::string_view name);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_ROLLOUT_COMMAND_STATES_H_
