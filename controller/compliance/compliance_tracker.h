// The controller's side of scheduled compliance: stores each check an agent reports (once per
// host and seq, as agents re-send what was not acked), records enforcement in the audit log,
// and halts enforcement of a policy version fleet-wide when more hosts than its playbook's
// compliance.failure_budget failed to enforce it (an enforce hold, sent to every online agent
// and again at hello to agents on that version). Answers the operator's compliance report.
// Thread-safe: the store is used through the StoreFacade's lock.
#ifndef RELAYGUARD_CONTROLLER_COMPLIANCE_COMPLIANCE_TRACKER_H_
#define RELAYGUARD_CONTROLLER_COMPLIANCE_COMPLIANCE_TRACKER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "controller/compliance/fleet_compliance.h"
#include "controller/fleet/agent_registry.h"
#include "controller/store/store.h"
#include "controller/store/store_facade.h"

namespace relayguard::controller {

// What enforcement left behind, when it ran (the agent's backup and result commits).
struct EnforcementCommits {
  std::string backup_commit;
  std::string result_commit;
};

struct ComplianceQuery {
  std::string host;  // empty: every host
  bool history = false;
  size_t limit = 100;  // history entries
};

struct ComplianceView {
  FleetCompliance fleet;
  std::vector<ComplianceCheckRecord> history;  // newest first, when asked
  std::vector<EnforceHoldRecord> holds;        // in force
};

class ComplianceTracker {
 public:
  // `registry` is where holds are sent and whom it asks who is online.
  ComplianceTracker(StoreFacade& store, AgentRegistry& registry, Clock& clock)
      : store_(store), registry_(registry), clock_(clock) {}

  // Stores `check` (received_at is set here). True when it was new, false for a re-send (then
  // nothing else happens). A new check whose enforcement ran is audited as "agent:HOST"; a
  // failed enforcement may put a hold, which is audited and sent to every online agent. An
  // error means the check was not stored: do not ack it, the agent sends it again.
  absl::StatusOr<bool> Record(ComplianceCheckRecord check, const EnforcementCommits& commits);

  // The hold on `policy` v`version`, if one was put (an agent on that version is told at hello).
  std::optional<EnforceHoldRecord> HoldOn(const std::string& policy, uint64_t version);

  // The operator's report. NotFound for a host that never connected.
  absl::StatusOr<ComplianceView> View(const ComplianceQuery& query);

 private:
  // Counts the failures of the check's policy version against its budget; puts the hold when
  // it is spent. Returns the new hold, if this check put one. Requires the store lock.
  absl::StatusOr<std::optional<EnforceHoldRecord>> CheckBudget(Store& store,
                                                               const ComplianceCheckRecord& check);
  void Audit(Store& store, const std::string& who, const std::string& action,
             const std::string& target, const std::string& result);

  StoreFacade& store_;
  AgentRegistry& registry_;
  Clock& clock_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_COMPLIANCE_COMPLIANCE_TRACKER_H_
