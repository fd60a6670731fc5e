// Named points in a transaction where a test can stop the agent ("after-backup",
// "after-activate", "after-reload"), to prove that an agent killed there is recovered at its next
// start. Injected, like leveldb's Env: the relayguard-agent binary wires NoFaultPoints, so nothing
// in its environment can pause a production agent; a test-only binary wires a pausing one
// (tests/support/pausing_fault_points.h).
#ifndef RELAYGUARD_AGENT_APPLY_FAULT_POINTS_H_
#define RELAYGUARD_AGENT_APPLY_FAULT_POINTS_H_

#include "absl/strings/string_view.h"

namespace relayguard::agent {

class FaultPoints {
 public:
  virtual ~FaultPoints() = default;
  // Called when a transaction reaches `point`, while its journal records the change in flight.
  // May block, or end the process; returning lets the transaction go on.
  virtual void Reached(absl::string_view point) = 0;
};

// Production: every point passes.
class NoFaultPoints final : public FaultPoints {
 public:
  void Reached(absl::string_view) override {}
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_APPLY_FAULT_POINTS_H_
