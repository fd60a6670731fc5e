// relayguard-agent's command line: parses flags, wires the real parts together and runs one
// command. Exit codes are documented in README.md (kExit* below).
#ifndef RELAYGUARD_AGENT_CLI_AGENT_CLI_H_
#define RELAYGUARD_AGENT_CLI_AGENT_CLI_H_

#include <ostream>
#include <string>
#include <vector>

#include "agent/apply/fault_points.h"

namespace relayguard::agent {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;          // bad command line
constexpr int kExitRefused = 2;        // invalid input or a check failed; nothing was changed
constexpr int kExitRolledBack = 3;     // the change failed and every file was restored
constexpr int kExitNotCompliant = 4;   // the relay is open or the settings drift from the policy
constexpr int kExitRestoreFailed = 5;  // restoring failed too: the host needs a person

// Runs `args` (without the program name). Reports go to `out`, diagnostics to `err`. `faults`
// is reached by every transaction (NoFaultPoints in relayguard-agent).
int RunAgentCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                FaultPoints& faults);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_CLI_AGENT_CLI_H_
