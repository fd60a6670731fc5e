#include "common/compliance_states.h"

#include "common/enum_names.h"

namespace relayguard {

const char* ComplianceModeName(ComplianceMode mode) {
  switch (mode) {
    case ComplianceMode::kAudit:
      return "audit";
    case ComplianceMode::kEnforce:
      return "enforce";
  }
  return "unknown";
}

absl::StatusOr<ComplianceMode> ParseComplianceMode(absl::string_view name) {
  return ParseEnumName<ComplianceMode>(name, "compliance mode", ComplianceModeName,
                                       ComplianceMode::kAudit, ComplianceMode::kEnforce);
}

const char* ComplianceStatusName(ComplianceStatus status) {
  switch (status) {
    case ComplianceStatus::kCompliant:
      return "compliant";
    case ComplianceStatus::kDrifted:
      return "drifted";
    case ComplianceStatus::kRelayOpen:
      return "relay-open";
    case ComplianceStatus::kInconclusive:
      return "inconclusive";
    case ComplianceStatus::kError:
      return "error";
  }
  return "unknown";
}

absl::StatusOr<ComplianceStatus> ParseComplianceStatus(absl::string_view name) {
  return ParseEnumName<ComplianceStatus>(name, "compliance status", ComplianceStatusName,
                                         ComplianceStatus::kCompliant, ComplianceStatus::kError);
}

const char* FleetHostStatusName(FleetHostStatus status) {
  switch (status) {
    case FleetHostStatus::kCompliant:
      return ComplianceStatusName(ComplianceStatus::kCompliant);
    case FleetHostStatus::kDrifted:
      return ComplianceStatusName(ComplianceStatus::kDrifted);
    case FleetHostStatus::kRelayOpen:
      return ComplianceStatusName(ComplianceStatus::kRelayOpen);
    case FleetHostStatus::kInconclusive:
      return ComplianceStatusName(ComplianceStatus::kInconclusive);
    case FleetHostStatus::kError:
      return ComplianceStatusName(ComplianceStatus::kError);
    case FleetHostStatus::kUnreachable:
      return "unreachable";
    case FleetHostStatus::kNeverChecked:
      return "never-checked";
  }
  return "unknown";
}

absl::StatusOr<FleetHostStatus> ParseFleetHostStatus(absl::string_view name) {
  return ParseEnumName<FleetHostStatus>(name, "host compliance status", FleetHostStatusName,
                                        FleetHostStatus::kCompliant,
                                        FleetHostStatus::kNeverChecked);
}

FleetHostStatus ToFleetHostStatus(ComplianceStatus status) {
  switch (status) {
    case ComplianceStatus::kCompliant:
      return FleetHostStatus::kCompliant;
    case ComplianceStatus::kDrifted:
      return FleetHostStatus::kDrifted;
    case ComplianceStatus::kRelayOpen:
      return FleetHostStatus::kRelayOpen;
    case ComplianceStatus::kInconclusive:
      return FleetHostStatus::kInconclusive;
    case ComplianceStatus::kError:
      return FleetHostStatus::kError;
  }
  return FleetHostStatus::kError;
}

const char* EnforcementName(Enforcement enforcement) {
  switch (enforcement) {
    case Enforcement::kNone:
      return "";
    case Enforcement::kApplied:
      return "applied";
    case Enforcement::kOutsideWindow:
      return "outside-window";
    case Enforcement::kUnchanged:
      return "unchanged";
    case Enforcement::kRolledBack:
      return "rolled-back";
    case Enforcement::kRollbackFailed:
      return "rollback-failed";
    case Enforcement::kRefused:
      return "refused";
    case Enforcement::kSuspended:
      return "suspended";
    case Enforcement::kHeld:
      return "held";
  }
  return "unknown";
}

absl::StatusOr<Enforcement> ParseEnforcement(absl::string_view name) {
  return ParseEnumName<Enforcement>(name, "enforcement", EnforcementName, Enforcement::kNone,
                                    Enforcement::kHeld);
}

bool EnforcementRan(Enforcement enforcement) {
  return enforcement == Enforcement::kApplied || enforcement == Enforcement::kUnchanged ||
         enforcement == Enforcement::kRefused || EnforcementFailed(enforcement);
}

bool EnforcementFailed(Enforcement enforcement) {
  return enforcement == Enforcement::kRolledBack || enforcement == Enforcement::kRollbackFailed;
}

}  // namespace relayguard
