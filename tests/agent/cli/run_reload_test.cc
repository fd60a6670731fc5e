// SIGHUP's re-read of the agent's configuration (agent/cli/run_reload.cc): what a reload applies
// in place, what needs a reconnect (settings and the certificate files' contents), what only a
// restart changes, the command line still over the file, and a broken file changing nothing.
#include "agent/cli/run_reload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace relayguard::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class RunReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-run-reload-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_ = dir_ + "/agent.yaml";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // The flags `run` starts with: `yaml` as agent.yaml, then `args`.
  AgentFlags Start(const std::string& yaml, std::vector<std::string> args = {}) {
    Write("agent.yaml", yaml);
    args.insert(args.begin(), {"--config", config_});
    args.push_back("run");
    std::ostringstream out, err;
    ParsedAgentFlags parsed = ParseAgentFlags(args, out, err, dir_ + "/absent.yaml");
    EXPECT_FALSE(parsed.exit_code) << err.str();
    return parsed.flags;
  }
  std::string Yaml(const std::string& extra) {
    return "controller: 127.0.0.1:7443\nhost: mx1\ninsecure: true\n" + extra;
  }

  std::string dir_, config_;
};

TEST_F(RunReloadTest, TheSameFileChangesNothing) {
  AgentFlags running = Start(Yaml("log_level: warn\n"));
  absl::StatusOr<ReloadPlan> plan = ReloadAgentFlags(running, "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->live, IsEmpty());
  EXPECT_FALSE(plan->reconnect());
  EXPECT_EQ(plan->config_file, config_);
  EXPECT_EQ(DescribeReload(*plan), "nothing changed");
}

TEST_F(RunReloadTest, LogLevelAndMetricsFileApplyInPlaceLabelsAndHeartbeatReconnect) {
  AgentFlags running = Start(Yaml("log_level: warn\nlabels:\n  site: a\n"));
  Write("agent.yaml", Yaml("log_level: info\nlabels:\n  site: b\nheartbeat_s: 7\n"
                           "metrics_file: /var/lib/prometheus/node-exporter/rg.prom\n"));
  absl::StatusOr<ReloadPlan> plan = ReloadAgentFlags(running, "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->live, ElementsAre("log_level", "metrics_file"));
  EXPECT_THAT(plan->stream, ElementsAre("labels", "heartbeat_s"));
  EXPECT_TRUE(plan->reconnect());
  EXPECT_EQ(plan->flags.log_level, "info");
  EXPECT_EQ(plan->flags.run.labels.at("site"), "b");
  EXPECT_EQ(plan->flags.run.heartbeat_s, 7);
  EXPECT_EQ(plan->flags.run.metrics_file, "/var/lib/prometheus/node-exporter/rg.prom");
  EXPECT_EQ(DescribeReload(*plan),
            "log_level, metrics_file applied; labels, heartbeat_s changed: reconnecting to the "
            "controller with the new settings");
}

TEST_F(RunReloadTest, TheCommandLineStillWinsOverTheFile) {
  AgentFlags running = Start(Yaml("log_level: warn\n"), {"--log-level", "error"});
  EXPECT_EQ(running.log_level, "error");
  Write("agent.yaml", Yaml("log_level: debug\n"));
  absl::StatusOr<ReloadPlan> plan = ReloadAgentFlags(running, "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->flags.log_level, "error");
  EXPECT_THAT(plan->live, IsEmpty());
}

TEST_F(RunReloadTest, ABrokenFileIsRefusedWithFileLineAndColumn) {
  AgentFlags running = Start(Yaml(""));
  Write("agent.yaml", Yaml("heartbeat_s: often\n"));
  absl::StatusOr<ReloadPlan> plan = ReloadAgentFlags(running, "");
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr(config_ + ":4:"));
  EXPECT_THAT(plan.status().message(), HasSubstr("heartbeat_s"));
  EXPECT_THAT(plan.status().message(), Not(HasSubstr("nothing was changed\n")));

  // A file that leaves run without what it needs is refused too.
  Write("agent.yaml", "insecure: true\n");
  plan = ReloadAgentFlags(running, "");
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("needs --controller"));
}

TEST_F(RunReloadTest, MtaAndStateDirOnlyChangeOnRestartAndKeepTheirRunningValues) {
  AgentFlags running = Start(Yaml("mta: postfix\nstate_dir: /var/lib/relayguard\n"));
  Write("agent.yaml", Yaml("mta: exim\nstate_dir: /srv/relayguard\n"));
  absl::StatusOr<ReloadPlan> plan = ReloadAgentFlags(running, "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->restart, ElementsAre("mta", "state_dir"));
  EXPECT_EQ(plan->flags.mta.mta, "postfix");
  EXPECT_EQ(plan->flags.state_dir, "/var/lib/relayguard");
  EXPECT_FALSE(plan->reconnect());
  EXPECT_THAT(DescribeReload(*plan), HasSubstr("mta, state_dir changed but take effect only "
                                               "when the agent restarts"));
}

TEST_F(RunReloadTest, RotatedCertificateFilesReconnectUnreadableOnesAreRefused) {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  Write("ca.crt", pem);
  Write("agent.crt", pem);
  Write("agent.key", "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n");
  const std::string tls_yaml = "controller: 127.0.0.1:7443\nhost: mx1\nca: " + dir_ +
                               "/ca.crt\ncert: " + dir_ + "/agent.crt\nkey: " + dir_ +
                               "/agent.key\n";
  AgentFlags running = Start(tls_yaml);
  absl::StatusOr<std::string> tls = TlsFingerprint(running.run);
  ASSERT_TRUE(tls.ok()) << tls.status();
  absl::StatusOr<ReloadPlan> plan = ReloadAgentFlags(running, *tls);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->reconnect());

  // The same paths, a new certificate (rotation): reconnect.
  Write("agent.crt", "-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----\n");
  plan = ReloadAgentFlags(running, *tls);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->tls_changed);
  EXPECT_TRUE(plan->reconnect());
  EXPECT_THAT(DescribeReload(*plan), HasSubstr("the certificate files' contents changed"));
  EXPECT_NE(plan->tls, *tls);

  std::filesystem::remove(dir_ + "/agent.key");
  plan = ReloadAgentFlags(running, *tls);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr(dir_ + "/agent.key"));
}

}  // namespace
}  // namespace relayguard::agent
