// ControllerSession (agent/stream/controller_session.cc) against a controller served in-process
// on a loopback port that the test scripts: hello, pushes answered through the real
// PushHandler and ApplyTransaction (fake MTA), reconnects with backoff, and a controller that
// stops answering heartbeats.
#include "agent/stream/controller_session.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "relayguard/v1/agent_stream.grpc.pb.h"
#include "tests/agent/stream/push_handler_parts.h"
#include "tests/support/wait.h"

namespace relayguard::agent {
namespace {

namespace pb = ::relayguard::v1;
using std::chrono::milliseconds;
using std::chrono::seconds;

const char kPlaybook[] =
    "name: no-open-relay\nversion: 7\nrelay:\n"
    "  trusted_networks: [127.0.0.1/32]\n";

// A controller whose first stream pushes a policy and, once answered, ends the stream; later
// streams only listen (echoing heartbeats unless `echo` is false).
class ScriptedController final : public pb::AgentStream::Service {
 public:
  grpc::Status Connect(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<pb::ControllerMessage, pb::AgentMessage>* stream) override {
    pb::AgentMessage in;
    if (!stream->Read(&in) || !in.has_hello()) return grpc::Status::CANCELLED;
    int n = Record(in);
    if (n == 1 && push) {
      pb::ControllerMessage m;
      m.mutable_push()->set_nonce("r-000001-1");
      m.mutable_push()->set_policy_name("no-open-relay");
      m.mutable_push()->set_policy_version(7);
      m.mutable_push()->set_policy_yaml(TestPlaybook(7));
      stream->Write(m);
      while (stream->Read(&in)) {
        Record(in);
        if (in.has_ack() || in.has_nack()) {
          return grpc::Status(grpc::StatusCode::UNAVAILABLE, "controller restarting");
        }
      }
      return grpc::Status::OK;
    }
    while (stream->Read(&in)) {
      Record(in);
      if (in.has_heartbeat() && echo) {
        pb::ControllerMessage m;
        m.mutable_heartbeat()->set_sent_at_ms(in.heartbeat().sent_at_ms());
        stream->Write(m);
      }
    }
    return grpc::Status::OK;
  }

  std::vector<pb::AgentMessage> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  int hellos() {
    std::lock_guard<std::mutex> lock(mu_);
    return hellos_;
  }
  std::atomic<bool> push{true};
  std::atomic<bool> echo{true};

 private:
  // Returns how many hellos came so far.
  int Record(const pb::AgentMessage& m) {
    std::lock_guard<std::mutex> lock(mu_);
    received_.push_back(m);
    if (m.has_hello()) ++hellos_;
    return hellos_;
  }
  std::mutex mu_;
  std::vector<pb::AgentMessage> received_;
  int hellos_ = 0;
};

class ControllerSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&controller_);
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ != nullptr && port != 0);
    options_.controller = "127.0.0.1:" + std::to_string(port);
    options_.host = "mx1";
    options_.labels = {{"site", "fra1"}};
    options_.insecure = true;
    options_.backoff.initial = milliseconds(50);
    options_.backoff.max = milliseconds(200);
  }
  void TearDown() override {
    StopSession();
    server_->Shutdown(std::chrono::system_clock::now() + seconds(2));
  }
  void StartSession() {
    session_ = std::make_unique<ControllerSession>(options_, *parts_.handler, *parts_.driver,
                                                   *parts_.store, clock_);
    runner_ = std::thread([this] { result_ = session_->Run(stop_); });
  }
  void StopSession() {
    stop_ = true;
    if (runner_.joinable()) runner_.join();
  }
  std::vector<pb::Hello> Hellos() {
    std::vector<pb::Hello> out;
    for (const pb::AgentMessage& m : controller_.received()) {
      if (m.has_hello()) out.push_back(m.hello());
    }
    return out;
  }

  PushHandlerParts parts_;
  RealClock clock_;  // the session's heartbeats and backoff run in real time
  ScriptedController controller_;
  std::unique_ptr<grpc::Server> server_;
  SessionOptions options_;
  std::unique_ptr<ControllerSession> session_;
  std::atomic<bool> stop_{false};
  std::thread runner_;
  absl::Status result_;
};

TEST_F(ControllerSessionTest, AnswersAPushAndSaysWhatItAppliedAtTheNextHello) {
  StartSession();
  ASSERT_TRUE(relayguard::testing::WaitFor([&] { return controller_.hellos() >= 2; }, seconds(20)));
  std::vector<pb::Hello> hellos = Hellos();
  EXPECT_EQ(hellos[0].host(), "mx1");
  EXPECT_EQ(hellos[0].labels().at("site"), "fra1");
  EXPECT_EQ(hellos[0].mta(), "fake");
  EXPECT_EQ(hellos[0].applied_policy(), "");
  // After the controller ended the stream, the agent came back with the policy it applied.
  EXPECT_EQ(hellos[1].applied_policy(), "no-open-relay");
  EXPECT_EQ(hellos[1].applied_version(), 7u);
  EXPECT_FALSE(hellos[1].backup_head().empty());
  bool acked = false;
  for (const pb::AgentMessage& m : controller_.received()) {
    if (!m.has_ack()) continue;
    acked = true;
    EXPECT_EQ(m.ack().nonce(), "r-000001-1");
    EXPECT_EQ(m.ack().version(), 7u);
    EXPECT_EQ(m.ack().result().outcome(), pb::ApplyResult::OUTCOME_APPLIED);
  }
  EXPECT_TRUE(acked);
  EXPECT_EQ(parts_.Live(), "closed\n");
  StopSession();
  EXPECT_TRUE(result_.ok()) << result_;
}

TEST_F(ControllerSessionTest, ReconnectsWhenTheControllerStopsAnsweringHeartbeats) {
  controller_.push = false;
  controller_.echo = false;
  options_.heartbeat_interval = milliseconds(100);
  StartSession();
  // Three missed heartbeats (300 ms) end the stream; backoff brings the agent back.
  ASSERT_TRUE(relayguard::testing::WaitFor([&] { return controller_.hellos() >= 2; }, seconds(20)));
  size_t beats = 0;
  for (const pb::AgentMessage& m : controller_.received()) beats += m.has_heartbeat();
  EXPECT_GE(beats, 1u);
}

TEST_F(ControllerSessionTest, KeepsAStreamWhoseControllerEchoesHeartbeats) {
  controller_.push = false;
  options_.heartbeat_interval = milliseconds(100);
  StartSession();
  ASSERT_TRUE(relayguard::testing::WaitFor([&] { return controller_.hellos() >= 1; }, seconds(20)));
  std::this_thread::sleep_for(seconds(1));  // ten heartbeats, each echoed
  EXPECT_EQ(controller_.hellos(), 1);
}

TEST_F(ControllerSessionTest, UnreadableCertificatesAreAnErrorNotARetry) {
  options_.insecure = false;
  options_.ca_file = parts_.root + "/missing-ca.pem";
  ControllerSession session(options_, *parts_.handler, *parts_.driver, *parts_.store, clock_);
  absl::Status s = session.Run(stop_);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("missing-ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace relayguard::agent
