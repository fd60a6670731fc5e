// Test support for the controller's gRPC layer: the agent stream and operator services served
// in-process on a loopback port over the real controller parts (SqliteStore in a temp dir), and
// an agent speaking the wire protocol from the test.
#ifndef RELAYGUARD_TESTS_CONTROLLER_SERVER_SERVER_FIXTURE_H_
#define RELAYGUARD_TESTS_CONTROLLER_SERVER_SERVER_FIXTURE_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "controller/server/agent_stream_reactor.h"
#include "controller/server/operator_service.h"
#include "relayguard/v1/agent_stream.grpc.pb.h"
#include "relayguard/v1/operator.grpc.pb.h"
#include "tests/support/controller_parts.h"
#include "tests/support/wait.h"

namespace relayguard::controller {

namespace pb = ::relayguard::v1;

// One agent stream driven by the test: writes what it is told, and a reader thread queues what
// the controller sends.
class WireAgent {
 public:
  explicit WireAgent(const std::shared_ptr<grpc::Channel>& channel)
      : stub_(pb::AgentStream::NewStub(channel)) {
    context_.set_deadline(std::chrono::system_clock::now() +
                          ::relayguard::testing::Scaled(std::chrono::seconds(60)));
    stream_ = stub_->Connect(&context_);
    reader_ = std::thread([this] {
      pb::ControllerMessage m;
      while (stream_->Read(&m)) {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back(m);
        arrived_.notify_all();
      }
      std::lock_guard<std::mutex> lock(mu_);
      ended_ = true;
      arrived_.notify_all();
    });
  }
  ~WireAgent() { Close(); }

  bool Write(const pb::AgentMessage& m) { return stream_->Write(m); }
  bool Hello(const std::string& host, const std::string& policy = "", uint64_t version = 0) {
    pb::AgentMessage m;
    pb::Hello* hello = m.mutable_hello();
    hello->set_host(host);
    (*hello->mutable_labels())["site"] = "fra1";
    hello->set_mta("postfix");
    hello->set_mta_version("3.7.11");
    hello->set_applied_policy(policy);
    hello->set_applied_version(version);
    return Write(m);
  }
  // The next message from the controller, or nullopt when none comes within `limit` (scaled).
  std::optional<pb::ControllerMessage> Next(
      std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    arrived_.wait_for(lock, ::relayguard::testing::Scaled(limit), [&] { return !received_.empty() || ended_; });
    if (received_.empty()) return std::nullopt;
    pb::ControllerMessage m = std::move(received_.front());
    received_.pop_front();
    return m;
  }
  // Ends our side and returns how the controller finished the stream.
  grpc::Status Close() {
    if (closed_) return status_;
    closed_ = true;
    stream_->WritesDone();
    reader_.join();
    status_ = stream_->Finish();
    return status_;
  }
  // Waits for the controller to end the stream (after refusing the hello) and returns why.
  grpc::Status Refused() {
    std::unique_lock<std::mutex> lock(mu_);
    arrived_.wait_for(lock, ::relayguard::testing::Scaled(std::chrono::seconds(10)),
                      [&] { return ended_; });
    lock.unlock();
    return Close();
  }

 private:
  std::unique_ptr<pb::AgentStream::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<pb::AgentMessage, pb::ControllerMessage>> stream_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable arrived_;
  std::deque<pb::ControllerMessage> received_;
  bool ended_ = false;
  bool closed_ = false;
  grpc::Status status_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agents_ = std::make_unique<AgentStreamCallbackService>(
        *parts_.registry, *parts_.manager, *parts_.channel, *parts_.facade, *parts_.tracker,
        *parts_.attempts, parts_.clock, /*require_cn=*/false);
    api_ = std::make_unique<OperatorApi>(*parts_.manager, *parts_.facade, *parts_.registry,
                                         *parts_.tracker, *parts_.attempts,
                                         [this] { return reload_result_; });
    operators_ = std::make_unique<OperatorService>(*api_, /*require_operator_cert=*/false);
    grpc::ServerBuilder builder;
    int& port = port_;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(agents_.get());
    builder.RegisterService(operators_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ != nullptr && port != 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
    operator_ = pb::Operator::NewStub(channel_);
  }
  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  std::unique_ptr<WireAgent> Agent() { return std::make_unique<WireAgent>(channel_); }
  // An agent that said hello and is registered (the registry is filled after the hello is read).
  std::unique_ptr<WireAgent> Connected(const std::string& host) {
    std::unique_ptr<WireAgent> agent = Agent();
    EXPECT_TRUE(agent->Hello(host));
    for (int i = 0; i < 100 && !parts_.registry->Online(host); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(parts_.registry->Online(host)) << host;
    return agent;
  }

  ControllerParts parts_;
  int port_ = 0;  // of the plaintext server (relayguardctl --insecure reaches it)
  std::pair<std::vector<std::string>, std::vector<std::string>> reload_result_;
  std::unique_ptr<AgentStreamCallbackService> agents_;
  std::unique_ptr<OperatorApi> api_;
  std::unique_ptr<OperatorService> operators_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Operator::Stub> operator_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_TESTS_CONTROLLER_SERVER_SERVER_FIXTURE_H_
