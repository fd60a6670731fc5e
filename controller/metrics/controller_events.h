// What the controller's parts report as it happens, for its metrics: commands handed to agents'
// streams, agents' answers, and how long store calls take. Injected by reference (main() passes
// the ControllerMetrics); NoControllerEvents() ignores everything, for tests and tools.
#ifndef RELAYGUARD_CONTROLLER_METRICS_CONTROLLER_EVENTS_H_
#define RELAYGUARD_CONTROLLER_METRICS_CONTROLLER_EVENTS_H_

#include <chrono>

#include "common/apply_outcome.h"
#include "controller/fleet/agent_command.h"

namespace relayguard::controller {

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
};

// Events that go nowhere.
ControllerEvents& NoControllerEvents();

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_METRICS_CONTROLLER_EVENTS_H_
