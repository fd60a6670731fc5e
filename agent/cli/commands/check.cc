// relayguard-agent check: one compliance check now.
#include "agent/cli/agent_cli.h"
#include "agent/cli/agent_context.h"
#include "agent/cli/report_output.h"
#include "agent/compliance/compliance_check.h"
#include "agent/compliance/compliance_queue.h"

namespace relayguard::agent {

// One compliance check now, as the scheduler would run it (nothing is queued).
int RunCheck(Agent& a, std::optional<Policy> policy, std::ostream& out, std::ostream& err) {
  const std::string cache = a.flags.state_dir + "/policy.yaml";
  if (!policy) {
    absl::StatusOr<Policy> cached = LoadPolicyFile(cache);
    if (!cached.ok()) {
      err << "relayguard-agent: check needs --policy FILE or a policy applied on this host ("
          << cached.status().message() << ")\n";
      return kExitRefused;
    }
    policy = *cached;
  }
  EnforceState state(a.fs, a.flags.state_dir + "/enforce-state");
  EnforceGate gate{state.Suspended(policy->name, policy->version),
                   state.Held(policy->name, policy->version)};
  ComplianceChecker checker(*a.driver, a.fs, *a.store, a.checker, *a.transaction);
  ComplianceResult r = checker.Check(*policy, a.clock.WallSeconds(), gate);
  out << (a.flags.json ? JsonCompliance(r) : HumanCompliance(r));
  if (r.status == ComplianceStatus::kCompliant) return kExitOk;
  return r.status == ComplianceStatus::kError ? kExitRefused : kExitNotCompliant;
}

}  // namespace relayguard::agent
