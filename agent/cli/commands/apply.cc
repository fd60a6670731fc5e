// relayguard-agent apply and rollback: one transaction each, its report, its exit code.
#include "agent/cli/agent_cli.h"
#include "agent/cli/agent_context.h"
#include "agent/cli/report_output.h"

namespace relayguard::agent {
namespace {

int ExitFor(const TransactionReport& r) {
  switch (r.outcome) {
    case Outcome::kApplied:
    case Outcome::kDryRun:
    case Outcome::kRestored:
      return kExitOk;
    case Outcome::kUnchanged:
      return r.error.empty() || r.action != "apply" ? kExitOk : kExitNotCompliant;
    case Outcome::kRefused:
      return kExitRefused;
    case Outcome::kRolledBack:
      return kExitRolledBack;
    case Outcome::kRollbackFailed:
      return kExitRestoreFailed;
  }
  return kExitRestoreFailed;
}

int Print(const Agent& a, const TransactionReport& r, std::ostream& out) {
  out << (a.flags.json ? JsonTransaction(r) : HumanTransaction(r));
  return ExitFor(r);
}

}  // namespace

int RunApply(Agent& a, const Policy& policy, std::ostream& out) {
  return Print(a, a.transaction->Apply(policy, a.flags.apply.dry_run), out);
}

int RunRollback(Agent& a, const ProbeSettings& probe, std::ostream& out) {
  return Print(a, a.transaction->Rollback(a.flags.rollback.to, probe), out);
}

}  // namespace relayguard::agent
