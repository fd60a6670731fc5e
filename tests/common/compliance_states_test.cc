// The compliance states' one name and one wire value each, and the reading of a report written
// before they were enums (strings in fields 4, 5 and 10).
#include "common/compliance_states.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/compliance_states_proto.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace relayguard {
namespace {

namespace pb = ::relayguard::v1;
using ::testing::HasSubstr;

TEST(ComplianceStatesTest, ModesRoundTrip) {
  for (ComplianceMode m : {ComplianceMode::kAudit, ComplianceMode::kEnforce}) {
    EXPECT_EQ(*ParseComplianceMode(ComplianceModeName(m)), m);
    EXPECT_EQ(*ComplianceModeFromProto(ComplianceModeToProto(m)), m);
  }
  EXPECT_STREQ(ComplianceModeName(ComplianceMode::kEnforce), "enforce");
  EXPECT_EQ(ComplianceModeToProto(ComplianceMode::kAudit), pb::COMPLIANCE_MODE_AUDIT);
  EXPECT_THAT(ParseComplianceMode("Enforce").status().message(),
              HasSubstr("unknown compliance mode \"Enforce\""));
}

TEST(ComplianceStatesTest, StatusesRoundTripUnderTheirNames) {
  struct Case {
    ComplianceStatus status;
    const char* name;
    pb::ComplianceStatus wire;
    FleetHostStatus fleet;
  };
  const Case cases[] = {
      {ComplianceStatus::kCompliant, "compliant", pb::COMPLIANCE_STATUS_COMPLIANT,
       FleetHostStatus::kCompliant},
      {ComplianceStatus::kDrifted, "drifted", pb::COMPLIANCE_STATUS_DRIFTED,
       FleetHostStatus::kDrifted},
      {ComplianceStatus::kRelayOpen, "relay-open", pb::COMPLIANCE_STATUS_RELAY_OPEN,
       FleetHostStatus::kRelayOpen},
      {ComplianceStatus::kInconclusive, "inconclusive", pb::COMPLIANCE_STATUS_INCONCLUSIVE,
       FleetHostStatus::kInconclusive},
      {ComplianceStatus::kError, "error", pb::COMPLIANCE_STATUS_ERROR, FleetHostStatus::kError},
  };
  for (const Case& c : cases) {
    EXPECT_STREQ(ComplianceStatusName(c.status), c.name);
    EXPECT_EQ(*ParseComplianceStatus(c.name), c.status);
    EXPECT_EQ(ComplianceStatusToProto(c.status), c.wire);
    EXPECT_EQ(*ComplianceStatusFromProto(c.wire), c.status);
    EXPECT_STREQ(ComplianceStatusText(c.wire), c.name);
    EXPECT_EQ(ToFleetHostStatus(c.status), c.fleet);
    EXPECT_STREQ(FleetHostStatusName(c.fleet), c.name);
  }
  EXPECT_STREQ(FleetHostStatusName(FleetHostStatus::kUnreachable), "unreachable");
  EXPECT_STREQ(FleetHostStatusName(FleetHostStatus::kNeverChecked), "never-checked");
  EXPECT_EQ(*ParseFleetHostStatus("never-checked"), FleetHostStatus::kNeverChecked);
  for (int i = 0; i <= static_cast<int>(FleetHostStatus::kNeverChecked); ++i) {
    const auto s = static_cast<FleetHostStatus>(i);
    EXPECT_EQ(*FleetHostStatusFromProto(FleetHostStatusToProto(s)), s);
  }
  EXPECT_FALSE(ComplianceStatusFromProto(pb::COMPLIANCE_STATUS_UNSPECIFIED).ok());
  EXPECT_STREQ(ComplianceStatusText(pb::COMPLIANCE_STATUS_UNSPECIFIED), "unspecified");
}

TEST(ComplianceStatesTest, EnforcementsRoundTripAndOnlyRollbacksCountAsFailures) {
  struct Case {
    Enforcement enforcement;
    const char* name;
    bool failure;
    bool ran;
  };
  const Case cases[] = {
      {Enforcement::kNone, "", false, false},
      {Enforcement::kApplied, "applied", false, true},
      {Enforcement::kOutsideWindow, "outside-window", false, false},
      {Enforcement::kUnchanged, "unchanged", false, true},
      {Enforcement::kRolledBack, "rolled-back", true, true},
      {Enforcement::kRollbackFailed, "rollback-failed", true, true},
      {Enforcement::kRefused, "refused", false, true},
      {Enforcement::kSuspended, "suspended", false, false},
      {Enforcement::kHeld, "held", false, false},
  };
  for (const Case& c : cases) {
    EXPECT_STREQ(EnforcementName(c.enforcement), c.name);
    EXPECT_EQ(*ParseEnforcement(c.name), c.enforcement) << c.name;
    EXPECT_EQ(*EnforcementFromProto(EnforcementToProto(c.enforcement)), c.enforcement);
    EXPECT_EQ(EnforcementFailed(c.enforcement), c.failure) << c.name;
    EXPECT_EQ(EnforcementRan(c.enforcement), c.ran) << c.name;
  }
  EXPECT_EQ(EnforcementToProto(Enforcement::kNone), pb::ENFORCEMENT_NONE);
  EXPECT_FALSE(EnforcementFromProto(pb::ENFORCEMENT_UNSPECIFIED).ok());
}

// A ComplianceReport as relayguard wrote it before the states were enums: mode, status and
// enforcement as strings in fields 4, 5 and 10, written field by field on the wire.
std::string TodaysReportBytes(const std::string& mode, const std::string& status,
                              const std::string& enforcement) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    auto text = [&](int field, const std::string& value) {
      out.WriteTag(static_cast<uint32_t>(field << 3 | 2));
      out.WriteVarint32(static_cast<uint32_t>(value.size()));
      out.WriteString(value);
    };
    out.WriteTag(1 << 3);  // seq
    out.WriteVarint64(7);
    text(2, "no-open-relay");
    text(4, mode);
    text(5, status);
    out.WriteTag(6 << 3);  // checked_at
    out.WriteVarint64(1700000000);
    if (!enforcement.empty()) text(10, enforcement);
    text(13, "summary line");
  }
  return bytes;
}

TEST(ComplianceStatesTest, AReportInTheOldFormatReadsBackWithItsStates) {
  pb::ComplianceReport report;
  ASSERT_TRUE(report.ParseFromString(TodaysReportBytes("enforce", "relay-open", "rolled-back")));
  EXPECT_EQ(report.status(), pb::COMPLIANCE_STATUS_UNSPECIFIED);
  ASSERT_TRUE(UpgradeLegacyComplianceReport(report).ok());
  EXPECT_EQ(report.seq(), 7u);
  EXPECT_EQ(report.policy_name(), "no-open-relay");
  EXPECT_EQ(report.mode(), pb::COMPLIANCE_MODE_ENFORCE);
  EXPECT_EQ(report.status(), pb::COMPLIANCE_STATUS_RELAY_OPEN);
  EXPECT_EQ(report.enforcement(), pb::ENFORCEMENT_ROLLED_BACK);
  EXPECT_EQ(report.summary(), "summary line");

  // Stored again after the upgrade (the controller keeps the bytes) and read back.
  pb::ComplianceReport again;
  ASSERT_TRUE(again.ParseFromString(report.SerializeAsString()));
  ASSERT_TRUE(UpgradeLegacyComplianceReport(again).ok());
  EXPECT_EQ(again.status(), pb::COMPLIANCE_STATUS_RELAY_OPEN);

  pb::ComplianceReport audit;
  ASSERT_TRUE(audit.ParseFromString(TodaysReportBytes("audit", "compliant", "")));
  ASSERT_TRUE(UpgradeLegacyComplianceReport(audit).ok());
  EXPECT_EQ(audit.mode(), pb::COMPLIANCE_MODE_AUDIT);
  EXPECT_EQ(audit.status(), pb::COMPLIANCE_STATUS_COMPLIANT);
  EXPECT_EQ(audit.enforcement(), pb::ENFORCEMENT_NONE);
}

TEST(ComplianceStatesTest, ANewReportIsLeftAloneAndAnUnknownOldNameIsAnError) {
  pb::ComplianceReport report;
  report.set_mode(pb::COMPLIANCE_MODE_AUDIT);
  report.set_status(pb::COMPLIANCE_STATUS_DRIFTED);
  report.set_enforcement(pb::ENFORCEMENT_NONE);
  ASSERT_TRUE(UpgradeLegacyComplianceReport(report).ok());
  EXPECT_EQ(report.status(), pb::COMPLIANCE_STATUS_DRIFTED);

  pb::ComplianceReport odd;
  ASSERT_TRUE(odd.ParseFromString(TodaysReportBytes("audit", "sleeping", "")));
  absl::Status s = UpgradeLegacyComplianceReport(odd);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("field status"));
  EXPECT_THAT(s.message(), HasSubstr("\"sleeping\""));
  EXPECT_EQ(odd.status(), pb::COMPLIANCE_STATUS_UNSPECIFIED);
}

}  // namespace
}  // namespace relayguard
