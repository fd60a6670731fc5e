// The real controller and a real agent started from configuration files only (--config, no
// other option), mTLS with certificates from deploy/make-certs.sh, on loopback ports chosen at
// run time: the agent connects. Also the real binaries' `config check`, and the controller
// refusing a key file that others can read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <regex>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::Daemon;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WaitFor;
using ::relayguard::testing::WriteFileOrDie;
using ::testing::HasSubstr;

const std::string kBin = RG_BINARY_DIR;

class ConfigFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = lab_.dir() + "/certs";
    std::string out;
    ASSERT_EQ(RunCommand({"/bin/bash", SourcePath("deploy/make-certs.sh"), certs_, "--agent",
                          "mx1", "--operator", "alice"},
                         &out),
              0)
        << out;
    controller_yaml_ = lab_.dir() + "/controller.yaml";
    // Port 0: the controller takes a free port and prints it.
    WriteFileOrDie(controller_yaml_, "listen: 127.0.0.1:0\n"
                                     "playbooks: " + SourcePath("playbooks") + "\n"
                                     "state_dir: " + lab_.dir() + "/controller\n"
                                     "ca: " + certs_ + "/ca.crt\n"
                                     "cert: " + certs_ + "/controller.crt\n"
                                     "key: " + certs_ + "/controller.key\n"
                                     "log_level: info\n");
  }
  std::string ControllerLog() {
    try {
      return ReadFileOrDie(lab_.dir() + "/controller.log");
    } catch (const std::exception&) {
      return "";  // not written yet
    }
  }
  // The port the controller printed, 0 until it has.
  int ControllerPort() {
    std::smatch m;
    const std::string log = ControllerLog();
    static const std::regex kListening("listening on port ([0-9]+)");
    return std::regex_search(log, m, kListening) ? std::stoi(m[1].str()) : 0;
  }
  std::string AgentYaml(int port) {
    return "mta: postfix\n"
           "mta_config_dir: " + lab_.config_dir() + "\n"
           "state_dir: " + lab_.state_dir() + "\n"
           "controller: 127.0.0.1:" + std::to_string(port) + "\n"
           "host: mx1\n"
           "labels:\n"
           "  site: config-test\n"
           "ca: " + certs_ + "/ca.crt\n"
           "cert: " + certs_ + "/agent-mx1.crt\n"
           "key: " + certs_ + "/agent-mx1.key\n"
           "heartbeat_s: 5\n"
           "log_level: info\n";
  }
  std::string Hosts(int port, int* rc) {
    std::string out;
    *rc = RunCommand({kBin + "/controller/relayguardctl", "--controller",
                      "127.0.0.1:" + std::to_string(port), "--ca", certs_ + "/ca.crt", "--cert",
                      certs_ + "/operator-alice.crt", "--key", certs_ + "/operator-alice.key",
                      "hosts"},
                     &out);
    return out;
  }

  PostfixLab lab_{"0.0.0.0/0"};  // its config is all the agent needs (not started)
  std::string certs_, controller_yaml_;
  std::unique_ptr<Daemon> controller_, agent_;
};

TEST_F(ConfigFilesTest, AgentStartedFromItsFileConnectsToControllerStartedFromItsFile) {
  controller_ = std::make_unique<Daemon>(
      std::vector<std::string>{kBin + "/controller/relayguard-controller", "--config",
                               controller_yaml_},
      lab_.dir() + "/controller.log");
  int port = 0;
  WaitFor(
      [&] {
        port = ControllerPort();
        return port != 0;
      },
      std::chrono::seconds(10));
  ASSERT_NE(port, 0) << ControllerLog();
  EXPECT_THAT(ControllerLog(), HasSubstr("configuration file " + controller_yaml_));

  const std::string agent_yaml = lab_.dir() + "/agent.yaml";
  WriteFileOrDie(agent_yaml, AgentYaml(port));
  std::string out;
  ASSERT_EQ(RunCommand({kBin + "/agent/relayguard-agent", "--config", agent_yaml, "config",
                        "check"},
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("host: mx1  # " + agent_yaml + ":5:1"));

  agent_ = std::make_unique<Daemon>(
      std::vector<std::string>{kBin + "/agent/relayguard-agent", "--config", agent_yaml, "run"},
      lab_.dir() + "/agent.log");
  int rc = -1;
  out.clear();
  for (int i = 0; i < 150 && out.find("mx1") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    out = Hosts(port, &rc);
  }
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("mx1"));
  EXPECT_THAT(out, HasSubstr("online"));
  // The label from the file reached the controller: a plan selects the host by it.
  out.clear();
  rc = RunCommand({kBin + "/controller/relayguardctl", "--controller",
                   "127.0.0.1:" + std::to_string(port), "--ca", certs_ + "/ca.crt", "--cert",
                   certs_ + "/operator-alice.crt", "--key", certs_ + "/operator-alice.key", "plan",
                   "no-open-relay", "--label", "site=config-test"},
                  &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("mx1")) << out;
}

TEST_F(ConfigFilesTest, ControllerRefusesAKeyOthersCanReadAndConfigCheckSaysSo) {
  const std::string key = certs_ + "/controller.key";
  ASSERT_EQ(chmod(key.c_str(), 0644), 0);
  std::string out;
  EXPECT_EQ(RunCommand({kBin + "/controller/relayguard-controller", "--config", controller_yaml_,
                        "config", "check"},
                       &out),
            2);
  EXPECT_THAT(out, HasSubstr("key " + key + " has mode 0644"));
  EXPECT_THAT(out, HasSubstr("key: " + key + "  # " + controller_yaml_ + ":6:1"));
  out.clear();
  EXPECT_EQ(RunCommand({kBin + "/controller/relayguard-controller", "--config", controller_yaml_},
                       &out),
            1);
  EXPECT_THAT(out, HasSubstr("key " + key + " has mode 0644: group or others can access it"));
  EXPECT_THAT(out, HasSubstr("nothing was started"));

  ASSERT_EQ(chmod(key.c_str(), 0600), 0);
  out.clear();
  EXPECT_EQ(RunCommand({kBin + "/controller/relayguard-controller", "--config", controller_yaml_,
                        "config", "check"},
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("listen: 127.0.0.1:0  # " + controller_yaml_ + ":1:1"));
}

}  // namespace
}  // namespace relayguard::controller
