#include "controller/metrics/controller_events.h"

namespace relayguard::controller {

ControllerEvents& NoControllerEvents() {
  class Nothing : public ControllerEvents {
    void CommandSent(const AgentCommand&, bool) override {}
    void AgentAnswered(bool, ApplyOutcome) override {}
    void StoreCall(std::chrono::nanoseconds) override {}
  };
  static Nothing nothing;
  return nothing;
}

}  // namespace relayguard::controller
