// Named points in a transaction where a test can stop the agent, to prove that an agent killed
// there is recovered at its next start. Injected, like leveldb's Env: the relayguard-agent binary
// wires NoFaultPoints, so nothing in its environment can pause a production agent; a test-only
// binary wires a pausing one (tests/support/pausing_fault_points.h).
//
// The names (stable: tests and the crash matrix use them) are STEP + POINT:
//   STEP  ""           the change itself: apply, rollback, and the apply of an enforcing check
//         "restore:"   putting the backup back after the change failed (RestoreAfterFailure)
//         "recovery:"  putting the journal's backup back at the next start (RecoverInterrupted)
//   POINT "after-backup"    backup commit and journal written, no live file touched yet
//                           (the change itself only)
//         "after-write:N"   the Nth managed file that differs has been written (N from 1, in
//                           the driver's ManagedFiles order; Sendmail: .mc, .cf, access)
//         "after-activate"  every file written, the MTA not yet reloaded
//         "after-reload"    the MTA reloaded (or restarted), verification not begun
//         "during-verify"   verification under way: the first listener has answered as it must
// e.g. "after-write:2", "restore:after-reload", "recovery:during-verify".
#ifndef RELAYGUARD_AGENT_APPLY_FAULT_POINTS_H_
#define RELAYGUARD_AGENT_APPLY_FAULT_POINTS_H_

#include "absl/strings/string_view.h"

namespace relayguard::agent {

// The STEP prefixes above.
inline constexpr absl::string_view kFaultStepChange = "";
inline constexpr absl::string_view kFaultStepRestore = "restore:";
inline constexpr absl::string_view kFaultStepRecovery = "recovery:";

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
