// The operator's view of fleet compliance (controller/compliance/fleet_compliance.cc).
#include "controller/compliance/fleet_compliance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace relayguard::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

HostRecord Host(const std::string& name, int64_t last_seen = 10, const std::string& policy = "",
                uint64_t version = 0) {
  HostRecord h;
  h.name = name;
  h.last_seen = last_seen;
  h.applied_policy = policy;
  h.applied_version = version;
  return h;
}

ComplianceCheckRecord Check(const std::string& host, const std::string& status) {
  ComplianceCheckRecord c;
  c.host = host;
  c.seq = 1;
  c.status = *ParseComplianceStatus(status);
  c.checked_at = 100;
  return c;
}

std::vector<std::string> Statuses(const FleetCompliance& f) {
  std::vector<std::string> out;
  for (const HostComplianceState& h : f.hosts)
    out.push_back(h.host + "=" + FleetHostStatusName(h.status));
  return out;
}

TEST(FleetComplianceTest, StatusIsTheNewestCheckUnlessOfflineOrNeverChecked) {
  std::vector<HostRecord> hosts = {Host("mx5"), Host("mx1"), Host("mx2"), Host("mx3"),
                                   Host("mx4")};
  std::vector<ComplianceCheckRecord> latest = {Check("mx1", "compliant"),
                                               Check("mx2", "relay-open"),
                                               Check("mx3", "compliant"),
                                               Check("mx5", "error")};
  std::map<std::string, HostPresence> presence = {
      {"mx1", {true, 50}}, {"mx2", {true, 50}}, {"mx4", {true, 50}}, {"mx5", {true, 5}}};
  FleetCompliance f = SummarizeCompliance(hosts, latest, presence);
  EXPECT_THAT(Statuses(f), ElementsAre("mx1=compliant", "mx2=relay-open", "mx3=unreachable",
                                       "mx4=never-checked", "mx5=error"));
  EXPECT_EQ(f.compliant, 1);
  EXPECT_EQ(f.total, 5);
  // The unreachable host keeps its last check; the never-checked one has none.
  ASSERT_TRUE(f.hosts[2].last.has_value());
  EXPECT_EQ(f.hosts[2].last->status, ComplianceStatus::kCompliant);
  EXPECT_FALSE(f.hosts[2].online);
  EXPECT_FALSE(f.hosts[3].last.has_value());
  // last_seen: the newer of the store's and the live stream's.
  EXPECT_EQ(f.hosts[0].last_seen, 50);
  EXPECT_EQ(f.hosts[4].last_seen, 10);
}

TEST(FleetComplianceTest, AnEmptyFleetHasNothingCompliant) {
  FleetCompliance f = SummarizeCompliance({}, {}, {});
  EXPECT_THAT(f.hosts, IsEmpty());
  EXPECT_EQ(f.compliant, 0);
  EXPECT_EQ(f.total, 0);
}

TEST(FleetComplianceTest, AHoldIsSupersededOnceANewerVersionIsApplied) {
  std::vector<EnforceHoldRecord> holds = {{"p", 2, "r2", 1}, {"p", 3, "r3", 2},
                                          {"q", 1, "rq", 3}, {"never-applied", 1, "rn", 4}};
  std::vector<HostRecord> hosts = {Host("a", 1, "p", 3), Host("b", 1, "p", 2),
                                   Host("c", 1, "q", 1), Host("d", 1)};
  EXPECT_THAT(HoldsInForce(holds, hosts),
              ElementsAre(EnforceHoldRecord{"p", 3, "r3", 2}, EnforceHoldRecord{"q", 1, "rq", 3},
                          EnforceHoldRecord{"never-applied", 1, "rn", 4}));
  EXPECT_EQ(HoldText(holds[0]), "p v2: r2");
}

}  // namespace
}  // namespace relayguard::controller
