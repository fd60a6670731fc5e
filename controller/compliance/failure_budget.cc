#include "controller/compliance/failure_budget.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/policy/policy_loader.h"

namespace relayguard::controller {

int FailureBudget(const agent::Policy& policy) {
  return policy.compliance.has_value() ? policy.compliance->failure_budget : 0;
}

int FailureBudgetOfPlaybook(const std::string& yaml, const std::string& source_name) {
  absl::StatusOr<agent::Policy> policy = agent::ParsePolicy(yaml, source_name);
  return policy.ok() ? FailureBudget(*policy) : 0;
}

std::optional<std::string> EnforceHoldReason(const std::string& policy, uint64_t version,
                                             int budget,
                                             const std::vector<std::string>& failed_hosts) {
  if (static_cast<int64_t>(failed_hosts.size()) <= static_cast<int64_t>(budget)) {
    return std::nullopt;
  }
  return absl::StrCat(failed_hosts.size(), failed_hosts.size() == 1 ? " host" : " hosts",
                      " failed to enforce ", policy, " v", version, " (budget ", budget,
                      "): ", absl::StrJoin(failed_hosts, ", "));
}

}  // namespace relayguard::controller
