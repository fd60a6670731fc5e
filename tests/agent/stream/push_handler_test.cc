// PushHandler (agent/stream/push_handler.cc) over a real ApplyTransaction with a fake MTA and
// scripted probe verdicts, a real temp dir and a real git backup repository.
#include "agent/stream/push_handler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/agent/stream/push_handler_parts.h"

namespace relayguard::agent {
namespace {

class PushHandlerTest : public ::testing::Test {
 protected:
  static PushRequest Push(uint64_t version = 7) {
    return PushRequest{"n-1", "no-open-relay", version, TestPlaybook(7)};
  }
  std::string Live() { return parts_.Live(); }

  PushHandlerParts parts_;
  PushHandler* handler_ = parts_.handler.get();
  FakeDriver* driver_ = parts_.driver.get();
  ScriptedChecker& checker_ = parts_.checker;
};

TEST_F(PushHandlerTest, AppliesAPushAcksTheNewVersionAndCachesThePolicy) {
  EXPECT_FALSE(handler_->CachedPolicy().has_value());
  PushReply reply = handler_->Apply(Push());
  EXPECT_TRUE(reply.ack) << reply.report.error;
  EXPECT_EQ(reply.version, 7u);
  EXPECT_EQ(reply.report.outcome, Outcome::kApplied);
  EXPECT_EQ(Live(), "closed\n");
  std::optional<Policy> cached = handler_->CachedPolicy();
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->name, "no-open-relay");
  EXPECT_EQ(cached->version, 7u);
  // The same policy pushed again (another nonce) holds as it is: ACK, nothing reloaded.
  driver_->commands.clear();
  PushRequest other = Push();
  other.nonce = "n-2";
  PushReply again = handler_->Apply(other);
  EXPECT_TRUE(again.ack);
  EXPECT_EQ(again.report.outcome, Outcome::kUnchanged);
  EXPECT_EQ(driver_->commands, std::vector<std::string>{});
}

// Regression (controller crash matrix, issue 17): the controller died between sending a push and
// storing its answer; its successor sends the push again with the same nonce. The answer is the
// original one (applied, with its backup commit), not "unchanged" without one: a controller that
// stored "unchanged" skipped the host when the rollout was rolled back, leaving it changed.
TEST_F(PushHandlerTest, APushSentAgainWithItsNonceGetsTheOriginalAnswerAndChangesNothing) {
  PushReply first = handler_->Apply(Push());
  ASSERT_EQ(first.report.outcome, Outcome::kApplied) << first.report.error;
  ASSERT_FALSE(first.report.backup_commit.empty());
  driver_->commands.clear();
  PushReply again = handler_->Apply(Push());
  EXPECT_TRUE(again.ack);
  EXPECT_EQ(again.report.outcome, Outcome::kApplied);
  EXPECT_EQ(again.report.backup_commit, first.report.backup_commit);
  EXPECT_EQ(again.report.result_commit, first.report.result_commit);
  EXPECT_EQ(again.report.diff, first.report.diff);
  EXPECT_EQ(driver_->commands, std::vector<std::string>{}) << "nothing applied or reloaded twice";
  EXPECT_EQ(Live(), "closed\n");
  // Once the files were rolled back, the same nonce does not claim a change that no longer holds.
  ASSERT_EQ(handler_->Rollback("rb-1", std::nullopt).report.outcome, Outcome::kRestored);
  PushReply after = handler_->Apply(Push());
  EXPECT_EQ(after.report.outcome, Outcome::kApplied);
  EXPECT_NE(after.report.result_commit, first.report.result_commit);
}

TEST_F(PushHandlerTest, NacksAPushWhosePlaybookIsAnotherVersionAndTouchesNothing) {
  PushReply reply = handler_->Apply(Push(8));
  EXPECT_FALSE(reply.ack);
  EXPECT_EQ(reply.version, 0u);  // nothing was in force, nothing is
  EXPECT_EQ(reply.report.outcome, Outcome::kRefused);
  EXPECT_EQ(reply.report.failed_phase, "validate-policy");
  EXPECT_NE(reply.report.error.find("no-open-relay v7 but the push says no-open-relay v8"),
            std::string::npos)
      << reply.report.error;
  EXPECT_EQ(Live(), "open\n");
  EXPECT_TRUE(driver_->commands.empty());
}

TEST_F(PushHandlerTest, NacksWithTheVersionStillInForceWhenVerificationFails) {
  ASSERT_TRUE(handler_->Apply(Push()).ack);
  checker_.untrusted_verdict = ProbeVerdict::kRelayAccepted;  // still relays after the change
  PushRequest v8{"n-2", "no-open-relay", 8, TestPlaybook(8)};
  parts_.WriteLive("a.cf", "open\n");
  PushReply reply = handler_->Apply(v8);
  EXPECT_FALSE(reply.ack);
  EXPECT_EQ(reply.version, 7u);
  EXPECT_EQ(reply.report.outcome, Outcome::kRolledBack);
  EXPECT_EQ(Live(), "open\n");  // restored byte for byte
  EXPECT_EQ(handler_->CachedPolicy()->version, 7u);
}

TEST_F(PushHandlerTest, PlanComputesTheDiffAndChangesNothing) {
  PushReply reply = handler_->Plan(Push());
  EXPECT_TRUE(reply.ack);
  EXPECT_EQ(reply.report.outcome, Outcome::kDryRun);
  EXPECT_FALSE(reply.report.diff.empty());
  EXPECT_EQ(Live(), "open\n");
  EXPECT_FALSE(handler_->CachedPolicy().has_value());
  PushReply refused = handler_->Plan(Push(9));
  EXPECT_FALSE(refused.ack);
  EXPECT_EQ(refused.report.failed_phase, "validate-policy");
}

TEST_F(PushHandlerTest, RollbackRestoresAndForgetsThePolicySoTheControllerSeesVersionZero) {
  ASSERT_TRUE(handler_->Apply(Push()).ack);
  PushReply reply = handler_->Rollback("rb-1", std::nullopt);
  EXPECT_TRUE(reply.ack) << reply.report.error;
  EXPECT_EQ(reply.report.outcome, Outcome::kRestored);
  EXPECT_EQ(reply.version, 0u);
  EXPECT_EQ(Live(), "open\n");
  EXPECT_FALSE(handler_->CachedPolicy().has_value());
}

// Controller crash matrix (issue 17): the controller died between receiving a fleet rollback's
// "restored" and storing it; its successor sends the rollback again with the same nonce. The
// answer is the original one, and the files are not touched again (no second restore, no reload).
TEST_F(PushHandlerTest, ARollbackSentAgainWithItsNonceGetsTheOriginalAnswerAndChangesNothing) {
  ASSERT_TRUE(handler_->Apply(Push()).ack);
  PushReply first = handler_->Rollback("rb-1", std::nullopt);
  ASSERT_EQ(first.report.outcome, Outcome::kRestored) << first.report.error;
  ASSERT_FALSE(first.report.result_commit.empty());
  driver_->commands.clear();
  // Changed under the agent's feet since: an answer from memory must not look at the files.
  parts_.WriteLive("b.cf", "edited by hand\n");
  PushReply again = handler_->Rollback("rb-1", std::nullopt);
  EXPECT_TRUE(again.ack);
  EXPECT_EQ(again.report.outcome, Outcome::kRestored);
  EXPECT_EQ(again.report.result_commit, first.report.result_commit);
  EXPECT_EQ(again.report.backup_commit, first.report.backup_commit);
  EXPECT_EQ(again.version, 0u);
  EXPECT_EQ(driver_->commands, std::vector<std::string>{}) << "nothing restored or reloaded twice";
  EXPECT_EQ(Live(), "open\n");
  EXPECT_EQ(parts_.Live("b.cf"), "edited by hand\n");
}

}  // namespace
}  // namespace relayguard::agent
