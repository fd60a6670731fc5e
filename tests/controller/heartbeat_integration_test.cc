// Heartbeats between real processes on loopback: a real relayguard-controller with a short
// --agent-timeout-s, a real `relayguard-agent run` (on a real Postfix) with a short
// --heartbeat-s, and a raw gRPC stream from this test that says hello and then nothing.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "relayguard/v1/agent_stream.grpc.pb.h"
#include "tests/support/daemon.h"
#include "tests/support/postfix_lab.h"
#include "tests/support/wait.h"

namespace relayguard::controller {
namespace {

using ::relayguard::testing::Daemon;
using ::relayguard::testing::FreeLoopbackPort;
using ::relayguard::testing::PostfixLab;
using ::relayguard::testing::RunCommand;
using ::relayguard::testing::SourcePath;
using ::relayguard::testing::TimeScale;
using ::relayguard::testing::WaitFor;
using ::relayguard::testing::CountOf;
using ::testing::HasSubstr;
using ::testing::Not;
namespace pb = ::relayguard::v1;

const std::string kBin = RG_BINARY_DIR;
// The controller drops a stream silent this long; the agent sends a heartbeat this often. Both
// grow with TimeScale(), so that a slow (sanitizer) run keeps their ratio.
const int kAgentTimeoutS = 2 * TimeScale();
const int kHeartbeatS = 1 * TimeScale();

class HeartbeatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = std::make_unique<PostfixLab>("0.0.0.0/0");
    lab_->Start();
    port_ = FreeLoopbackPort();
    controller_ = std::make_unique<Daemon>(
        std::vector<std::string>{kBin + "/controller/relayguard-controller", "--insecure",
                                 "--listen", Address(), "--playbooks", SourcePath("playbooks"),
                                 "--state-dir", lab_->dir() + "/controller", "--agent-timeout-s",
                                 std::to_string(kAgentTimeoutS)},
        lab_->dir() + "/controller.log");
  }
  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }
  void StartAgent() {
    agent_ = std::make_unique<Daemon>(
        lab_->AgentArgv({"--log-level", "info", "run", "--controller", Address(), "--host", "mx1",
                         "--insecure", "--heartbeat-s", std::to_string(kHeartbeatS)}),
        lab_->dir() + "/agent.log");
  }
  std::string Hosts() {
    std::string out;
    RunCommand({kBin + "/controller/relayguardctl", "--controller", Address(), "--insecure",
                "hosts"},
               &out);
    return out;
  }

  std::unique_ptr<PostfixLab> lab_;
  std::unique_ptr<Daemon> controller_;
  std::unique_ptr<Daemon> agent_;
  int port_ = 0;
};

TEST_F(HeartbeatTest, AnAgentThatSendsHeartbeatsStaysConnectedPastTheTimeout) {
  StartAgent();
  ASSERT_TRUE(WaitFor([&] { return Hosts().find(" online ") != std::string::npos; },
                      std::chrono::seconds(30)))
      << Hosts() << controller_->Log() << agent_->Log();
  // 2.5 timeouts, 5 heartbeats (scaled with both: see SetUp).
  std::this_thread::sleep_for(std::chrono::seconds(5 * TimeScale()));
  EXPECT_THAT(Hosts(), HasSubstr(" online "));
  EXPECT_THAT(controller_->Log(), Not(HasSubstr("closing its stream")));
  EXPECT_EQ(CountOf(agent_->Log(), "connected to controller"), 1u) << agent_->Log();
}

TEST_F(HeartbeatTest, TheControllerClosesAStreamThatFallsSilent) {
  ASSERT_TRUE(WaitFor([&] { return controller_->Log().find("listening on") != std::string::npos; },
                      std::chrono::seconds(10)))
      << controller_->Log();
  auto channel = grpc::CreateChannel(Address(), grpc::InsecureChannelCredentials());
  auto stub = pb::AgentStream::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10 * kAgentTimeoutS));
  auto stream = stub->Connect(&context);
  pb::AgentMessage hello;
  hello.mutable_hello()->set_host("quiet1");
  hello.mutable_hello()->set_mta("noop");
  ASSERT_TRUE(stream->Write(hello));
  ASSERT_TRUE(WaitFor([&] { return Hosts().find("quiet1") != std::string::npos; },
                      std::chrono::seconds(5)));
  auto started = std::chrono::steady_clock::now();
  pb::ControllerMessage message;
  while (stream->Read(&message)) {
  }
  grpc::Status status = stream->Finish();
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("heartbeat timeout"));
  EXPECT_LT(waited, std::chrono::seconds(3 * kAgentTimeoutS))
      << "closed only after the stream's deadline";
  // Logged right after the stream is closed: the client may see the end first.
  EXPECT_TRUE(WaitFor([&] { return controller_->Log().find("agent quiet1: no message for") !=
                                   std::string::npos; },
                      std::chrono::seconds(5)))
      << controller_->Log();
  EXPECT_TRUE(WaitFor([&] { return Hosts().find(" online ") == std::string::npos; },
                      std::chrono::seconds(5)))
      << Hosts();
}

TEST_F(HeartbeatTest, TheAgentReconnectsWhenTheControllerStopsAnswering) {
  StartAgent();
  ASSERT_TRUE(WaitFor([&] { return Hosts().find(" online ") != std::string::npos; },
                      std::chrono::seconds(30)))
      << agent_->Log();
  // A frozen controller: its socket stays open, so only heartbeats can tell.
  ASSERT_EQ(kill(controller_->pid(), SIGSTOP), 0);
  bool noticed = WaitFor(
      [&] { return agent_->Log().find("silent for") != std::string::npos; },
      std::chrono::seconds(10));
  ASSERT_EQ(kill(controller_->pid(), SIGCONT), 0);
  ASSERT_TRUE(noticed) << agent_->Log();
  EXPECT_TRUE(WaitFor([&] { return CountOf(agent_->Log(), "connected to controller") >= 2; },
                      std::chrono::seconds(30)))
      << agent_->Log();
  EXPECT_TRUE(WaitFor([&] { return Hosts().find(" online ") != std::string::npos; },
                      std::chrono::seconds(10)))
      << Hosts() << controller_->Log();
}

}  // namespace
}  // namespace relayguard::controller
