// The one conversion of each compliance state (common/compliance_states.h) to and from its wire
// enum (agent_stream.proto, operator.proto), and the reading of reports written before the
// states were enums.
#ifndef RELAYGUARD_COMMON_COMPLIANCE_STATES_PROTO_H_
#define RELAYGUARD_COMMON_COMPLIANCE_STATES_PROTO_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/compliance_states.h"
#include "relayguard/v1/agent_stream.pb.h"
#include "relayguard/v1/operator.pb.h"

namespace relayguard {

// FromProto: InvalidArgument for UNSPECIFIED and values this build does not know.
relayguard::v1::ComplianceMode ComplianceModeToProto(ComplianceMode mode);
absl::StatusOr<ComplianceMode> ComplianceModeFromProto(relayguard::v1::ComplianceMode mode);

relayguard::v1::ComplianceStatus ComplianceStatusToProto(ComplianceStatus status);
absl::StatusOr<ComplianceStatus> ComplianceStatusFromProto(relayguard::v1::ComplianceStatus status);

relayguard::v1::Enforcement EnforcementToProto(Enforcement enforcement);
absl::StatusOr<Enforcement> EnforcementFromProto(relayguard::v1::Enforcement enforcement);

relayguard::v1::FleetHostStatus FleetHostStatusToProto(FleetHostStatus status);
absl::StatusOr<FleetHostStatus> FleetHostStatusFromProto(relayguard::v1::FleetHostStatus status);

// The domain name of a proto value, for printing ("relay-open"; "" for ENFORCEMENT_NONE);
// "unspecified" when it has none.
const char* ComplianceModeText(relayguard::v1::ComplianceMode mode);
const char* ComplianceStatusText(relayguard::v1::ComplianceStatus status);
const char* EnforcementText(relayguard::v1::Enforcement enforcement);
const char* FleetHostStatusText(relayguard::v1::FleetHostStatus status);

// A report written before mode, status and enforcement were enums (an older agent's, one queued
// or stored by it) carries them as names in fields 4, 5 and 10 (LegacyComplianceStates), which
// this build keeps as unknown fields. When the report's three enums are unspecified, sets them
// from those names. InvalidArgument naming the field and the value when a name is unknown (the
// enums are left as they were).
absl::Status UpgradeLegacyComplianceReport(relayguard::v1::ComplianceReport& report);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_COMPLIANCE_STATES_PROTO_H_
