// Named steps of a rollout and of a fleet rollback where a test can stop the controller, to prove
// that a controller killed there is continued by the next one on the same store: nothing
// repeated, nothing lost. Injected like the agent's (agent/apply/fault_points.h): the
// relayguard-controller binary wires NoFaultPoints, so nothing in its environment can pause a
// production controller; the test-only relayguard-controller-pausing wires a pausing one.
// Steps (RolloutManager):
//   rollout-created           the new rollout is in the store, nothing sent yet
//   wave-started              a wave's start is in the store, its pushes not sent yet
//   push-sent                 a push went out, its answer not received
//   answer-received           an agent's answer to a push arrived, not yet stored
//   wave-done                 the answer that settled a wave is stored, the engine state not yet
//   rollout-done              the succeeded rollout is in the store
//   rollback-resolved         a fleet rollback's targets are known, nothing sent yet
//   rollback-sent             the rollbacks went out, no answer received
//   rollback-answer-received  an agent's answer to a rollback arrived, not yet stored
//   rollback-answer-stored    that answer is in the store
//   rollback-done             every answer is in, not yet returned to the operator
#ifndef RELAYGUARD_CONTROLLER_ROLLOUT_FAULT_POINTS_H_
#define RELAYGUARD_CONTROLLER_ROLLOUT_FAULT_POINTS_H_

#include "absl/strings/string_view.h"

namespace relayguard::controller {

class FaultPoints {
 public:
  virtual ~FaultPoints() = default;
  // Called when the controller reaches `step`. May block, or end the process; returning lets
  // the controller go on.
  virtual void Reached(absl::string_view step) = 0;
};

// Production: every step passes.
class NoFaultPoints final : public FaultPoints {
 public:
  void Reached(absl::string_view) override {}
};

inline FaultPoints& NoControllerFaultPoints() {
  static NoFaultPoints none;
  return none;
}

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_ROLLOUT_FAULT_POINTS_H_
