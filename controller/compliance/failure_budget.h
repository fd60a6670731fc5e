// The failure budget of scheduled enforcement (a playbook's compliance.failure_budget): once more
// hosts than the budget failed to enforce a policy version (their transaction rolled back, or
// even the rollback failed), enforcement of that version halts fleet-wide, as a rollout wave
// halts. Pure functions; the tracker (compliance_tracker.h) carries the decision out.
#ifndef RELAYGUARD_CONTROLLER_COMPLIANCE_FAILURE_BUDGET_H_
#define RELAYGUARD_CONTROLLER_COMPLIANCE_FAILURE_BUDGET_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/policy/policy.h"

namespace relayguard::controller {

// An enforcement counts against the budget when it failed (EnforcementFailed in
// common/compliance_states.h: rolled back, or even the rollback failed).

// The policy's budget; 0 (the first failure halts) when it has no compliance section.
int FailureBudget(const agent::Policy& policy);

// The budget of the playbook text as stored; 0 when the text does not parse (a stored playbook
// always parsed once, so that means a newer schema: be strict).
int FailureBudgetOfPlaybook(const std::string& yaml, const std::string& source_name);

// nullopt while `failed_hosts` (distinct, sorted) are within `budget`; otherwise the reason of
// the hold, e.g. "3 hosts failed to enforce no-open-relay v2 (budget 1): mx1, mx2, mx3".
std::optional<std::string> EnforceHoldReason(const std::string& policy, uint64_t version,
                                             int budget,
                                             const std::vector<std::string>& failed_hosts);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_COMPLIANCE_FAILURE_BUDGET_H_
