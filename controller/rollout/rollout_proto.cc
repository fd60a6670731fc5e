#include "controller/rollout/rollout_proto.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace relayguard::controller {
namespace {
namespace pb = ::relayguard::v1;

// Each pair once: both directions read the same table, so neither depends on enum positions.
constexpr std::pair<HostPhase, pb::HostPhase> kHostPhases[] = {
    {HostPhase::kWaiting, pb::HOST_PHASE_WAITING},
    {HostPhase::kPending, pb::HOST_PHASE_PENDING},
    {HostPhase::kPushed, pb::HOST_PHASE_PUSHED},
    {HostPhase::kSucceeded, pb::HOST_PHASE_SUCCEEDED},
    {HostPhase::kFailed, pb::HOST_PHASE_FAILED},
    {HostPhase::kRollingBack, pb::HOST_PHASE_ROLLING_BACK},
    {HostPhase::kRolledBack, pb::HOST_PHASE_ROLLED_BACK},
};

constexpr std::pair<RolloutStatus, pb::RolloutStatus> kRolloutStatuses[] = {
    {RolloutStatus::kRunning, pb::ROLLOUT_STATUS_RUNNING},
    {RolloutStatus::kPaused, pb::ROLLOUT_STATUS_PAUSED},
    {RolloutStatus::kHalted, pb::ROLLOUT_STATUS_HALTED},
    {RolloutStatus::kAborted, pb::ROLLOUT_STATUS_ABORTED},
    {RolloutStatus::kSucceeded, pb::ROLLOUT_STATUS_SUCCEEDED},
};

constexpr std::pair<PlanStatus, pb::PlanStatus> kPlanStatuses[] = {
    {PlanStatus::kWouldChange, pb::PLAN_STATUS_WOULD_CHANGE},
    {PlanStatus::kUnchanged, pb::PLAN_STATUS_UNCHANGED},
    {PlanStatus::kRefused, pb::PLAN_STATUS_REFUSED},
    {PlanStatus::kOffline, pb::PLAN_STATUS_OFFLINE},
    {PlanStatus::kNoAnswer, pb::PLAN_STATUS_NO_ANSWER},
};

constexpr std::pair<RollbackStatus, pb::RollbackStatus> kRollbackStatuses[] = {
    {RollbackStatus::kSent, pb::ROLLBACK_STATUS_SENT},
    {RollbackStatus::kRestored, pb::ROLLBACK_STATUS_RESTORED},
    {RollbackStatus::kUnchanged, pb::ROLLBACK_STATUS_UNCHANGED},
    {RollbackStatus::kFailed, pb::ROLLBACK_STATUS_FAILED},
    {RollbackStatus::kOffline, pb::ROLLBACK_STATUS_OFFLINE},
    {RollbackStatus::kNoAnswer, pb::ROLLBACK_STATUS_NO_ANSWER},
    {RollbackStatus::kSkipped, pb::ROLLBACK_STATUS_SKIPPED},
};

// The domain name of `value`, or "unspecified" when it has none.
template <typename Domain, typename Proto, size_t N, typename NameFn>
const char* Text(const std::pair<Domain, Proto> (&table)[N], Proto value, NameFn name_of) {
  for (const auto& [domain, proto] : table) {
    if (proto == value) return name_of(domain);
  }
  return "unspecified";
}

template <typename Domain, typename Proto, size_t N>
Proto ToProto(const std::pair<Domain, Proto> (&table)[N], Domain value) {
  for (const auto& [domain, proto] : table) {
    if (domain == value) return proto;
  }
  return Proto{};  // UNSPECIFIED: only reachable through a cast of an out-of-range integer
}

template <typename Domain, typename Proto, size_t N>
absl::StatusOr<Domain> FromProto(const std::pair<Domain, Proto> (&table)[N], Proto value,
                                 const char* what) {
  for (const auto& [domain, proto] : table) {
    if (proto == value) return domain;
  }
  return absl::InvalidArgumentError(absl::StrCat(what, " ", static_cast<int>(value),
                                                 " is unspecified or unknown to this build"));
}

}  // namespace

pb::HostPhase HostPhaseToProto(HostPhase phase) { return ToProto(kHostPhases, phase); }

absl::StatusOr<HostPhase> HostPhaseFromProto(pb::HostPhase phase) {
  return FromProto(kHostPhases, phase, "host phase");
}

pb::RolloutStatus RolloutStatusToProto(RolloutStatus status) {
  return ToProto(kRolloutStatuses, status);
}

absl::StatusOr<RolloutStatus> RolloutStatusFromProto(pb::RolloutStatus status) {
  return FromProto(kRolloutStatuses, status, "rollout status");
}

pb::PlanStatus PlanStatusToProto(PlanStatus status) { return ToProto(kPlanStatuses, status); }

absl::StatusOr<PlanStatus> PlanStatusFromProto(pb::PlanStatus status) {
  return FromProto(kPlanStatuses, status, "plan status");
}

pb::RollbackStatus RollbackStatusToProto(RollbackStatus status) {
  return ToProto(kRollbackStatuses, status);
}

absl::StatusOr<RollbackStatus> RollbackStatusFromProto(pb::RollbackStatus status) {
  return FromProto(kRollbackStatuses, status, "rollback status");
}

const char* HostPhaseText(pb::HostPhase phase) {
  return Text(kHostPhases, phase, HostPhaseName);
}
const char* RolloutStatusText(pb::RolloutStatus status) {
  return Text(kRolloutStatuses, status, RolloutStatusName);
}
const char* PlanStatusText(pb::PlanStatus status) {
  return Text(kPlanStatuses, status, PlanStatusName);
}
const char* RollbackStatusText(pb::RollbackStatus status) {
  return Text(kRollbackStatuses, status, RollbackStatusName);
}

}  // namespace relayguard::controller
