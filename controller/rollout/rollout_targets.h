// Which known hosts an operator's request names: by host name or by labels, for a rollout, a
// plan or a rollback. Pure functions over store records.
#ifndef RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_TARGETS_H_
#define RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_TARGETS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/store/records.h"

namespace relayguard::controller {

// Which hosts to roll back: with `rollout_id`, the hosts that rollout changed (narrowed by
// `hosts`/`labels` when given) return to their commit from before it; without, the hosts named
// by `hosts`/`labels` return to the commit before their newest apply. With `to_commit` (one host
// named, nothing else), that host returns to that commit of its history.
struct RollbackTargets {
  std::string rollout_id;
  std::vector<std::string> hosts;
  std::map<std::string, std::string> labels;
  std::string to_commit;
};

// True when `host` is named in `hosts` or carries every one of `labels` (non-empty).
bool MatchesTargets(const HostRecord& host, const std::vector<std::string>& hosts,
                    const std::map<std::string, std::string>& labels);

// The known hosts (in the order of `known`) named by `hosts` or matching `labels`. NotFound for
// a named host that is not known (it has never connected).
absl::StatusOr<std::vector<std::string>> ResolveTargets(
    const std::vector<HostRecord>& known, const std::vector<std::string>& hosts,
    const std::map<std::string, std::string>& labels);

// The known hosts a rollback targets. `rollout` is the record of `targets.rollout_id` (nullopt
// when there is none, or when rollout_id is empty). NotFound for an unknown host or rollout, or
// a host that is not a target of the rollout; FailedPrecondition for a rollout still running or
// paused (abort it first); InvalidArgument when nothing is named or matches,
// or `to_commit` is not a commit id (7 to 64 hex digits) or comes with anything but one host.
absl::StatusOr<std::vector<std::string>> ResolveRollbackTargets(
    const std::vector<HostRecord>& known, const RollbackTargets& targets,
    const std::optional<RolloutRecord>& rollout);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_TARGETS_H_
