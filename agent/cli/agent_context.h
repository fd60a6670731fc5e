// What relayguard-agent's commands share: the parsed flags and the real parts wired once
// (driver, backup store, journal, lock, transaction), and one function per command
// (agent/cli/commands/).
#ifndef RELAYGUARD_AGENT_CLI_AGENT_CONTEXT_H_
#define RELAYGUARD_AGENT_CLI_AGENT_CONTEXT_H_

#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "agent/apply/apply_transaction.h"
#include "agent/apply/fault_points.h"
#include "agent/apply/state_lock.h"
#include "agent/cli/agent_flags.h"
#include "agent/os/process_runner.h"
#include "agent/policy/policy_loader.h"

namespace relayguard::agent {

// Everything the commands need, wired once.
struct Agent {
  AgentFlags flags;
  RealFileSystem fs;
  RealProcessRunner runner;
  RealRelayChecker checker;
  RealClock clock;
  FaultPoints* faults = nullptr;  // RunAgentCli's: no-op in relayguard-agent
  std::unique_ptr<MtaDriver> driver;
  std::unique_ptr<GitBackupStore> store;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<StateLock> lock;
  std::unique_ptr<ApplyTransaction> transaction;
};

// The configuration directory for `kind`: the one given, else its usual place.
std::string ConfigDir(const MtaFlags& f, const std::string& kind);

// The commands; each returns the agent's exit code (agent_cli.h).
int RunApply(Agent& a, const Policy& policy, std::ostream& out);
int RunRollback(Agent& a, const ProbeSettings& probe, std::ostream& out);
int RunStatus(Agent& a, const std::optional<Policy>& policy, std::ostream& out);
int RunCheck(Agent& a, std::optional<Policy> policy, std::ostream& out, std::ostream& err);
// No MTA driver, no state dir, no lock: works beside a running agent.
int RunProbe(const AgentFlags& f, const std::optional<Policy>& policy, std::ostream& out,
             std::ostream& err);
// No driver, no state: prints the configuration in effect; 2 when `run` could not use it.
int RunConfigCheck(const ParsedAgentFlags& parsed, std::ostream& out, std::ostream& err);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_CLI_AGENT_CONTEXT_H_
