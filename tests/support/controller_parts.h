// Test support: the controller's parts wired as main() wires them (a real SqliteStore on a file
// in a temp dir, the StoreFacade, the AgentRegistry, the AgentChannel, the RolloutManager and
// the ComplianceTracker, the AttemptTracker) with a clock the test moves, and agents that record what they are sent.
#ifndef RELAYGUARD_TESTS_SUPPORT_CONTROLLER_PARTS_H_
#define RELAYGUARD_TESTS_SUPPORT_CONTROLLER_PARTS_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "controller/compliance/compliance_tracker.h"
#include "controller/fleet/agent_channel.h"
#include "controller/fleet/agent_registry.h"
#include "controller/monitor/attempt_tracker.h"
#include "controller/rollout/rollout_manager.h"
#include "controller/store/sqlite_store.h"
#include "controller/store/store_facade.h"

namespace relayguard::controller {

// The playbook no-open-relay v2, as the tests load it into the store.
inline constexpr char kTestPlaybook[] = R"(name: no-open-relay
version: 2
relay:
  trusted_networks: [127.0.0.1/32]
)";

class TestClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return {}; }
  int64_t WallSeconds() override { return wall; }
  void SleepFor(std::chrono::milliseconds) override {}
  std::atomic<int64_t> wall{1700000000};
};

// An agent stream that records the commands sent to it and may answer them (`on_send` runs on
// the sending thread, outside every controller lock, as a stream's write does).
class RecordingAgent {
 public:
  AgentRegistry::Link Link() {
    AgentRegistry::Link link;
    link.send = [this](const AgentCommand& c) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        sent_.push_back(c);
      }
      if (on_send) on_send(c);
      return true;
    };
    link.close = [](const std::string&) {};
    return link;
  }
  std::vector<AgentCommand> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }
  // The commands of type T sent so far.
  template <typename T>
  std::vector<T> Sent() {
    std::vector<T> out;
    for (const AgentCommand& c : sent()) {
      if (const T* t = std::get_if<T>(&c)) out.push_back(*t);
    }
    return out;
  }
  std::function<void(const AgentCommand&)> on_send;

 private:
  std::mutex mu_;
  std::vector<AgentCommand> sent_;
};

// The parts, built on a database file that survives Restart() (a controller restart).
class ControllerParts {
 public:
  ControllerParts() {
    char tmpl[] = "/tmp/rg-controller-parts.XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Restart();
  }
  ~ControllerParts() {
    Stop();
    std::filesystem::remove_all(dir_);
  }
  // Drops every part (connected agents too) and builds them again on the same database.
  void Restart() {
    Stop();
    absl::StatusOr<std::unique_ptr<SqliteStore>> opened =
        SqliteStore::Open(dir_ + "/controller.db");
    ASSERT_TRUE(opened.ok()) << opened.status();
    store = std::move(*opened);
    facade = std::make_unique<StoreFacade>(*store, clock);
    registry = std::make_unique<AgentRegistry>();
    channel = std::make_unique<AgentChannel>(*registry, clock);
    manager = std::make_unique<RolloutManager>(*facade, *channel, clock);
    tracker = std::make_unique<ComplianceTracker>(*facade, *registry, clock);
    attempts = std::make_unique<AttemptTracker>(*facade, clock);
  }
  // Registers `host`'s stream (without telling the manager: call OnHostOnline for that) and
  // returns its generation.
  uint64_t Connect(const std::string& host, RecordingAgent& agent) {
    return registry->Register(host, agent.Link(), {}, clock.wall.load());
  }
  const std::string& dir() const { return dir_; }

  TestClock clock;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<StoreFacade> facade;
  std::unique_ptr<AgentRegistry> registry;
  std::unique_ptr<AgentChannel> channel;
  std::unique_ptr<RolloutManager> manager;
  std::unique_ptr<ComplianceTracker> tracker;
  std::unique_ptr<AttemptTracker> attempts;

 private:
  void Stop() {
    attempts.reset();
    tracker.reset();
    manager.reset();
    channel.reset();
    registry.reset();
    facade.reset();
    store.reset();
  }
  std::string dir_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_TESTS_SUPPORT_CONTROLLER_PARTS_H_
