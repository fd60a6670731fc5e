// AgentMetrics (agent/metrics/agent_metrics.cc): the values in the text exposition after
// simulated events (applies, compliance checks, a stream that comes and goes).
#include "agent/metrics/agent_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace relayguard::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ListenerResult Probed(const std::string& endpoint, ListenerRole role, ProbeVerdict verdict) {
  ListenerResult r;
  absl::StatusOr<SmtpEndpoint> e = ParseSmtpEndpoint(endpoint);
  EXPECT_TRUE(e.ok()) << endpoint;
  r.listener.endpoint = *e;
  r.listener.role = role;
  r.verdict = verdict;
  r.untrusted = ProbeReport{};
  r.untrusted->verdict = verdict;
  return r;
}

TransactionReport Apply(ApplyOutcome outcome, std::vector<ListenerResult> listeners) {
  TransactionReport report;
  report.action = "apply";
  report.outcome = outcome;
  report.listeners = std::move(listeners);
  return report;
}

TEST(AgentMetricsTest, BeforeAnyEventEveryFamilyHasHelpAndTheStateSetsAreZero) {
  AgentMetrics metrics("9.8.7");
  const std::string text = metrics.Text();
  for (const char* family :
       {"relayguard_agent_build_info", "relayguard_agent_connected",
        "relayguard_agent_reconnects_total", "relayguard_agent_compliance_queue_reports",
        "relayguard_agent_last_apply_outcome", "relayguard_agent_last_apply_timestamp_seconds",
        "relayguard_agent_last_compliance_status",
        "relayguard_agent_last_compliance_check_timestamp_seconds",
        "relayguard_agent_last_probe_timestamp_seconds"}) {
    EXPECT_THAT(text, HasSubstr(std::string("# HELP ") + family + " ")) << family;
  }
  EXPECT_THAT(text, HasSubstr("relayguard_agent_build_info{version=\"9.8.7\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_connected 0\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_apply_outcome{outcome=\"applied\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_apply_timestamp_seconds 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("relayguard_agent_listener_relay_verdict{")));
}

TEST(AgentMetricsTest, AnApplySetsItsOutcomeTimeAndTheVerdictOfEveryProbedListener) {
  AgentMetrics metrics("0.1.0");
  const uint64_t before = metrics.generation();
  ListenerResult internal = Probed("127.0.0.1:10025", ListenerRole::kRelay, ProbeVerdict::kRefused);
  internal.listener.internal = true;
  internal.untrusted.reset();
  metrics.OnTransaction(
      Apply(ApplyOutcome::kApplied,
            {Probed("127.0.0.1:2525", ListenerRole::kRelay, ProbeVerdict::kRefused),
             Probed("[::1]:587", ListenerRole::kSubmission, ProbeVerdict::kInconclusive),
             internal}),
      1700000000);
  EXPECT_GT(metrics.generation(), before);
  const std::string text = metrics.Text();
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_apply_outcome{outcome=\"applied\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_apply_outcome{outcome=\"rolled-back\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_apply_timestamp_seconds 1700000000\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_transactions_total{action=\"apply\",outcome="
                              "\"applied\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_listener_relay_verdict{listener=\"127.0.0.1:2525\","
                              "role=\"relay\",verdict=\"refused\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_listener_relay_verdict{listener=\"127.0.0.1:2525\","
                              "role=\"relay\",verdict=\"relay-accepted\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_listener_relay_verdict{listener=\"[::1]:587\","
                              "role=\"submission\",verdict=\"inconclusive\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("10025")));  // internal: not probed, not listed
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_probe_timestamp_seconds 1700000000\n"));

  // A refused apply probes nothing: its outcome counts, the verdicts found before stay.
  metrics.OnTransaction(Apply(ApplyOutcome::kRefused, {}), 1700000100);
  const std::string after = metrics.Text();
  EXPECT_THAT(after, HasSubstr("relayguard_agent_last_apply_outcome{outcome=\"applied\"} 0\n"));
  EXPECT_THAT(after, HasSubstr("relayguard_agent_last_apply_outcome{outcome=\"refused\"} 1\n"));
  EXPECT_THAT(after, HasSubstr("verdict=\"refused\"} 1\n"));
  EXPECT_THAT(after, HasSubstr("relayguard_agent_last_probe_timestamp_seconds 1700000000\n"));
}

TEST(AgentMetricsTest, AComplianceCheckSetsItsStatusAndReplacesTheListeners) {
  AgentMetrics metrics("0.1.0");
  metrics.OnTransaction(
      Apply(ApplyOutcome::kApplied,
            {Probed("127.0.0.1:2525", ListenerRole::kRelay, ProbeVerdict::kRefused)}),
      1700000000);
  ComplianceResult check;
  check.status = ComplianceStatus::kRelayOpen;
  check.checked_at = 1700000600;
  check.listeners = {Probed("127.0.0.1:2626", ListenerRole::kRelay, ProbeVerdict::kRelayAccepted)};
  check.enforce_report = Apply(ApplyOutcome::kRolledBack, {});
  metrics.OnComplianceCheck(check);
  const std::string text = metrics.Text();
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_compliance_status{status=\"relay-open\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_compliance_status{status=\"compliant\"} 0\n"));
  EXPECT_THAT(text,
              HasSubstr("relayguard_agent_last_compliance_check_timestamp_seconds 1700000600\n"));
  // The listener the apply probed is gone from the configuration now.
  EXPECT_THAT(text, Not(HasSubstr("127.0.0.1:2525")));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_listener_relay_verdict{listener=\"127.0.0.1:2626\","
                              "role=\"relay\",verdict=\"relay-accepted\"} 1\n"));
  // The enforcement was an apply.
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_apply_outcome{outcome=\"rolled-back\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_apply_timestamp_seconds 1700000600\n"));
}

TEST(AgentMetricsTest, RollbacksAndPlansDoNotCountAsTheLastApply) {
  AgentMetrics metrics("0.1.0");
  TransactionReport rollback;
  rollback.action = "rollback";
  rollback.outcome = ApplyOutcome::kRestored;
  metrics.OnTransaction(rollback, 1700000000);
  metrics.OnTransaction(Apply(ApplyOutcome::kDryRun, {}), 1700000000);
  const std::string text = metrics.Text();
  EXPECT_THAT(text, HasSubstr("relayguard_agent_transactions_total{action=\"rollback\",outcome="
                              "\"restored\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_apply_timestamp_seconds 0\n"));
  EXPECT_THAT(text, HasSubstr("relayguard_agent_last_apply_outcome{outcome=\"dry-run\"} 0\n"));
}

TEST(AgentMetricsTest, ConnectionsCountReconnectsAfterTheFirstAndQueueLengthChangesOnlyOnChange) {
  AgentMetrics metrics("0.1.0");
  metrics.OnConnected();
  EXPECT_THAT(metrics.Text(), HasSubstr("relayguard_agent_connected 1\n"));
  EXPECT_THAT(metrics.Text(), HasSubstr("relayguard_agent_reconnects_total 0\n"));
  metrics.OnDisconnected();
  EXPECT_THAT(metrics.Text(), HasSubstr("relayguard_agent_connected 0\n"));
  metrics.OnConnected();
  metrics.OnDisconnected();
  metrics.OnConnected();
  EXPECT_THAT(metrics.Text(), HasSubstr("relayguard_agent_reconnects_total 2\n"));

  metrics.SetQueueLength(3);
  const uint64_t g = metrics.generation();
  metrics.SetQueueLength(3);
  EXPECT_EQ(metrics.generation(), g);
  EXPECT_THAT(metrics.Text(), HasSubstr("relayguard_agent_compliance_queue_reports 3\n"));
  metrics.SetQueueLength(0);
  EXPECT_GT(metrics.generation(), g);
}

}  // namespace
}  // namespace relayguard::agent
