// The failure budget of scheduled enforcement (controller/compliance/failure_budget.cc).
#include "controller/compliance/failure_budget.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace relayguard::controller {
namespace {

using ::testing::Optional;

TEST(FailureBudgetTest, APolicyWithoutComplianceHasBudgetZero) {
  agent::Policy policy;
  EXPECT_EQ(FailureBudget(policy), 0);
  policy.compliance = agent::ComplianceSettings{};
  policy.compliance->failure_budget = 3;
  EXPECT_EQ(FailureBudget(policy), 3);
}

TEST(FailureBudgetTest, HoldsOnlyWhenFailuresExceedTheBudget) {
  EXPECT_EQ(EnforceHoldReason("no-open-relay", 2, 1, {}), std::nullopt);
  EXPECT_EQ(EnforceHoldReason("no-open-relay", 2, 1, {"mx1"}), std::nullopt);
  EXPECT_THAT(EnforceHoldReason("no-open-relay", 2, 1, {"mx1", "mx2"}),
              Optional(std::string("2 hosts failed to enforce no-open-relay v2 (budget 1): mx1, mx2")));
  EXPECT_THAT(EnforceHoldReason("p", 7, 0, {"mx9"}),
              Optional(std::string("1 host failed to enforce p v7 (budget 0): mx9")));
  EXPECT_EQ(EnforceHoldReason("p", 7, 3, {"a", "b", "c"}), std::nullopt);
}

TEST(FailureBudgetTest, ThePlaybookTextGivesTheBudgetAndBadTextGivesZero) {
  const std::string base = R"(name: p
version: 2
relay:
  trusted_networks: [127.0.0.1/32]
)";
  EXPECT_EQ(FailureBudgetOfPlaybook(base, "p v2"), 0);
  EXPECT_EQ(FailureBudgetOfPlaybook("name: [", "p v2"), 0);
  EXPECT_EQ(FailureBudgetOfPlaybook(base + "compliance:\n  schedule: \"@hourly\"\n  mode: enforce\n"
                                           "  failure_budget: 4\n",
                                    "p v2"),
            4);
}

}  // namespace
}  // namespace relayguard::controller
