// The operator service (controller/server/operator_service.cc) served in-process on a loopback
// port over the real controller parts, with agents speaking the wire protocol from the test.
#include "controller/server/operator_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "tests/controller/server/server_fixture.h"

namespace relayguard::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class OperatorServiceTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_TRUE(parts_.store->PutPolicyVersion({"no-open-relay", 2, kTestPlaybook, 1}).ok());
  }
};

TEST_F(OperatorServiceTest, ListsKnownHostsWithWhetherTheyAreOnline) {
  std::unique_ptr<WireAgent> mx1 = Connected("mx1");
  HostRecord gone;
  gone.name = "mx0";
  gone.last_seen = 1600000000;
  ASSERT_TRUE(parts_.store->UpsertHost(gone).ok());
  grpc::ClientContext context;
  pb::ListHostsResponse response;
  ASSERT_TRUE(operator_->ListHosts(&context, pb::ListHostsRequest(), &response).ok());
  ASSERT_EQ(response.hosts_size(), 2);
  EXPECT_EQ(response.hosts(0).name(), "mx0");
  EXPECT_FALSE(response.hosts(0).online());
  EXPECT_EQ(response.hosts(0).last_seen(), 1600000000);
  EXPECT_EQ(response.hosts(1).name(), "mx1");
  EXPECT_TRUE(response.hosts(1).online());
  EXPECT_EQ(response.hosts(1).labels().at("site"), "fra1");
}

TEST_F(OperatorServiceTest, StartRolloutValidatesItsRequestAndAuditsTheStart) {
  std::unique_ptr<WireAgent> mx1 = Connected("mx1");
  pb::StartRolloutRequest request;
  pb::RolloutInfo info;
  {
    grpc::ClientContext context;
    grpc::Status s = operator_->StartRollout(&context, request, &info);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  request.set_policy("no-open-relay");
  request.add_hosts("mx9");
  {
    grpc::ClientContext context;
    grpc::Status s = operator_->StartRollout(&context, request, &info);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(s.error_message(), HasSubstr("mx9"));
  }
  request.set_hosts(0, "mx1");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(operator_->StartRollout(&context, request, &info).ok());
  }
  EXPECT_EQ(info.policy(), "no-open-relay");
  EXPECT_EQ(info.version(), 2u);
  ASSERT_EQ(info.hosts_size(), 1);
  EXPECT_EQ(info.hosts(0).host(), "mx1");
  EXPECT_EQ(info.hosts(0).phase(), relayguard::v1::HOST_PHASE_PUSHED);
  std::optional<pb::ControllerMessage> push = mx1->Next();
  ASSERT_TRUE(push.has_value() && push->has_push());

  grpc::ClientContext context;
  pb::ListAuditRequest audit_request;
  pb::ListAuditResponse audit;
  ASSERT_TRUE(operator_->ListAudit(&context, audit_request, &audit).ok());
  ASSERT_EQ(audit.entries_size(), 2);
  EXPECT_EQ(audit.entries(0).who(), "insecure-operator");
  EXPECT_EQ(audit.entries(0).action(), "rollout start");
  EXPECT_EQ(audit.entries(0).result(), "ok");
  EXPECT_THAT(audit.entries(1).result(), HasSubstr("mx9"));
}

// A bad reason is refused by the service for every action that takes one: INVALID_ARGUMENT
// naming the field and what is wrong, nothing started, sent or audited.
TEST_F(OperatorServiceTest, ABadReasonIsRefusedAndNothingIsDoneOrAudited) {
  std::unique_ptr<WireAgent> mx1 = Connected("mx1");
  const std::string too_long(501, 'x');
  pb::StartRolloutRequest start;
  start.set_policy("no-open-relay");
  start.add_hosts("mx1");
  start.set_reason("close relays\nnow");
  pb::RolloutInfo info;
  {
    grpc::ClientContext context;
    grpc::Status s = operator_->StartRollout(&context, start, &info);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("reason contains a newline (character 13)"));
    EXPECT_THAT(s.error_message(), HasSubstr("nothing was changed"));
  }
  pb::RollbackHostsRequest rollback;
  rollback.add_hosts("mx1");
  rollback.set_reason("bell\a");
  pb::RollbackHostsResponse rolled;
  {
    grpc::ClientContext context;
    grpc::Status s = operator_->RollbackHosts(&context, rollback, &rolled);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(),
                HasSubstr("reason contains the control character U+0007 (character 5)"));
  }
  {
    grpc::ClientContext context;
    pb::ListRolloutsResponse rollouts;
    ASSERT_TRUE(operator_->ListRollouts(&context, {}, &rollouts).ok());
    EXPECT_EQ(rollouts.rollouts_size(), 0);
  }

  // A good reason starts the rollout and is kept with it and in the audit log.
  start.set_reason("CHG-1042 close open relays");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(operator_->StartRollout(&context, start, &info).ok());
  }
  EXPECT_EQ(info.reason(), "CHG-1042 close open relays");
  EXPECT_EQ(info.created_by(), "insecure-operator");
  std::optional<pb::ControllerMessage> push = mx1->Next();
  ASSERT_TRUE(push.has_value() && push->has_push());  // the first thing mx1 was sent

  pb::GetRolloutRequest abort;
  abort.set_id(info.id());
  abort.set_reason(too_long);
  {
    grpc::ClientContext context;
    grpc::Status s = operator_->AbortRollout(&context, abort, &info);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("reason is too long: 501 characters"));
  }
  {
    grpc::ClientContext context;
    pb::GetRolloutRequest get;
    get.set_id(info.id());
    ASSERT_TRUE(operator_->GetRollout(&context, get, &info).ok());
    EXPECT_NE(info.status(), pb::ROLLOUT_STATUS_ABORTED);
    EXPECT_EQ(info.reason(), "CHG-1042 close open relays");
  }
  abort.set_reason("wrong playbook");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(operator_->AbortRollout(&context, abort, &info).ok());
    EXPECT_EQ(info.status(), pb::ROLLOUT_STATUS_ABORTED);
  }

  grpc::ClientContext context;
  pb::ListAuditResponse audit;
  ASSERT_TRUE(operator_->ListAudit(&context, pb::ListAuditRequest(), &audit).ok());
  ASSERT_EQ(audit.entries_size(), 2) << audit.DebugString();  // the refusals left no entry
  EXPECT_EQ(audit.entries(0).action(), "rollout abort");
  EXPECT_EQ(audit.entries(0).reason(), "wrong playbook");
  EXPECT_EQ(audit.entries(1).action(), "rollout start");
  EXPECT_EQ(audit.entries(1).who(), "insecure-operator");
  EXPECT_EQ(audit.entries(1).reason(), "CHG-1042 close open relays");
}

TEST_F(OperatorServiceTest, PlanReturnsEachAgentsDiffAndTheSilentOnesAsNoAnswer) {
  std::unique_ptr<WireAgent> mx1 = Connected("mx1");
  std::unique_ptr<WireAgent> mx2 = Connected("mx2");
  pb::PlanRequest request;
  request.set_policy("no-open-relay");
  request.add_hosts("mx1");
  request.add_hosts("mx2");
  request.set_timeout_s(2);
  pb::PlanResponse response;
  std::future<grpc::Status> call = std::async(std::launch::async, [&] {
    grpc::ClientContext context;
    return operator_->Plan(&context, request, &response);
  });
  std::optional<pb::ControllerMessage> ask = mx1->Next();
  ASSERT_TRUE(ask.has_value() && ask->has_plan());
  EXPECT_EQ(ask->plan().policy_yaml(), kTestPlaybook);
  pb::AgentMessage answer;
  answer.mutable_plan_result()->set_nonce(ask->plan().nonce());
  answer.mutable_plan_result()->set_would_change(true);
  answer.mutable_plan_result()->mutable_result()->set_diff("-mynetworks = 0.0.0.0/0\n");
  ASSERT_TRUE(mx1->Write(answer));
  ASSERT_TRUE(call.get().ok());
  ASSERT_EQ(response.hosts_size(), 2);
  EXPECT_EQ(response.hosts(0).status(), relayguard::v1::PLAN_STATUS_WOULD_CHANGE);
  EXPECT_EQ(response.hosts(0).diff(), "-mynetworks = 0.0.0.0/0\n");
  EXPECT_EQ(response.hosts(1).status(), relayguard::v1::PLAN_STATUS_NO_ANSWER);
  EXPECT_EQ(response.hosts(1).error(), "no answer within 2 s");
}

TEST_F(OperatorServiceTest, RollbackHostsWaitsForTheAgentsAnswer) {
  std::unique_ptr<WireAgent> mx1 = Connected("mx1");
  pb::RollbackHostsRequest request;
  request.add_hosts("mx1");
  request.set_wait_s(601);
  pb::RollbackHostsResponse response;
  {
    grpc::ClientContext context;
    EXPECT_EQ(operator_->RollbackHosts(&context, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  request.set_wait_s(10);
  std::future<grpc::Status> call = std::async(std::launch::async, [&] {
    grpc::ClientContext context;
    return operator_->RollbackHosts(&context, request, &response);
  });
  std::optional<pb::ControllerMessage> ask = mx1->Next();
  ASSERT_TRUE(ask.has_value() && ask->has_rollback());
  EXPECT_EQ(ask->rollback().to_commit(), "");
  pb::AgentMessage ack;
  ack.mutable_ack()->set_nonce(ask->rollback().nonce());
  ack.mutable_ack()->mutable_result()->set_outcome(pb::ApplyResult::OUTCOME_RESTORED);
  ack.mutable_ack()->mutable_result()->set_result_commit("d00d");
  ASSERT_TRUE(mx1->Write(ack));
  ASSERT_TRUE(call.get().ok());
  ASSERT_EQ(response.hosts_size(), 1);
  EXPECT_EQ(response.hosts(0).status(), relayguard::v1::ROLLBACK_STATUS_RESTORED);
  EXPECT_EQ(response.hosts(0).result_commit(), "d00d");

  grpc::ClientContext context;
  pb::HostHistoryRequest history_request;
  history_request.set_host("mx1");
  pb::HostHistoryResponse history;
  ASSERT_TRUE(operator_->HostHistory(&context, history_request, &history).ok());
  ASSERT_EQ(history.results_size(), 1);
  EXPECT_EQ(history.results(0).outcome(), pb::ApplyResult::OUTCOME_RESTORED);
}

TEST_F(OperatorServiceTest, ReloadPlaybooksReportsAndAuditsWhatTheReloaderDid) {
  reload_result_ = {{"no-open-relay v2"}, {"playbooks/bad.yaml:3:1: bad CIDR"}};
  grpc::ClientContext context;
  pb::ReloadPlaybooksResponse response;
  ASSERT_TRUE(operator_->ReloadPlaybooks(&context, pb::ReloadPlaybooksRequest(), &response).ok());
  EXPECT_THAT(response.loaded(), ElementsAre("no-open-relay v2"));
  EXPECT_THAT(response.errors(), SizeIs(1));
  std::vector<AuditEntry> audit = *parts_.store->AuditLog(1);
  EXPECT_EQ(audit[0].action, "playbooks reload");
  EXPECT_EQ(audit[0].target, "1 loaded");
  EXPECT_THAT(audit[0].result, HasSubstr("bad CIDR"));
}

TEST_F(OperatorServiceTest, ComplianceOfAnUnknownHostIsNotFound) {
  grpc::ClientContext context;
  pb::ComplianceRequest request;
  request.set_host("mx9");
  pb::ComplianceResponse response;
  EXPECT_EQ(operator_->Compliance(&context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(OperatorServiceTest, PreviewRollbackShowsWhatWouldBeUndoneAndSendsNothing) {
  std::unique_ptr<WireAgent> mx1 = Connected("mx1");
  HostResult applied;
  applied.host = "mx1";
  applied.nonce = "n1";
  applied.outcome = ApplyOutcome::kApplied;
  applied.diff = "--- a/main.cf\n+++ b/main.cf\n-mynetworks = 0.0.0.0/0\n+mynetworks = 127.0.0.0/8\n";
  applied.backup_commit = "1111111111111111111111111111111111111111";
  applied.result_commit = "2222222222222222222222222222222222222222";
  applied.at = 100;
  ASSERT_TRUE(parts_.store->AddResult(applied).ok());

  pb::RollbackHostsRequest request;
  request.add_hosts("mx1");
  pb::RollbackPreviewResponse preview;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(operator_->PreviewRollback(&context, request, &preview).ok());
  }
  ASSERT_EQ(preview.hosts_size(), 1);
  EXPECT_TRUE(preview.hosts(0).will_roll_back());
  EXPECT_TRUE(preview.hosts(0).online());
  EXPECT_EQ(preview.hosts(0).diff(), applied.diff);
  EXPECT_THAT(preview.hosts(0).note(), HasSubstr("returns to 111111111111"));

  // A commit of the host's history: the same change, to that commit.
  request.set_to_commit(applied.backup_commit);
  {
    grpc::ClientContext context;
    ASSERT_TRUE(operator_->PreviewRollback(&context, request, &preview).ok());
  }
  EXPECT_EQ(preview.hosts(0).to_commit(), applied.backup_commit);
  EXPECT_EQ(preview.hosts(0).diff(), applied.diff);

  // The history shows each change's diff and the commit before it.
  pb::HostHistoryRequest history_request;
  history_request.set_host("mx1");
  pb::HostHistoryResponse history;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(operator_->HostHistory(&context, history_request, &history).ok());
  }
  ASSERT_EQ(history.results_size(), 1);
  EXPECT_EQ(history.results(0).diff(), applied.diff);
  EXPECT_EQ(history.results(0).backup_commit(), applied.backup_commit);

  // Previewing sent the agent nothing and audited nothing.
  EXPECT_FALSE(mx1->Next(std::chrono::milliseconds(200)).has_value());
  EXPECT_TRUE(parts_.store->AuditLog(10)->empty());
}

TEST_F(OperatorServiceTest, ARollbackToACommitNamesOneHostAndARealCommitId) {
  std::unique_ptr<WireAgent> mx1 = Connected("mx1");
  std::unique_ptr<WireAgent> mx2 = Connected("mx2");
  auto status_of = [&](pb::RollbackHostsRequest request) {
    grpc::ClientContext context;
    pb::RollbackHostsResponse response;
    return operator_->RollbackHosts(&context, request, &response);
  };
  pb::RollbackHostsRequest two;
  two.add_hosts("mx1");
  two.add_hosts("mx2");
  two.set_to_commit("1111111");
  grpc::Status s = status_of(two);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("exactly one host"));
  pb::RollbackHostsRequest bad;
  bad.add_hosts("mx1");
  bad.set_to_commit("HEAD~1");
  s = status_of(bad);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("is not a commit id"));

  pb::RollbackHostsRequest good;
  good.add_hosts("mx1");
  good.set_to_commit("1111111111111111111111111111111111111111");
  EXPECT_TRUE(status_of(good).ok());
  std::optional<pb::ControllerMessage> ask = mx1->Next();
  ASSERT_TRUE(ask.has_value() && ask->has_rollback());
  EXPECT_EQ(ask->rollback().to_commit(), good.to_commit());
  EXPECT_FALSE(mx2->Next(std::chrono::milliseconds(200)).has_value());
}

TEST_F(OperatorServiceTest, APlanWaitsAtMostFiveMinutesAndAStartCanPinThePlannedVersion) {
  std::unique_ptr<WireAgent> mx1 = Connected("mx1");
  pb::PlanRequest plan;
  plan.set_policy("no-open-relay");
  plan.add_hosts("mx1");
  plan.set_timeout_s(301);
  pb::PlanResponse plan_response;
  {
    grpc::ClientContext context;
    grpc::Status s = operator_->Plan(&context, plan, &plan_response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("outside 0..300"));
  }
  pb::StartRolloutRequest start;
  start.set_policy("no-open-relay");
  start.add_hosts("mx1");
  start.set_expect_version(1);  // the store holds v2: a reload happened since the plan
  pb::RolloutInfo info;
  {
    grpc::ClientContext context;
    grpc::Status s = operator_->StartRollout(&context, start, &info);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(s.error_message(), HasSubstr("not the planned version 1"));
  }
  EXPECT_TRUE(parts_.store->Rollouts()->empty());
  EXPECT_FALSE(mx1->Next(std::chrono::milliseconds(200)).has_value());
  start.set_expect_version(2);
  grpc::ClientContext context;
  EXPECT_TRUE(operator_->StartRollout(&context, start, &info).ok());
  EXPECT_EQ(info.version(), 2u);
}

TEST_F(OperatorServiceTest, ListPoliciesGivesEachPlaybooksLatestVersion) {
  ASSERT_TRUE(parts_.store->PutPolicyVersion({"no-open-relay", 3, kTestPlaybook, 5}).ok());
  grpc::ClientContext context;
  pb::ListPoliciesResponse response;
  ASSERT_TRUE(operator_->ListPolicies(&context, pb::ListPoliciesRequest(), &response).ok());
  ASSERT_EQ(response.policies_size(), 1);
  EXPECT_EQ(response.policies(0).name(), "no-open-relay");
  EXPECT_EQ(response.policies(0).version(), 3u);
  EXPECT_EQ(response.policies(0).loaded_at(), 5);
}

}  // namespace
}  // namespace relayguard::controller
