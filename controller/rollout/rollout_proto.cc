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

const char* HostPhaseText(pb::HostPhase phase) {
  absl::StatusOr<HostPhase> p = HostPhaseFromProto(phase);
  return p.ok() ? HostPhaseName(*p) : "unspecified";
}

const char* RolloutStatusText(pb::RolloutStatus status) {
  absl::StatusOr<RolloutStatus> s = RolloutStatusFromProto(status);
  return s.ok() ? RolloutStatusName(*s) : "unspecified";
}

}  // namespace relayguard::controller
