// Which hosts a request names (controller/rollout/rollout_targets.cc): table-driven.
#include "controller/rollout/rollout_targets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace relayguard::controller {
namespace {

using ::testing::ElementsAreArray;

std::vector<HostRecord> Known() {
  return {{"mx1", {{"site", "fra1"}, {"tier", "edge"}}},
          {"mx2", {{"site", "fra1"}}},
          {"mx3", {{"site", "ams1"}}}};
}

TEST(RolloutTargetsTest, ResolvesNamesAndLabelsInTheOrderOfTheKnownHosts) {
  struct Case {
    std::vector<std::string> hosts;
    std::map<std::string, std::string> labels;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {{"mx3", "mx1"}, {}, {"mx1", "mx3"}},
      {{}, {{"site", "fra1"}}, {"mx1", "mx2"}},
      {{}, {{"site", "fra1"}, {"tier", "edge"}}, {"mx1"}},  // every label must match
      {{"mx3"}, {{"tier", "edge"}}, {"mx1", "mx3"}},        // names or labels
      {{}, {{"site", "lon1"}}, {}},
      {{}, {}, {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<std::string>> got = ResolveTargets(Known(), c.hosts, c.labels);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_THAT(*got, ElementsAreArray(c.want));
  }
  EXPECT_TRUE(absl::IsNotFound(ResolveTargets(Known(), {"mx9"}, {}).status()));
}

TEST(RolloutTargetsTest, ARollbackOfARolloutIsNarrowedToItsTargets) {
  RolloutRecord rollout;
  rollout.spec.id = "r-000001";
  rollout.spec.hosts = {"mx2", "mx3"};
  rollout.state.status = RolloutStatus::kSucceeded;
  auto all = ResolveRollbackTargets(Known(), {"r-000001", {}, {}}, rollout);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, ElementsAreArray({"mx2", "mx3"}));
  auto fra = ResolveRollbackTargets(Known(), {"r-000001", {}, {{"site", "fra1"}}}, rollout);
  ASSERT_TRUE(fra.ok());
  EXPECT_THAT(*fra, ElementsAreArray({"mx2"}));
  auto outside = ResolveRollbackTargets(Known(), {"r-000001", {"mx1"}, {}}, rollout);
  EXPECT_TRUE(absl::IsNotFound(outside.status()));
  auto none = ResolveRollbackTargets(Known(), {"r-000002", {}, {}}, std::nullopt);
  EXPECT_TRUE(absl::IsNotFound(none.status()));
  auto unknown = ResolveRollbackTargets(Known(), {"", {"mx9"}, {}}, std::nullopt);
  EXPECT_TRUE(absl::IsNotFound(unknown.status()));
  auto unnamed = ResolveRollbackTargets(Known(), {"", {}, {}}, std::nullopt);
  EXPECT_TRUE(absl::IsInvalidArgument(unnamed.status()));
  auto unmatched = ResolveRollbackTargets(Known(), {"", {}, {{"site", "lon1"}}}, std::nullopt);
  EXPECT_TRUE(absl::IsInvalidArgument(unmatched.status()));
}

TEST(RolloutTargetsTest, ARolloutStillGoingIsNotRolledBackUntilAborted) {
  RolloutRecord rollout;
  rollout.spec.id = "r-000001";
  rollout.spec.hosts = {"mx2", "mx3"};
  for (RolloutStatus going : {RolloutStatus::kRunning, RolloutStatus::kPaused}) {
    rollout.state.status = going;
    auto refused = ResolveRollbackTargets(Known(), {"r-000001", {}, {}}, rollout);
    EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
    EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("abort it first"));
  }
  for (RolloutStatus over :
       {RolloutStatus::kHalted, RolloutStatus::kAborted, RolloutStatus::kSucceeded}) {
    rollout.state.status = over;
    EXPECT_TRUE(ResolveRollbackTargets(Known(), {"r-000001", {}, {}}, rollout).ok());
  }
}

TEST(RolloutTargetsTest, ARollbackToACommitNamesOneHostAndACommitId) {
  const std::string commit(40, 'a');
  EXPECT_TRUE(ResolveRollbackTargets(Known(), {"", {"mx1"}, {}, commit}, std::nullopt).ok());
  EXPECT_TRUE(ResolveRollbackTargets(Known(), {"", {"mx1"}, {}, "abc1234"}, std::nullopt).ok());
  for (const std::string& bad : {std::string("abc12"), std::string("HEAD~1"),
                                 std::string(65, 'a'), std::string("abc1234\n")}) {
    auto refused = ResolveRollbackTargets(Known(), {"", {"mx1"}, {}, bad}, std::nullopt);
    EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << bad;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(
      ResolveRollbackTargets(Known(), {"", {"mx1", "mx2"}, {}, commit}, std::nullopt).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ResolveRollbackTargets(Known(), {"", {"mx1"}, {{"site", "fra1"}}, commit}, std::nullopt)
          .status()));
}

}  // namespace
}  // namespace relayguard::controller
