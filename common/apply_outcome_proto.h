// The one conversion between ApplyOutcome and its wire form, relayguard.v1.ApplyResult.Outcome,
// for the agent (sending), the controller (receiving) and relayguardctl (printing).
#ifndef RELAYGUARD_COMMON_APPLY_OUTCOME_PROTO_H_
#define RELAYGUARD_COMMON_APPLY_OUTCOME_PROTO_H_

#include "absl/status/statusor.h"
#include "common/apply_outcome.h"
#include "relayguard/v1/agent.pb.h"

namespace relayguard {

// A dry run travels as OUTCOME_UNCHANGED: the wire has no dry-run (a plan's answer says whether
// it would change in AgentPlanResult.would_change).
relayguard::v1::ApplyResult::Outcome ApplyOutcomeToProto(ApplyOutcome outcome);
// InvalidArgument for OUTCOME_UNSPECIFIED and values this build does not know.
absl::StatusOr<ApplyOutcome> ApplyOutcomeFromProto(relayguard::v1::ApplyResult::Outcome outcome);
// The domain name of a proto value, for printing; "unspecified" when it has none.
const char* ApplyOutcomeText(relayguard::v1::ApplyResult::Outcome outcome);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_APPLY_OUTCOME_PROTO_H_
