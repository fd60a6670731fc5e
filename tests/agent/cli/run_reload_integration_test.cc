// SIGHUP for the real `relayguard-agent run`, started from a configuration file only, with mTLS
// (deploy/make-certs.sh) against the real controller, and a notify socket in systemd's place:
// a changed log level and label take effect (the controller sees the new label), a broken file
// is refused with FILE:LINE:COL and the agent stays online on the old configuration, rotated
// certificate files make it reconnect with them; RELOADING=1 then READY=1 every time.
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/daemon.h"
#include "tests/support/notify_socket.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/wait.h"

namespace relayguard::agent {
namespace {

using ::relayguard::testing::CountOf;
using ::relayguard::testing::Daemon;
using ::relayguard::testing::NotifySocket;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WaitFor;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kBin = RG_BINARY_DIR;

class RunReloadIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = lab_.dir() + "/certs";
    MakeCerts();
    const std::string controller_yaml = lab_.dir() + "/controller.yaml";
    WriteFileOrDie(controller_yaml, "listen: 127.0.0.1:0\n"
                                    "playbooks: " + SourcePath("playbooks") + "\n"
                                    "state_dir: " + lab_.dir() + "/controller\n"
                                    "ca: " + certs_ + "/ca.crt\n"
                                    "cert: " + certs_ + "/controller.crt\n"
                                    "key: " + certs_ + "/controller.key\n");
    controller_ = std::make_unique<Daemon>(
        std::vector<std::string>{kBin + "/controller/relayguard-controller", "--config",
                                 controller_yaml},
        lab_.dir() + "/controller.log");
    static const std::regex kListening("listening on port ([0-9]+)");
    std::smatch m;
    ASSERT_TRUE(WaitFor(
        [&] {
          const std::string log = controller_->Log();
          if (!std::regex_search(log, m, kListening)) return false;
          port_ = std::stoi(m[1].str());
          return true;
        },
        std::chrono::seconds(10)))
        << controller_->Log();
    agent_yaml_ = lab_.dir() + "/agent.yaml";
  }
  // The fleet CA and the certificates of mx1 and operator alice (kept when they exist).
  void MakeCerts() {
    std::string out;
    ASSERT_EQ(RunCommand({"/bin/bash", SourcePath("deploy/make-certs.sh"), certs_, "--agent",
                          "mx1", "--operator", "alice"},
                         &out),
              0)
        << out;
  }
  // agent.yaml: mTLS to the controller, `log_level`, label site=`site`, then `extra` lines.
  std::string AgentYaml(const std::string& log_level, const std::string& site,
                        const std::string& extra = "") {
    return "mta: postfix\n"
           "mta_config_dir: " + lab_.config_dir() + "\n"
           "state_dir: " + lab_.state_dir() + "\n"
           "controller: 127.0.0.1:" + std::to_string(port_) + "\n"
           "host: mx1\n"
           "labels:\n"
           "  site: " + site + "\n"
           "ca: " + certs_ + "/ca.crt\n"
           "cert: " + certs_ + "/agent-mx1.crt\n"
           "key: " + certs_ + "/agent-mx1.key\n"
           "log_level: " + log_level + "\n" + extra;
  }
  void StartAgent() {
    setenv("NOTIFY_SOCKET", notify_.path().c_str(), 1);
    agent_ = std::make_unique<Daemon>(
        std::vector<std::string>{kBin + "/agent/relayguard-agent", "--config", agent_yaml_, "run"},
        lab_.dir() + "/agent.log");
    unsetenv("NOTIFY_SOCKET");
  }
  std::string HostsJson() {
    std::string out;
    RunCommand({kBin + "/controller/relayguardctl", "--controller",
                "127.0.0.1:" + std::to_string(port_), "--ca", certs_ + "/ca.crt", "--cert",
                certs_ + "/operator-alice.crt", "--key", certs_ + "/operator-alice.key", "hosts",
                "--json"},
               &out);
    return out;
  }
  bool OnlineWithSite(const std::string& site) {
    const std::string hosts = HostsJson();
    return hosts.find("\"online\":true") != std::string::npos &&
           hosts.find("\"site\":\"" + site + "\"") != std::string::npos;
  }
  // SIGHUP, then RELOADING=1 and READY=1 on the notify socket.
  void Reload() {
    ASSERT_EQ(kill(agent_->pid(), SIGHUP), 0);
    EXPECT_EQ(notify_.NextState(std::chrono::seconds(10)), "RELOADING=1") << agent_->Log();
    std::optional<std::string> ready = notify_.NextState(std::chrono::seconds(10));
    ASSERT_TRUE(ready.has_value()) << agent_->Log();
    EXPECT_THAT(*ready, StartsWith("READY=1\n"));
  }

  PostfixLab lab_{"0.0.0.0/0"};  // its configuration is all the agent needs (not started)
  NotifySocket notify_{lab_.dir() + "/notify"};
  std::string certs_, agent_yaml_;
  std::unique_ptr<Daemon> controller_, agent_;
  int port_ = 0;
};

TEST_F(RunReloadIntegrationTest, ReloadsLabelsAndLogLevelRefusesABrokenFileAndRotatesCerts) {
  WriteFileOrDie(agent_yaml_, AgentYaml("warn", "before"));
  StartAgent();
  std::optional<std::string> ready = notify_.NextState(std::chrono::seconds(20));
  ASSERT_TRUE(ready.has_value()) << agent_->Log();
  EXPECT_THAT(*ready, StartsWith("READY=1\n"));
  ASSERT_TRUE(WaitFor([&] { return OnlineWithSite("before"); }, std::chrono::seconds(30)))
      << HostsJson() << agent_->Log();
  EXPECT_THAT(agent_->Log(), Not(HasSubstr("connected to controller")));  // info: not at warn

  // A new label and log level.
  WriteFileOrDie(agent_yaml_, AgentYaml("info", "after"));
  Reload();
  EXPECT_TRUE(WaitFor([&] { return OnlineWithSite("after"); }, std::chrono::seconds(30)))
      << HostsJson() << agent_->Log();
  EXPECT_THAT(agent_->Log(),
              HasSubstr("SIGHUP: configuration file " + agent_yaml_ +
                        " read again: log_level applied; labels changed: reconnecting to the "
                        "controller with the new settings"));
  EXPECT_TRUE(WaitFor([&] { return CountOf(agent_->Log(), "connected to controller") == 1; },
                      std::chrono::seconds(10)))
      << agent_->Log();

  // A broken file: refused with where, the agent goes on as it was.
  const std::string good = AgentYaml("info", "after");
  const int bad_line = static_cast<int>(CountOf(good, "\n")) + 1;
  WriteFileOrDie(agent_yaml_, good + "heartbeat_s: often\n");
  Reload();
  EXPECT_TRUE(WaitFor([&] { return agent_->Log().find("still running on the configuration") !=
                                   std::string::npos; },
                      std::chrono::seconds(5)))
      << agent_->Log();
  EXPECT_THAT(agent_->Log(), HasSubstr(agent_yaml_ + ":" + std::to_string(bad_line) + ":"));
  EXPECT_THAT(agent_->Log(), HasSubstr("heartbeat_s"));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(OnlineWithSite("after")) << HostsJson();
  EXPECT_EQ(CountOf(agent_->Log(), "connected to controller"), 1u) << agent_->Log();

  // The certificate rotated in place (same CA, same paths, a new key and certificate).
  WriteFileOrDie(agent_yaml_, good);
  const std::string old_cert = ReadFileOrDie(certs_ + "/agent-mx1.crt");
  ASSERT_EQ(unlink((certs_ + "/agent-mx1.crt").c_str()), 0);
  ASSERT_EQ(unlink((certs_ + "/agent-mx1.key").c_str()), 0);
  MakeCerts();
  ASSERT_NE(ReadFileOrDie(certs_ + "/agent-mx1.crt"), old_cert);
  Reload();
  EXPECT_TRUE(WaitFor([&] { return CountOf(agent_->Log(), "connected to controller") == 2; },
                      std::chrono::seconds(30)))
      << agent_->Log();
  EXPECT_THAT(agent_->Log(), HasSubstr("the certificate files' contents changed: reconnecting"));
  EXPECT_TRUE(WaitFor([&] { return OnlineWithSite("after"); }, std::chrono::seconds(10)))
      << HostsJson();
}

}  // namespace
}  // namespace relayguard::agent
