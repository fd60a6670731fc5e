// The rollout engine's states and the plan and rollback answers on the operator API (operator.proto): the one place each is
// converted between its domain enum and its proto enum. The engine itself knows no protobuf.
#ifndef RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_PROTO_H_
#define RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_PROTO_H_

#include "absl/status/statusor.h"
#include "controller/rollout/command_states.h"
#include "controller/rollout/rollout_engine.h"
#include "relayguard/v1/operator.pb.h"

namespace relayguard::controller {

relayguard::v1::HostPhase HostPhaseToProto(HostPhase phase);
// InvalidArgument for HOST_PHASE_UNSPECIFIED and values this build does not know.
absl::StatusOr<HostPhase> HostPhaseFromProto(relayguard::v1::HostPhase phase);

relayguard::v1::RolloutStatus RolloutStatusToProto(RolloutStatus status);
absl::StatusOr<RolloutStatus> RolloutStatusFromProto(relayguard::v1::RolloutStatus status);

relayguard::v1::PlanStatus PlanStatusToProto(PlanStatus status);
absl::StatusOr<PlanStatus> PlanStatusFromProto(relayguard::v1::PlanStatus status);

relayguard::v1::RollbackStatus RollbackStatusToProto(RollbackStatus status);
absl::StatusOr<RollbackStatus> RollbackStatusFromProto(relayguard::v1::RollbackStatus status);

// The domain name of a proto value, for printing ("running", "rolled-back"); "unspecified" when
// it has none (an older controller, or a value this build does not know).
const char* HostPhaseText(relayguard::v1::HostPhase phase);
const char* RolloutStatusText(relayguard::v1::RolloutStatus status);
const char* PlanStatusText(relayguard::v1::PlanStatus status);
const char* RollbackStatusText(relayguard::v1::RollbackStatus status);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_ROLLOUT_ROLLOUT_PROTO_H_
