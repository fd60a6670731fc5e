// ControllerMetrics (controller/metrics/controller_metrics.cc): events move the counters, the
// fleet's state sets the gauges (every state present, 0 when empty), and promtool accepts the
// text. MetricsHttpServer on a loopback port: GET /metrics, 404 elsewhere, 500 on an error.
#include "controller/metrics/controller_metrics.h"

#include <httplib.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/metrics/metrics_http_server.h"
#include "relayguard/v1/agent_stream.pb.h"
#include "tests/support/prometheus_text.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::PromtoolProblems;
using ::relayguard::testing::SampleValue;
using ::testing::HasSubstr;
using ::testing::Optional;

TEST(ControllerMetricsTest, StartsWithEverySeriesAtZeroAndPassesPromtool) {
  ControllerMetrics metrics;
  const std::string text = metrics.Text();
  EXPECT_EQ(PromtoolProblems(text), "") << text;
  EXPECT_THAT(SampleValue(text, R"(relayguard_commands_sent_total{command="push"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_agent_answers_total{answer="nack",outcome="rolled-back"})"),
              Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollouts{state="running"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollout_hosts{phase="pushed"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_compliance_hosts{status="never-checked"})"),
              Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_agents{state="online"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, "relayguard_enforce_holds"), Optional(0));
  EXPECT_THAT(SampleValue(text, "relayguard_store_call_seconds_count"), Optional(0));
  EXPECT_THAT(text, HasSubstr("relayguard_build_info{version=\""));
}

TEST(ControllerMetricsTest, AttemptReportsAndRelaysSeenMoveTheirCountersAndGauge) {
  ControllerMetrics metrics;
  metrics.AttemptsReported(40, 3);
  metrics.AttemptsReported(2, 0);
  metrics.RelaySeen();
  metrics.CommandSent(AttemptAckCommand{4}, true);
  ComplianceView view;
  auto host = [&](const std::string& name, ComplianceStatus status, bool relay_seen) {
    HostComplianceState h;
    h.host = name;
    h.status = status == ComplianceStatus::kRelayOpen ? FleetHostStatus::kRelayOpen
                                                      : FleetHostStatus::kCompliant;
    ComplianceCheckRecord last;
    last.host = name;
    last.status = status;
    relayguard::v1::ComplianceReport report;
    if (relay_seen) report.mutable_relay_seen()->set_client_address("127.0.0.9");
    report.SerializeToString(&last.report);
    h.last = last;
    view.fleet.hosts.push_back(h);
  };
  host("mx1", ComplianceStatus::kRelayOpen, true);
  host("mx2", ComplianceStatus::kRelayOpen, false);  // the probe found it: not the monitor
  host("mx3", ComplianceStatus::kCompliant, false);
  metrics.SetFleetState(view, {});
  const std::string text = metrics.Text();
  EXPECT_EQ(PromtoolProblems(text), "") << text;
  EXPECT_THAT(SampleValue(text, "relayguard_relay_attempts_refused_total"), Optional(42));
  EXPECT_THAT(SampleValue(text, "relayguard_relay_sasl_failures_total"), Optional(3));
  EXPECT_THAT(SampleValue(text, "relayguard_relay_seen_total"), Optional(1));
  EXPECT_THAT(SampleValue(text, "relayguard_hosts_relay_seen"), Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_commands_sent_total{command="attempt-ack"})"),
              Optional(1));
}

TEST(ControllerMetricsTest, EventsMoveTheirCounters) {
  ControllerMetrics metrics;
  metrics.CommandSent(PushCommand{"n1", "r-000001", "no-open-relay", 2, "yaml"}, true);
  metrics.CommandSent(PushCommand{"n2", "r-000001", "no-open-relay", 2, "yaml"}, true);
  metrics.CommandSent(RollbackCommand{"n3", "", ""}, false);
  metrics.CommandSent(ComplianceAckCommand{7}, true);
  metrics.AgentAnswered(true, ApplyOutcome::kApplied);
  metrics.AgentAnswered(false, ApplyOutcome::kRolledBack);
  metrics.StoreCall(std::chrono::microseconds(300));
  metrics.StoreCall(std::chrono::milliseconds(30));
  metrics.RpcHandled("/relayguard.v1.Operator/StartRollout", 0);
  metrics.RpcHandled("/relayguard.v1.Operator/GetRollout", 5);
  metrics.RpcHandled("/relayguard.v1.Operator/GetRollout", 5);
  const std::string text = metrics.Text();
  EXPECT_EQ(PromtoolProblems(text), "") << text;
  EXPECT_THAT(SampleValue(text, R"(relayguard_commands_sent_total{command="push"})"), Optional(2));
  EXPECT_THAT(SampleValue(text, R"(relayguard_commands_unsent_total{command="rollback"})"),
              Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_commands_sent_total{command="rollback"})"),
              Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_commands_sent_total{command="compliance-ack"})"),
              Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_agent_answers_total{answer="ack",outcome="applied"})"),
              Optional(1));
  EXPECT_THAT(
      SampleValue(text, R"(relayguard_agent_answers_total{answer="nack",outcome="rolled-back"})"),
      Optional(1));
  EXPECT_THAT(SampleValue(text, "relayguard_store_call_seconds_count"), Optional(2));
  EXPECT_THAT(SampleValue(text, R"(relayguard_store_call_seconds_bucket{le="0.0005"})"),
              Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_store_call_seconds_bucket{le="0.05"})"), Optional(2));
  EXPECT_THAT(SampleValue(text, R"(relayguard_grpc_server_handled_total{grpc_code="NOT_FOUND",grpc_method="GetRollout",grpc_service="relayguard.v1.Operator"})"),
              Optional(2));
  EXPECT_THAT(SampleValue(text, R"(relayguard_grpc_server_handled_total{grpc_code="OK",grpc_method="StartRollout",grpc_service="relayguard.v1.Operator"})"),
              Optional(1));
}

HostComplianceState Host(const std::string& name, FleetHostStatus status, bool online) {
  HostComplianceState h;
  h.host = name;
  h.status = status;
  h.online = online;
  return h;
}

RolloutRecord Rollout(RolloutStatus status, std::map<std::string, HostPhase> phases) {
  RolloutRecord r;
  r.state.status = status;
  for (const auto& [host, phase] : phases) r.state.hosts[host].phase = phase;
  return r;
}

TEST(ControllerMetricsTest, FleetStateSetsTheGaugesAndResetsStatesThatEmptied) {
  ControllerMetrics metrics;
  ComplianceView view;
  view.fleet.hosts = {Host("mx1", FleetHostStatus::kCompliant, true),
                      Host("mx2", FleetHostStatus::kRelayOpen, true),
                      Host("mx3", FleetHostStatus::kUnreachable, false)};
  view.holds.push_back(EnforceHoldRecord{"no-open-relay", 2, "budget spent", 1});
  metrics.SetFleetState(
      view, {Rollout(RolloutStatus::kRunning,
                     {{"mx1", HostPhase::kSucceeded}, {"mx2", HostPhase::kPushed}}),
             Rollout(RolloutStatus::kSucceeded, {{"mx3", HostPhase::kSucceeded}}),
             Rollout(RolloutStatus::kSucceeded, {{"mx3", HostPhase::kSucceeded}})});
  std::string text = metrics.Text();
  EXPECT_EQ(PromtoolProblems(text), "") << text;
  EXPECT_THAT(SampleValue(text, R"(relayguard_agents{state="online"})"), Optional(2));
  EXPECT_THAT(SampleValue(text, R"(relayguard_agents{state="offline"})"), Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_compliance_hosts{status="compliant"})"), Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_compliance_hosts{status="relay-open"})"), Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_compliance_hosts{status="unreachable"})"),
              Optional(1));
  EXPECT_THAT(SampleValue(text, "relayguard_enforce_holds"), Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollouts{state="running"})"), Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollouts{state="succeeded"})"), Optional(2));
  // Only running and paused rollouts count their hosts.
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollout_hosts{phase="succeeded"})"), Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollout_hosts{phase="pushed"})"), Optional(1));

  metrics.SetFleetState(ComplianceView{}, {Rollout(RolloutStatus::kSucceeded, {})});
  text = metrics.Text();
  EXPECT_THAT(SampleValue(text, R"(relayguard_agents{state="online"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_compliance_hosts{status="relay-open"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollouts{state="running"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollout_hosts{phase="pushed"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, "relayguard_enforce_holds"), Optional(0));
}

TEST(MetricsHttpServerTest, ServesMetricsOnLoopbackAndNothingElse) {
  int scrapes = 0;
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
      MetricsHttpServer::Start("127.0.0.1:0", [&]() -> absl::StatusOr<std::string> {
        if (++scrapes == 2) return absl::UnavailableError("the store is locked");
        return std::string("# HELP x_total X\n# TYPE x_total counter\nx_total 1\n");
      });
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  httplib::Client client("127.0.0.1", (*server)->port());
  httplib::Result ok = client.Get("/metrics");
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(ok->body, HasSubstr("x_total 1"));
  httplib::Result failed = client.Get("/metrics");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  EXPECT_THAT(failed->body, HasSubstr("cannot collect metrics: the store is locked"));
  httplib::Result other = client.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  httplib::Result post = client.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_NE(post->status, 200);
  EXPECT_EQ(scrapes, 2);
}

TEST(MetricsHttpServerTest, RefusesAnAddressItCannotBind) {
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> first =
      MetricsHttpServer::Start("127.0.0.1:0", [] { return std::string(); });
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> second =
      MetricsHttpServer::Start(taken, [] { return std::string(); });
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("cannot listen for metrics on " + taken));
}

TEST(MetricsHttpServerTest, StopsAtOnceAfterStarting) {
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> server =
        MetricsHttpServer::Start("127.0.0.1:0", [] { return std::string(); });
    ASSERT_TRUE(server.ok()) << server.status();
  }  // each destructor stops and joins its thread; a hang here fails by timeout
}

}  // namespace
}  // namespace relayguard::controller
