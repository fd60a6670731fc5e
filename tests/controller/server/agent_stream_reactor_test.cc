// The agent stream service (controller/server/agent_stream_reactor.cc) served in-process on a
// loopback port over the real controller parts, driven by an agent speaking the wire protocol.
#include "controller/server/agent_stream_reactor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/controller/server/server_fixture.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

using AgentStreamReactorTest = ServerTest;

TEST_F(AgentStreamReactorTest, RefusesAStreamThatDoesNotStartWithAValidHello) {
  std::unique_ptr<WireAgent> silent = Agent();
  pb::AgentMessage beat;
  beat.mutable_heartbeat()->set_sent_at_ms(1);
  ASSERT_TRUE(silent->Write(beat));
  grpc::Status no_hello = silent->Refused();
  EXPECT_EQ(no_hello.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(no_hello.error_message(), HasSubstr("must be a hello"));

  for (const char* bad : {"", "mx1;rm", "operator-alice"}) {
    std::unique_ptr<WireAgent> agent = Agent();
    agent->Hello(bad);
    grpc::Status s = agent->Refused();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
  }
  EXPECT_THAT(*parts_.store->Hosts(), ::testing::IsEmpty());
}

TEST_F(AgentStreamReactorTest, AHelloRecordsTheHostAndTheEndOfTheStreamTakesItOffline) {
  std::unique_ptr<WireAgent> agent = Connected("mx1");
  std::optional<HostRecord> host = *parts_.store->Host("mx1");
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(host->mta, "postfix");
  EXPECT_EQ(host->mta_version, "3.7.11");
  EXPECT_EQ(host->labels.at("site"), "fra1");
  EXPECT_TRUE(agent->Close().ok());
  EXPECT_TRUE(
      testing::WaitFor([&] { return !parts_.registry->Online("mx1"); }, std::chrono::seconds(10)));
}

TEST_F(AgentStreamReactorTest, EchoesHeartbeats) {
  std::unique_ptr<WireAgent> agent = Connected("mx1");
  pb::AgentMessage beat;
  beat.mutable_heartbeat()->set_sent_at_ms(12345);
  ASSERT_TRUE(agent->Write(beat));
  std::optional<pb::ControllerMessage> echo = agent->Next();
  ASSERT_TRUE(echo.has_value());
  ASSERT_TRUE(echo->has_heartbeat());
  EXPECT_EQ(echo->heartbeat().sent_at_ms(), 12345);
}

TEST_F(AgentStreamReactorTest, PushesARolloutAndTakesTheAckAsTheHostsNewPolicy) {
  ASSERT_TRUE(parts_.store->PutPolicyVersion({"no-open-relay", 2, kTestPlaybook, 1}).ok());
  std::unique_ptr<WireAgent> agent = Connected("mx1");
  StartRequest start;
  start.policy = "no-open-relay";
  start.hosts = {"mx1"};
  absl::StatusOr<RolloutRecord> rollout = parts_.manager->Start(start, "op");
  ASSERT_TRUE(rollout.ok()) << rollout.status();
  std::optional<pb::ControllerMessage> push = agent->Next();
  ASSERT_TRUE(push.has_value() && push->has_push());
  EXPECT_EQ(push->push().rollout_id(), rollout->spec.id);
  EXPECT_EQ(push->push().policy_yaml(), kTestPlaybook);

  pb::AgentMessage ack;
  ack.mutable_ack()->set_nonce(push->push().nonce());
  ack.mutable_ack()->set_version(2);
  ack.mutable_ack()->mutable_result()->set_policy_name("no-open-relay");
  ack.mutable_ack()->mutable_result()->set_outcome(pb::ApplyResult::OUTCOME_APPLIED);
  ack.mutable_ack()->mutable_result()->set_backup_commit("c0ffee");
  ASSERT_TRUE(agent->Write(ack));
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return parts_.manager->Get(rollout->spec.id)->state.status == RolloutStatus::kSucceeded;
      },
      std::chrono::seconds(10)));
  EXPECT_EQ((*parts_.store->Host("mx1"))->applied_policy, "no-open-relay");
  EXPECT_EQ((*parts_.store->Host("mx1"))->applied_version, 2u);
  std::vector<HostResult> results = *parts_.store->ResultsForRollout(rollout->spec.id);
  ASSERT_THAT(results, SizeIs(1));
  EXPECT_EQ(results[0].outcome, ApplyOutcome::kApplied);
  EXPECT_EQ(results[0].backup_commit, "c0ffee");
}

// An agent from before the states were enums sends them as names in fields 4, 5 and 10.
TEST_F(AgentStreamReactorTest, StoresAReportOfAnOlderAgentWithItsStates) {
  std::unique_ptr<WireAgent> agent = Connected("mx1");
  pb::AgentMessage report;
  pb::ComplianceReport* r = report.mutable_compliance();
  r->set_seq(3);
  r->set_policy_name("no-open-relay");
  r->set_policy_version(2);
  pb::LegacyComplianceStates legacy;
  legacy.set_mode("enforce");
  legacy.set_status("relay-open");
  legacy.set_enforcement("applied");
  ASSERT_TRUE(r->MergeFromString(legacy.SerializeAsString()));
  ASSERT_TRUE(agent->Write(report));
  std::optional<pb::ControllerMessage> ack = agent->Next();
  ASSERT_TRUE(ack.has_value() && ack->has_compliance_ack());
  std::vector<ComplianceCheckRecord> history = *parts_.store->ComplianceHistory("mx1", 10);
  ASSERT_THAT(history, SizeIs(1));
  EXPECT_EQ(history[0].mode, ComplianceMode::kEnforce);
  EXPECT_EQ(history[0].status, ComplianceStatus::kRelayOpen);
  EXPECT_EQ(history[0].enforcement, Enforcement::kApplied);
  pb::ComplianceReport stored;
  ASSERT_TRUE(stored.ParseFromString(history[0].report));
  EXPECT_EQ(stored.status(), pb::COMPLIANCE_STATUS_RELAY_OPEN);
}

TEST_F(AgentStreamReactorTest, StoresAComplianceReportOnceAndAcksEveryCopy) {
  std::unique_ptr<WireAgent> agent = Connected("mx1");
  pb::AgentMessage report;
  pb::ComplianceReport* r = report.mutable_compliance();
  r->set_seq(7);
  r->set_policy_name("no-open-relay");
  r->set_policy_version(2);
  r->set_mode(pb::COMPLIANCE_MODE_AUDIT);
  r->set_status(pb::COMPLIANCE_STATUS_DRIFTED);
  r->set_enforcement(pb::ENFORCEMENT_NONE);
  r->set_checked_at(1699999999);
  r->set_summary("mynetworks widened");
  for (int copy = 0; copy < 2; ++copy) {
    ASSERT_TRUE(agent->Write(report));
    std::optional<pb::ControllerMessage> ack = agent->Next();
    ASSERT_TRUE(ack.has_value() && ack->has_compliance_ack()) << copy;
    EXPECT_EQ(ack->compliance_ack().seq(), 7u);
  }
  std::vector<ComplianceCheckRecord> history = *parts_.store->ComplianceHistory("mx1", 10);
  ASSERT_THAT(history, SizeIs(1));
  EXPECT_EQ(history[0].status, ComplianceStatus::kDrifted);
  pb::ComplianceReport stored;
  ASSERT_TRUE(stored.ParseFromString(history[0].report));
  EXPECT_EQ(stored.summary(), "mynetworks widened");
}

TEST_F(AgentStreamReactorTest, TellsAnAgentOnAHeldVersionAboutTheHoldAtHello) {
  ASSERT_TRUE(*parts_.store->PutEnforceHold({"no-open-relay", 2, "2 hosts failed", 1}));
  std::unique_ptr<WireAgent> agent = Agent();
  ASSERT_TRUE(agent->Hello("mx1", "no-open-relay", 2));
  std::optional<pb::ControllerMessage> hold = agent->Next();
  ASSERT_TRUE(hold.has_value() && hold->has_enforce_hold());
  EXPECT_EQ(hold->enforce_hold().policy_name(), "no-open-relay");
  EXPECT_EQ(hold->enforce_hold().policy_version(), 2u);
  EXPECT_EQ(hold->enforce_hold().reason(), "2 hosts failed");
  // An agent on another version is not told.
  std::unique_ptr<WireAgent> other = Agent();
  ASSERT_TRUE(other->Hello("mx2", "no-open-relay", 3));
  EXPECT_FALSE(other->Next(std::chrono::seconds(1)).has_value());
}

}  // namespace
}  // namespace relayguard::controller
