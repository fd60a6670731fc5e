// ApplyOutcome's one name and one wire value per outcome, and both read back.
#include "common/apply_outcome.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/apply_outcome_proto.h"

namespace relayguard {
namespace {

namespace pb = ::relayguard::v1;
using ::testing::HasSubstr;

struct Case {
  ApplyOutcome outcome;
  const char* name;
  pb::ApplyResult::Outcome wire;
};

constexpr Case kCases[] = {
    {ApplyOutcome::kApplied, "applied", pb::ApplyResult::OUTCOME_APPLIED},
    {ApplyOutcome::kUnchanged, "unchanged", pb::ApplyResult::OUTCOME_UNCHANGED},
    {ApplyOutcome::kDryRun, "dry-run", pb::ApplyResult::OUTCOME_UNCHANGED},
    {ApplyOutcome::kRefused, "refused", pb::ApplyResult::OUTCOME_REFUSED},
    {ApplyOutcome::kRolledBack, "rolled-back", pb::ApplyResult::OUTCOME_ROLLED_BACK},
    {ApplyOutcome::kRestored, "restored", pb::ApplyResult::OUTCOME_RESTORED},
    {ApplyOutcome::kRollbackFailed, "rollback-failed", pb::ApplyResult::OUTCOME_ROLLBACK_FAILED},
};

TEST(ApplyOutcomeTest, EachOutcomeHasOneNameAndOneWireValue) {
  for (const Case& c : kCases) {
    EXPECT_STREQ(ApplyOutcomeName(c.outcome), c.name);
    absl::StatusOr<ApplyOutcome> parsed = ParseApplyOutcome(c.name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, c.outcome) << c.name;
    EXPECT_EQ(ApplyOutcomeToProto(c.outcome), c.wire) << c.name;
    if (c.outcome == ApplyOutcome::kDryRun) continue;  // travels as unchanged
    absl::StatusOr<ApplyOutcome> from_wire = ApplyOutcomeFromProto(c.wire);
    ASSERT_TRUE(from_wire.ok()) << from_wire.status();
    EXPECT_EQ(*from_wire, c.outcome) << c.name;
    EXPECT_STREQ(ApplyOutcomeText(c.wire), c.name);
  }
}

TEST(ApplyOutcomeTest, UnknownNamesAndWireValuesAreErrors) {
  absl::StatusOr<ApplyOutcome> parsed = ParseApplyOutcome("rejected");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("unknown apply outcome \"rejected\""));
  EXPECT_THAT(parsed.status().message(), HasSubstr("\"refused\""));
  EXPECT_FALSE(ApplyOutcomeFromProto(pb::ApplyResult::OUTCOME_UNSPECIFIED).ok());
  EXPECT_FALSE(ApplyOutcomeFromProto(static_cast<pb::ApplyResult::Outcome>(99)).ok());
  EXPECT_STREQ(ApplyOutcomeText(pb::ApplyResult::OUTCOME_UNSPECIFIED), "unspecified");
}

}  // namespace
}  // namespace relayguard
