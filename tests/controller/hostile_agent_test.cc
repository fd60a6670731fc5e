// A malicious agent against the real relayguard-controller process over real gRPC on loopback:
// oversized messages (the explicit receive limit, controller/server/server_limits.h), a flood of
// reports while another agent and relayguardctl are served, replayed and unknown nonces, and
// answers for a rollout the agent is not in: refused, logged, the controller stays up.
// (Hellos for other hosts: mtls_integration_test.)
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/server/server_limits.h"
#include "tests/controller/server/server_fixture.h"
#include "tests/support/ctl.h"
#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::CountOf;
using ::relayguard::testing::Daemon;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::RunCtl;
using ::relayguard::testing::Scaled;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::WaitFor;
using ::testing::HasSubstr;
using ::testing::Not;

using Clock = std::chrono::steady_clock;

class HostileAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-hostile-agent-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    port_ = FreeLoopbackPort();
    controller_ = std::make_unique<Daemon>(
        std::vector<std::string>{std::string(RG_BINARY_DIR) + "/controller/relayguard-controller",
                                 "--insecure", "--listen", "127.0.0.1:" + std::to_string(port_),
                                 "--playbooks", SourcePath("playbooks"), "--state-dir",
                                 dir_ + "/state"},
        dir_ + "/controller.log");
    ASSERT_TRUE(WaitFor([&] { return Log().find("listening on port") != std::string::npos; },
                        std::chrono::seconds(20)))
        << Log();
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    controller_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Log() const { return controller_->Log(); }
  bool ControllerAlive() const { return kill(controller_->pid(), 0) == 0; }
  std::string Ctl(const std::vector<std::string>& args, int* rc = nullptr) {
    return RunCtl(port_, args, rc);
  }
  std::unique_ptr<WireAgent> Agent() { return std::make_unique<WireAgent>(channel_); }
  // An agent whose hello the controller took (relayguardctl hosts lists it online).
  std::unique_ptr<WireAgent> Connected(const std::string& host) {
    std::unique_ptr<WireAgent> agent = Agent();
    EXPECT_TRUE(agent->Hello(host));
    EXPECT_TRUE(WaitFor([&] { return Log().find("agent " + host + " connected") != std::string::npos; },
                        std::chrono::seconds(10)))
        << Log();
    return agent;
  }
  static pb::AgentMessage Report(uint64_t seq, const std::string& summary) {
    pb::AgentMessage m;
    pb::ComplianceReport* r = m.mutable_compliance();
    r->set_seq(seq);
    r->set_policy_name("no-open-relay");
    r->set_policy_version(1);
    r->set_mode(pb::COMPLIANCE_MODE_AUDIT);
    r->set_status(pb::COMPLIANCE_STATUS_COMPLIANT);
    r->set_checked_at(1700000000);
    r->set_summary(summary);
    return m;
  }
  static pb::AgentMessage Ack(const std::string& nonce, uint64_t version) {
    pb::AgentMessage m;
    m.mutable_ack()->set_nonce(nonce);
    m.mutable_ack()->set_version(version);
    m.mutable_ack()->mutable_result()->set_policy_name("no-open-relay");
    m.mutable_ack()->mutable_result()->set_outcome(pb::ApplyResult::OUTCOME_APPLIED);
    return m;
  }

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<Daemon> controller_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(HostileAgentTest, AnOversizedMessageEndsThatStreamOnlyAndOneBelowTheLimitIsTaken) {
  std::unique_ptr<WireAgent> big = Connected("mx1");
  ASSERT_TRUE(big->Write(Report(1, std::string(kMaxReceiveMessageBytes - 64 * 1024, 's'))));
  std::optional<pb::ControllerMessage> acked = big->Next();
  ASSERT_TRUE(acked.has_value() && acked->has_compliance_ack()) << Log();
  EXPECT_EQ(acked->compliance_ack().seq(), 1u);

  (void)big->Write(Report(2, std::string(kMaxReceiveMessageBytes + 1024, 'S')));
  grpc::Status refused = big->Refused();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  // Far past the limit (64 MiB): refused the same way, without the controller reading it all.
  std::unique_ptr<WireAgent> huge = Connected("mx2");
  (void)huge->Write(Report(1, std::string(64 * 1024 * 1024, 'H')));
  EXPECT_EQ(huge->Refused().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  EXPECT_TRUE(ControllerAlive());
  std::unique_ptr<WireAgent> other = Connected("mx3");
  pb::AgentMessage beat;
  beat.mutable_heartbeat()->set_sent_at_ms(7);
  ASSERT_TRUE(other->Write(beat));
  std::optional<pb::ControllerMessage> echo = other->Next();
  ASSERT_TRUE(echo.has_value() && echo->has_heartbeat());
  int rc = -1;
  EXPECT_THAT(Ctl({"hosts"}, &rc), HasSubstr("mx3"));
  EXPECT_EQ(rc, 0);
}

TEST_F(HostileAgentTest, AFloodOfReportsLeavesTheControllerAnsweringOthers) {
  std::unique_ptr<WireAgent> flood = Connected("flood");
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0};
  std::thread flooder([&] {
    pb::AgentMessage beat;
    beat.mutable_heartbeat()->set_sent_at_ms(1);
    for (uint64_t seq = 1; !stop; ++seq) {
      if (!flood->Write(Report(seq, "flood " + std::to_string(seq)))) return;
      for (int i = 0; i < 20; ++i) {
        if (!flood->Write(beat)) return;
      }
      sent += 21;
    }
  });
  // The flood is under way before another agent and relayguardctl ask.
  EXPECT_TRUE(WaitFor([&] { return sent.load() > 1000u; }, std::chrono::seconds(10)))
      << "the flood did not get going";
  // Another agent connects and is answered, and relayguardctl is, each within a bound.
  auto t0 = Clock::now();
  std::unique_ptr<WireAgent> other = Connected("mx1");
  pb::AgentMessage beat;
  beat.mutable_heartbeat()->set_sent_at_ms(42);
  ASSERT_TRUE(other->Write(beat));
  std::optional<pb::ControllerMessage> echo;
  do {
    echo = other->Next(std::chrono::seconds(5));
  } while (echo.has_value() && !echo->has_heartbeat());
  ASSERT_TRUE(echo.has_value());
  EXPECT_EQ(echo->heartbeat().sent_at_ms(), 42);
  const auto agent_took = Clock::now() - t0;
  t0 = Clock::now();
  int rc = -1;
  const std::string hosts = Ctl({"hosts"}, &rc);
  const auto ctl_took = Clock::now() - t0;
  stop = true;
  flooder.join();
  EXPECT_EQ(rc, 0) << hosts;
  EXPECT_THAT(hosts, HasSubstr("mx1"));
  EXPECT_THAT(hosts, HasSubstr("flood"));
  EXPECT_LT(agent_took, Scaled(std::chrono::seconds(5)));
  EXPECT_LT(ctl_took, Scaled(std::chrono::seconds(5)));
  EXPECT_TRUE(ControllerAlive());
  std::cout << "flood: " << sent.load() << " messages; another agent answered in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(agent_took).count()
            << " ms, relayguardctl hosts in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(ctl_took).count() << " ms\n";
}

TEST_F(HostileAgentTest, ReplayedUnknownAndOtherHostsNoncesAreRefusedAndLogged) {
  std::unique_ptr<WireAgent> mx1 = Connected("mx1");
  std::unique_ptr<WireAgent> mx2 = Connected("mx2");
  int rc = -1;
  const std::string started =
      Ctl({"rollout", "start", "no-open-relay", "--hosts", "mx1", "--waves", "100%"}, &rc);
  ASSERT_EQ(rc, 0) << started;
  std::optional<pb::ControllerMessage> push;
  do {
    push = mx1->Next();
  } while (push.has_value() && !push->has_push());
  ASSERT_TRUE(push.has_value()) << Log();
  const std::string nonce = push->push().nonce();
  const uint64_t version = push->push().policy_version();

  // mx2 is not in the rollout; mx1 forges a nonce: both refused, nothing changes.
  ASSERT_TRUE(mx2->Write(Ack(nonce, version)));
  ASSERT_TRUE(mx1->Write(Ack("r-999999-forged", 99)));
  pb::AgentMessage forged_nack;
  forged_nack.mutable_nack()->set_nonce(std::string("\x1b[2J\0x", 6));
  ASSERT_TRUE(mx1->Write(forged_nack));
  ASSERT_TRUE(WaitFor([&] { return CountOf(Log(), "refused ACK") + CountOf(Log(), "refused NACK") >= 3; },
                      std::chrono::seconds(10)))
      << Log();
  EXPECT_THAT(Log(), HasSubstr("agent mx2"));
  EXPECT_THAT(Log(), HasSubstr("\"r-999999-forged\": nothing awaits it from this host"));
  EXPECT_THAT(Log(), Not(HasSubstr("\x1b[2J")));  // the agent's bytes are not written raw
  std::string status = Ctl({"rollout", "list"});
  EXPECT_THAT(status, HasSubstr("running")) << status;
  EXPECT_THAT(Ctl({"hosts"}), Not(HasSubstr("v99")));

  // The real answer is taken; the same answer again is a replay.
  ASSERT_TRUE(mx1->Write(Ack(nonce, version)));
  ASSERT_TRUE(WaitFor([&] { return Ctl({"rollout", "list"}).find("succeeded") != std::string::npos; },
                      std::chrono::seconds(10)))
      << Ctl({"rollout", "list"});
  ASSERT_TRUE(mx1->Write(Ack(nonce, version)));
  ASSERT_TRUE(WaitFor([&] { return CountOf(Log(), "refused ACK") >= 3; }, std::chrono::seconds(10)))
      << Log();
  EXPECT_THAT(Log(), HasSubstr("refused ACK with nonce \"" + nonce + "\""));
  EXPECT_TRUE(ControllerAlive());
}

}  // namespace
}  // namespace relayguard::controller
