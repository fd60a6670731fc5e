// mTLS between controller, agents and operators, with certificates from deploy/make-certs.sh:
// the right certificate connects; another host's certificate, a foreign CA or no certificate
// is refused and logged; operator calls need an operator certificate.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::Daemon;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::ReadFileOrDie;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WaitFor;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBin = RG_BINARY_DIR;

class MtlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = lab_.dir() + "/certs";
    other_ = lab_.dir() + "/other-ca";
    std::string out;
    ASSERT_EQ(RunCommand({"/bin/bash", SourcePath("deploy/make-certs.sh"), certs_, "--agent", "mx1",
                          "--agent", "mx2", "--operator", "alice"},
                         &out),
              0)
        << out;
    ASSERT_EQ(
        RunCommand({"/bin/bash", SourcePath("deploy/make-certs.sh"), other_, "--agent", "mx1"},
                   &out),
        0)
        << out;
    port_ = FreeLoopbackPort();
    controller_log_ = lab_.dir() + "/controller.log";
    controller_ = std::make_unique<Daemon>(
        std::vector<std::string>{kBin + "/controller/relayguard-controller", "--listen",
                                 "127.0.0.1:" + std::to_string(port_), "--playbooks",
                                 SourcePath("playbooks"), "--state-dir", lab_.dir() + "/controller",
                                 "--ca", certs_ + "/ca.crt", "--cert", certs_ + "/controller.crt",
                                 "--key", certs_ + "/controller.key"},
        controller_log_);
    ASSERT_TRUE(WaitForLog("listening on port")) << Log();
  }
  void StartAgent(const std::string& host, const std::string& ca_dir, const std::string& cert) {
    std::vector<std::string> argv = lab_.AgentArgv(
        {"run", "--controller", "127.0.0.1:" + std::to_string(port_), "--host", host});
    argv[6] = lab_.state_dir() + "-" + host + "-" + cert;  // its own state dir (and lock)
    argv.insert(argv.end(), {"--ca", certs_ + "/ca.crt", "--cert", ca_dir + "/" + cert + ".crt",
                             "--key", ca_dir + "/" + cert + ".key"});
    agents_.push_back(std::make_unique<Daemon>(argv, lab_.dir() + "/agent-" + host + ".log"));
  }
  std::string Ctl(const std::string& cert, int* rc) {
    std::string out;
    *rc = RunCommand({kBin + "/controller/relayguardctl", "--controller",
                      "127.0.0.1:" + std::to_string(port_), "--ca", certs_ + "/ca.crt", "--cert",
                      certs_ + "/" + cert + ".crt", "--key", certs_ + "/" + cert + ".key", "hosts"},
                     &out);
    return out;
  }
  std::string Log() {
    try {
      return ReadFileOrDie(controller_log_);
    } catch (const std::exception&) {
      return "";  // not written yet
    }
  }
  bool WaitForLog(const std::string& text) {
    return WaitFor([&] { return Log().find(text) != std::string::npos; },
                   std::chrono::seconds(10));
  }

  PostfixLab lab_{"0.0.0.0/0"};  // its config is all the agents need (not started)
  std::string certs_, other_, controller_log_;
  int port_ = 0;
  // Declared after lab_, so they are killed before the lab instance is removed.
  std::unique_ptr<Daemon> controller_;
  std::vector<std::unique_ptr<Daemon>> agents_;
};

TEST_F(MtlsTest, AgentWithItsOwnCertificateConnects) {
  StartAgent("mx1", certs_, "agent-mx1");
  int rc = -1;
  std::string out;
  WaitFor(
      [&] {
        out = Ctl("operator-alice", &rc);
        return out.find("mx1") != std::string::npos;
      },
      std::chrono::seconds(10));
  EXPECT_EQ(rc, 0);
  EXPECT_THAT(out, HasSubstr("mx1"));
  EXPECT_THAT(out, HasSubstr("online"));
}

TEST_F(MtlsTest, AgentWithAnotherHostsCertificateIsRefusedAndLogged) {
  StartAgent("mx2", certs_, "agent-mx1");
  EXPECT_TRUE(WaitForLog("hello says \"mx2\" but its certificate says \"mx1\"")) << Log();
  int rc = -1;
  EXPECT_THAT(Ctl("operator-alice", &rc), Not(HasSubstr("mx2")));
  EXPECT_EQ(rc, 0);
}

TEST_F(MtlsTest, AgentFromAForeignCaIsRefused) {
  StartAgent("mx1", other_, "agent-mx1");
  // The agent tried, its handshake failed, and it backs off: then it must not be listed.
  const Daemon& agent = *agents_.back();
  EXPECT_TRUE(WaitFor([&] { return agent.Log().find("reconnecting") != std::string::npos; },
                      std::chrono::seconds(10)))
      << agent.Log();
  int rc = -1;
  EXPECT_THAT(Ctl("operator-alice", &rc), Not(HasSubstr("mx1")));
  EXPECT_EQ(rc, 0);
}

TEST_F(MtlsTest, OperatorCallsNeedAnOperatorCertificate) {
  int rc = -1;
  std::string out = Ctl("agent-mx1", &rc);
  EXPECT_EQ(rc, 2);
  EXPECT_THAT(out, HasSubstr("operator calls need an operator certificate"));
  out.clear();
  rc = RunCommand({kBin + "/controller/relayguardctl", "--controller",
                   "127.0.0.1:" + std::to_string(port_), "hosts"},
                  &out);
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(out, HasSubstr("--ca, --cert and --key"));
}

TEST(ControllerFlagsTest, RefusesToStartWithoutCertificatesOrInsecure) {
  std::string out;
  int rc =
      RunCommand({kBin + "/controller/relayguard-controller", "--listen", "127.0.0.1:0"}, &out);
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(out, HasSubstr("--ca, --cert and --key"));
}

}  // namespace
}  // namespace relayguard::controller
