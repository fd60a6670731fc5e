// What the controller's parts report as it happens: commands handed to agents' streams, agents'
// answers and how long store calls take (for its metrics), and which part of its state changed
// (for the dashboard's live updates). Injected by reference (main() passes a fan-out to the
// ControllerMetrics and the dashboard's change feed); NoControllerEvents() ignores everything,
// for tests and tools.
#ifndef RELAYGUARD_CONTROLLER_METRICS_CONTROLLER_EVENTS_H_
#define RELAYGUARD_CONTROLLER_METRICS_CONTROLLER_EVENTS_H_

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "common/apply_outcome.h"
#include "controller/fleet/agent_command.h"

namespace relayguard::controller {

// What a change touched, so that a page showing it knows to fetch it again.
enum class ChangeTopic { kHosts, kRollouts, kCompliance, kAudit, kAttempts };

class ControllerEvents {
 public:
  virtual ~ControllerEvents() = default;
  // `command` was handed to a host's stream (`sent`), or could not be: the host is offline or
  // its stream refused the write. Any thread; must not block.
  virtual void CommandSent(const AgentCommand& command, bool sent) = 0;
  // An agent answered a push or a rollback with an ACK (`ack`) or a NACK, and this outcome.
  virtual void AgentAnswered(bool ack, ApplyOutcome outcome) = 0;
  // One call into the store took `elapsed` (its work, not the wait for the store's lock).
  virtual void StoreCall(std::chrono::nanoseconds elapsed) = 0;
  // Something under `topic` changed (a host came or went or applied, a rollout moved, a
  // compliance report arrived, an audit entry was written). Any thread; must not block.
  virtual void StateChanged(ChangeTopic /*topic*/) {}
  // A host's log monitor reported a period with `refused` relay attempts and `sasl_failures`
  // failed logins (a new report, not a re-send). Any thread; must not block.
  virtual void AttemptsReported(uint64_t /*refused*/, uint64_t /*sasl_failures*/) {}
  // A host's log monitor saw a message relayed for an untrusted client (a new report).
  virtual void RelaySeen() {}
};

// Hands every event to each of `targets` in turn (they must outlive it).
class ControllerEventsFanOut final : public ControllerEvents {
 public:
  ControllerEventsFanOut(std::initializer_list<ControllerEvents*> targets) : targets_(targets) {}
  void CommandSent(const AgentCommand& command, bool sent) override {
    for (ControllerEvents* t : targets_) t->CommandSent(command, sent);
  }
  void AgentAnswered(bool ack, ApplyOutcome outcome) override {
    for (ControllerEvents* t : targets_) t->AgentAnswered(ack, outcome);
  }
  void StoreCall(std::chrono::nanoseconds elapsed) override {
    for (ControllerEvents* t : targets_) t->StoreCall(elapsed);
  }
  void StateChanged(ChangeTopic topic) override {
    for (ControllerEvents* t : targets_) t->StateChanged(topic);
  }
  void AttemptsReported(uint64_t refused, uint64_t sasl_failures) override {
    for (ControllerEvents* t : targets_) t->AttemptsReported(refused, sasl_failures);
  }
  void RelaySeen() override {
    for (ControllerEvents* t : targets_) t->RelaySeen();
  }

 private:
  std::vector<ControllerEvents*> targets_;
};

// Events that go nowhere.
ControllerEvents& NoControllerEvents();

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_METRICS_CONTROLLER_EVENTS_H_
