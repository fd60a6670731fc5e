// The agent's metrics file between real processes on loopback: a real relayguard-controller,
// a real `relayguard-agent run --metrics-file FILE` on a real (open) Postfix. A rollout makes
// the agent apply: the file shows the outcome and the verdict of the Postfix listener, and
// promtool accepts it; a restarted controller counts as a reconnect; a metrics path that
// cannot be written is logged and the agent works on.
#include <signal.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/ctl.h"
#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/wait.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::CountOf;
using ::relayguard::testing::Daemon;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WaitFor;
using ::testing::HasSubstr;

const std::string kBin = RG_BINARY_DIR;

class AgentMetricsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = std::make_unique<PostfixLab>("0.0.0.0/0");
    lab_->Start();
    port_ = FreeLoopbackPort();
    StartController();
  }
  void StartController() {
    controller_ = std::make_unique<Daemon>(
        std::vector<std::string>{kBin + "/controller/relayguard-controller", "--insecure",
                                 "--listen", "127.0.0.1:" + std::to_string(port_), "--playbooks",
                                 SourcePath("playbooks"), "--state-dir",
                                 lab_->dir() + "/controller"},
        lab_->dir() + "/controller.log");
  }
  void StartAgent(const std::string& metrics_file) {
    agent_ = std::make_unique<Daemon>(
        lab_->AgentArgv({"--log-level", "info", "run", "--controller",
                         "127.0.0.1:" + std::to_string(port_), "--host", "mx1", "--insecure",
                         "--heartbeat-s", "1", "--metrics-file", metrics_file}),
        lab_->dir() + "/agent.log");
  }
  std::string Ctl(const std::vector<std::string>& args, int* rc = nullptr) {
    return ::relayguard::testing::RunCtl(port_, args, rc);
  }
  bool Online() { return Ctl({"hosts"}).find(" online ") != std::string::npos; }
  static std::string Metrics(const std::string& path) {
    try {
      return ReadFileOrDie(path);
    } catch (const std::exception&) {
      return "";  // not written yet
    }
  }
  // A rollout of no-open-relay to mx1, waited for; its JSON.
  std::string Rollout(int* rc) {
    return Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1", "--waves", "100%",
                "--wait", "--json"},
               rc);
  }

  std::unique_ptr<PostfixLab> lab_;
  std::unique_ptr<Daemon> controller_;
  std::unique_ptr<Daemon> agent_;
  int port_ = 0;
};

TEST_F(AgentMetricsIntegrationTest, TheFileShowsTheApplyTheListenersAndReconnectsAndPromtoolPasses) {
  const std::string file = lab_->dir() + "/relayguard-agent.prom";
  StartAgent(file);
  ASSERT_TRUE(WaitFor([&] { return Online(); }, std::chrono::seconds(30)))
      << Ctl({"hosts"}) << agent_->Log();
  ASSERT_TRUE(WaitFor([&] { return Metrics(file).find("relayguard_agent_connected 1\n") !=
                                   std::string::npos; },
                      std::chrono::seconds(10)))
      << Metrics(file) << agent_->Log();
  EXPECT_THAT(Metrics(file), HasSubstr("relayguard_agent_last_apply_timestamp_seconds 0\n"));

  int rc = -1;
  std::string out = Rollout(&rc);
  ASSERT_EQ(rc, 0) << out << controller_->Log() << agent_->Log();
  EXPECT_THAT(out, HasSubstr("ROLLOUT_STATUS_SUCCEEDED"));
  const std::string listener = "127.0.0.1:" + std::to_string(lab_->port());
  ASSERT_TRUE(WaitFor([&] { return Metrics(file).find(
                                       "relayguard_agent_last_apply_outcome{outcome=\"applied\"} "
                                       "1\n") != std::string::npos; },
                      std::chrono::seconds(10)))
      << Metrics(file) << agent_->Log();
  const std::string metrics = Metrics(file);
  EXPECT_THAT(metrics, HasSubstr("relayguard_agent_listener_relay_verdict{listener=\"" + listener +
                                 "\",role=\"relay\",verdict=\"refused\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("relayguard_agent_listener_relay_verdict{listener=\"" + listener +
                                 "\",role=\"relay\",verdict=\"relay-accepted\"} 0\n"));
  EXPECT_THAT(metrics, HasSubstr("relayguard_agent_transactions_total{action=\"apply\","
                                 "outcome=\"applied\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("relayguard_agent_build_info{version=\""));
  std::smatch at;
  ASSERT_TRUE(std::regex_search(
      metrics, at, std::regex("relayguard_agent_last_apply_timestamp_seconds ([0-9.e+]+)\n")))
      << metrics;
  EXPECT_NEAR(std::stod(at[1].str()), static_cast<double>(std::time(nullptr)), 120);
  // promtool's lint, as Prometheus' own tooling reads the file.
  EXPECT_EQ(::relayguard::testing::PromtoolProblems(metrics), "") << metrics;

  // The controller dies and comes back on the same port: the agent reconnects.
  EXPECT_THAT(metrics, HasSubstr("relayguard_agent_reconnects_total 0\n"));
  controller_->Kill();
  EXPECT_TRUE(WaitFor([&] { return Metrics(file).find("relayguard_agent_connected 0\n") !=
                                   std::string::npos; },
                      std::chrono::seconds(15)))
      << Metrics(file) << agent_->Log();
  StartController();
  EXPECT_TRUE(WaitFor([&] { return Metrics(file).find("relayguard_agent_reconnects_total 1\n") !=
                                   std::string::npos; },
                      std::chrono::seconds(60)))
      << Metrics(file) << agent_->Log();
  EXPECT_THAT(Metrics(file), HasSubstr("relayguard_agent_connected 1\n"));
}

TEST_F(AgentMetricsIntegrationTest, AnUnwritableMetricsFileIsLoggedOnceAndTheAgentWorksOn) {
  // A regular file where the directory should be: not even root can write there.
  testing::WriteFileOrDie(lab_->dir() + "/not-a-dir", "x");
  const std::string file = lab_->dir() + "/not-a-dir/relayguard-agent.prom";
  StartAgent(file);
  ASSERT_TRUE(WaitFor([&] { return Online(); }, std::chrono::seconds(30)))
      << Ctl({"hosts"}) << agent_->Log();
  int rc = -1;
  std::string out = Rollout(&rc);
  EXPECT_EQ(rc, 0) << out << agent_->Log();
  EXPECT_THAT(out, HasSubstr("ROLLOUT_STATUS_SUCCEEDED"));
  EXPECT_THAT(Ctl({"hosts"}), HasSubstr("no-open-relay v"));
  const std::string log = agent_->Log();
  EXPECT_THAT(log, HasSubstr("metrics file: cannot create " + file + ".tmp."));
  EXPECT_THAT(log, HasSubstr("Not a directory"));
  EXPECT_THAT(log, HasSubstr("the agent goes on without it"));
  EXPECT_EQ(CountOf(log, "metrics file: cannot"), 1u) << log;
}

}  // namespace
}  // namespace relayguard::agent
