// The controller's /metrics end to end: a real relayguard-controller with --metrics-listen on a
// loopback port, real agents (`relayguard-agent run`) each with its own real Postfix, driven
// with relayguardctl; the counters and gauges are scraped over HTTP before, during and after a
// rollout, a rollback and an agent's death, and every scrape passes the real promtool.
#include <httplib.h>

#include <chrono>
#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/ctl.h"
#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::Daemon;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::PromtoolProblems;
using ::relayguard::testing::SampleValue;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WaitFor;
using ::testing::HasSubstr;
using ::testing::Optional;

const std::string kBin = RG_BINARY_DIR;

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      labs_.push_back(std::make_unique<PostfixLab>("0.0.0.0/0"));
      labs_.back()->Start();
    }
    port_ = FreeLoopbackPort();
    metrics_port_ = FreeLoopbackPort();
    controller_ = std::make_unique<Daemon>(
        std::vector<std::string>{kBin + "/controller/relayguard-controller", "--insecure",
                                 "--listen", "127.0.0.1:" + std::to_string(port_),
                                 "--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port_),
                                 "--playbooks", SourcePath("playbooks"), "--state-dir",
                                 labs_[0]->dir() + "/controller"},
        labs_[0]->dir() + "/controller.log");
    for (int i = 0; i < 2; ++i) {
      agents_.push_back(std::make_unique<Daemon>(
          labs_[i]->AgentArgv({"run", "--controller", "127.0.0.1:" + std::to_string(port_),
                               "--host", "mx" + std::to_string(i + 1), "--insecure"}),
          labs_[i]->dir() + "/agent.log"));
    }
    ASSERT_TRUE(WaitFor([&] { return Sample(R"(relayguard_agents{state="online"})") == 2; },
                        std::chrono::seconds(30)))
        << last_ << controller_->Log();
  }

  // One scrape of /metrics; every scrape must pass promtool. `must`: a failed scrape fails the
  // test (not while waiting for the controller to come up).
  std::string Scrape(bool must = true) {
    httplib::Client client("127.0.0.1", metrics_port_);
    client.set_read_timeout(std::chrono::seconds(5));
    httplib::Result r = client.Get("/metrics");
    if (!r || r->status != 200) {
      if (!must) return "";
      ADD_FAILURE() << "scrape failed: " << (r ? std::to_string(r->status) : "no answer");
      return "";
    }
    EXPECT_EQ(PromtoolProblems(r->body), "") << r->body;
    last_ = r->body;
    return r->body;
  }
  double Sample(const std::string& series) {
    std::optional<double> v = SampleValue(Scrape(/*must=*/false), series);
    return v ? *v : -1;
  }
  std::string Ctl(const std::vector<std::string>& args, int* rc = nullptr) {
    return ::relayguard::testing::RunCtl(port_, args, rc);
  }

  std::vector<std::unique_ptr<PostfixLab>> labs_;
  std::unique_ptr<Daemon> controller_;
  std::vector<std::unique_ptr<Daemon>> agents_;
  int port_ = 0;
  int metrics_port_ = 0;
  std::string last_;
};

TEST_F(MetricsTest, CountersMoveThroughARolloutARollbackAndAnAgentsDeath) {
  std::string text = Scrape();
  EXPECT_THAT(SampleValue(text, R"(relayguard_commands_sent_total{command="push"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_compliance_hosts{status="never-checked"})"),
              Optional(2));

  // Wave 1 (mx1), then paused: scraped mid-rollout.
  int rc = -1;
  std::string out = Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1,mx2", "--waves",
                         "1,100%", "--pause-between-waves", "--wait"},
                        &rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log();
  ASSERT_THAT(out, HasSubstr("paused"));
  text = Scrape();
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollouts{state="paused"})"), Optional(1)) << text;
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollout_hosts{phase="succeeded"})"), Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollout_hosts{phase="waiting"})"), Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_commands_sent_total{command="push"})"), Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_agent_answers_total{answer="ack",outcome="applied"})"),
              Optional(1));
  EXPECT_THAT(SampleValue(text, R"(relayguard_grpc_server_handled_total{grpc_code="OK",grpc_method="StartRollout",grpc_service="relayguard.v1.Operator"})"),
              Optional(1))
      << text;

  out = Ctl({"rollout", "resume", "r-000001", "--wait"}, &rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log();
  text = Scrape();
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollouts{state="succeeded"})"), Optional(1)) << text;
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollouts{state="paused"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_rollout_hosts{phase="succeeded"})"), Optional(0));
  EXPECT_THAT(SampleValue(text, R"(relayguard_commands_sent_total{command="push"})"), Optional(2));
  EXPECT_THAT(SampleValue(text, R"(relayguard_agent_answers_total{answer="ack",outcome="applied"})"),
              Optional(2));
  const std::optional<double> store_calls =
      SampleValue(text, "relayguard_store_call_seconds_count");
  ASSERT_TRUE(store_calls.has_value());
  EXPECT_GT(*store_calls, 5);

  // A failing operator call is counted with its code.
  Ctl({"rollout", "status", "r-000099"}, &rc);
  EXPECT_NE(rc, 0);
  EXPECT_THAT(SampleValue(Scrape(), R"(relayguard_grpc_server_handled_total{grpc_code="NOT_FOUND",grpc_method="GetRollout",grpc_service="relayguard.v1.Operator"})"),
              Optional(1))
      << last_;

  out = Ctl({"rollback", "--rollout", "r-000001"}, &rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log();
  text = Scrape();
  EXPECT_THAT(SampleValue(text, R"(relayguard_commands_sent_total{command="rollback"})"),
              Optional(2))
      << text;
  EXPECT_THAT(
      SampleValue(text, R"(relayguard_agent_answers_total{answer="ack",outcome="restored"})"),
      Optional(2));

  // mx2's agent dies: the controller notices its stream closed.
  agents_[1]->Kill();
  EXPECT_TRUE(WaitFor([&] { return Sample(R"(relayguard_agents{state="offline"})") == 1; },
                      std::chrono::seconds(30)))
      << last_;
  EXPECT_THAT(SampleValue(last_, R"(relayguard_agents{state="online"})"), Optional(1));
  EXPECT_THAT(SampleValue(last_, R"(relayguard_compliance_hosts{status="unreachable"})"),
              Optional(1));
}

}  // namespace
}  // namespace relayguard::controller
