#include "common/compliance_states_proto.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace relayguard {
namespace {

namespace pb = ::relayguard::v1;

template <typename Domain, typename Wire, size_t N>
using WireTable = std::array<std::pair<Domain, Wire>, N>;

template <typename Domain, typename Wire, size_t N>
Wire ToWire(const WireTable<Domain, Wire, N>& table, Domain value) {
  for (const auto& [domain, wire] : table) {
    if (domain == value) return wire;
  }
  return static_cast<Wire>(0);  // UNSPECIFIED
}

template <typename Domain, typename Wire, size_t N, typename WireNameFn>
absl::StatusOr<Domain> FromWire(const WireTable<Domain, Wire, N>& table, Wire value,
                                absl::string_view what, WireNameFn wire_name) {
  for (const auto& [domain, wire] : table) {
    if (wire == value) return domain;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      what, " ", static_cast<int>(value), " (", wire_name(value), ") is not one this build knows"));
}

constexpr WireTable<ComplianceMode, pb::ComplianceMode, 2> kModes = {{
    {ComplianceMode::kAudit, pb::COMPLIANCE_MODE_AUDIT},
    {ComplianceMode::kEnforce, pb::COMPLIANCE_MODE_ENFORCE},
}};

constexpr WireTable<ComplianceStatus, pb::ComplianceStatus, 5> kStatuses = {{
    {ComplianceStatus::kCompliant, pb::COMPLIANCE_STATUS_COMPLIANT},
    {ComplianceStatus::kDrifted, pb::COMPLIANCE_STATUS_DRIFTED},
    {ComplianceStatus::kRelayOpen, pb::COMPLIANCE_STATUS_RELAY_OPEN},
    {ComplianceStatus::kInconclusive, pb::COMPLIANCE_STATUS_INCONCLUSIVE},
    {ComplianceStatus::kError, pb::COMPLIANCE_STATUS_ERROR},
}};

constexpr WireTable<Enforcement, pb::Enforcement, 9> kEnforcements = {{
    {Enforcement::kNone, pb::ENFORCEMENT_NONE},
    {Enforcement::kApplied, pb::ENFORCEMENT_APPLIED},
    {Enforcement::kOutsideWindow, pb::ENFORCEMENT_OUTSIDE_WINDOW},
    {Enforcement::kUnchanged, pb::ENFORCEMENT_UNCHANGED},
    {Enforcement::kRolledBack, pb::ENFORCEMENT_ROLLED_BACK},
    {Enforcement::kRollbackFailed, pb::ENFORCEMENT_ROLLBACK_FAILED},
    {Enforcement::kRefused, pb::ENFORCEMENT_REFUSED},
    {Enforcement::kSuspended, pb::ENFORCEMENT_SUSPENDED},
    {Enforcement::kHeld, pb::ENFORCEMENT_HELD},
}};

constexpr WireTable<FleetHostStatus, pb::FleetHostStatus, 7> kFleetStatuses = {{
    {FleetHostStatus::kCompliant, pb::FLEET_HOST_STATUS_COMPLIANT},
    {FleetHostStatus::kDrifted, pb::FLEET_HOST_STATUS_DRIFTED},
    {FleetHostStatus::kRelayOpen, pb::FLEET_HOST_STATUS_RELAY_OPEN},
    {FleetHostStatus::kInconclusive, pb::FLEET_HOST_STATUS_INCONCLUSIVE},
    {FleetHostStatus::kError, pb::FLEET_HOST_STATUS_ERROR},
    {FleetHostStatus::kUnreachable, pb::FLEET_HOST_STATUS_UNREACHABLE},
    {FleetHostStatus::kNeverChecked, pb::FLEET_HOST_STATUS_NEVER_CHECKED},
}};

// The legacy name of one field, parsed; `field` names it in the error.
template <typename Parse>
auto ParseLegacy(Parse parse, const std::string& name, absl::string_view field)
    -> decltype(parse(name)) {
  auto parsed = parse(name);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("compliance report field ", field, ": ", parsed.status().message()));
  }
  return parsed;
}

}  // namespace

pb::ComplianceMode ComplianceModeToProto(ComplianceMode mode) { return ToWire(kModes, mode); }
absl::StatusOr<ComplianceMode> ComplianceModeFromProto(pb::ComplianceMode mode) {
  return FromWire(kModes, mode, "compliance mode", pb::ComplianceMode_Name<pb::ComplianceMode>);
}

pb::ComplianceStatus ComplianceStatusToProto(ComplianceStatus status) {
  return ToWire(kStatuses, status);
}
absl::StatusOr<ComplianceStatus> ComplianceStatusFromProto(pb::ComplianceStatus status) {
  return FromWire(kStatuses, status, "compliance status",
                  pb::ComplianceStatus_Name<pb::ComplianceStatus>);
}

pb::Enforcement EnforcementToProto(Enforcement enforcement) {
  return ToWire(kEnforcements, enforcement);
}
absl::StatusOr<Enforcement> EnforcementFromProto(pb::Enforcement enforcement) {
  return FromWire(kEnforcements, enforcement, "enforcement", pb::Enforcement_Name<pb::Enforcement>);
}

pb::FleetHostStatus FleetHostStatusToProto(FleetHostStatus status) {
  return ToWire(kFleetStatuses, status);
}
absl::StatusOr<FleetHostStatus> FleetHostStatusFromProto(pb::FleetHostStatus status) {
  return FromWire(kFleetStatuses, status, "host compliance status",
                  pb::FleetHostStatus_Name<pb::FleetHostStatus>);
}

const char* ComplianceModeText(pb::ComplianceMode mode) {
  absl::StatusOr<ComplianceMode> m = ComplianceModeFromProto(mode);
  return m.ok() ? ComplianceModeName(*m) : "unspecified";
}
const char* ComplianceStatusText(pb::ComplianceStatus status) {
  absl::StatusOr<ComplianceStatus> s = ComplianceStatusFromProto(status);
  return s.ok() ? ComplianceStatusName(*s) : "unspecified";
}
const char* EnforcementText(pb::Enforcement enforcement) {
  absl::StatusOr<Enforcement> e = EnforcementFromProto(enforcement);
  return e.ok() ? EnforcementName(*e) : "unspecified";
}
const char* FleetHostStatusText(pb::FleetHostStatus status) {
  absl::StatusOr<FleetHostStatus> s = FleetHostStatusFromProto(status);
  return s.ok() ? FleetHostStatusName(*s) : "unspecified";
}

absl::Status UpgradeLegacyComplianceReport(pb::ComplianceReport& report) {
  if (report.mode() != pb::COMPLIANCE_MODE_UNSPECIFIED ||
      report.status() != pb::COMPLIANCE_STATUS_UNSPECIFIED ||
      report.enforcement() != pb::ENFORCEMENT_UNSPECIFIED) {
    return absl::OkStatus();
  }
  // The old fields survive parsing as unknown fields, which serializing writes back.
  pb::LegacyComplianceStates legacy;
  if (!legacy.ParseFromString(report.SerializeAsString())) {
    return absl::InvalidArgumentError("compliance report: the legacy states do not parse");
  }
  ASSIGN_OR_RETURN(ComplianceMode mode, ParseLegacy(ParseComplianceMode, legacy.mode(), "mode"));
  ASSIGN_OR_RETURN(ComplianceStatus status,
                   ParseLegacy(ParseComplianceStatus, legacy.status(), "status"));
  ASSIGN_OR_RETURN(Enforcement enforcement,
                   ParseLegacy(ParseEnforcement, legacy.enforcement(), "enforcement"));
  report.set_mode(ComplianceModeToProto(mode));
  report.set_status(ComplianceStatusToProto(status));
  report.set_enforcement(EnforcementToProto(enforcement));
  return absl::OkStatus();
}

}  // namespace relayguard
