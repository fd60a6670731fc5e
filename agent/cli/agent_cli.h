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

struct Agent;  // agent/cli/agent_context.h

// How `run`, the streaming daemon, is carried out. Only `run` needs gRPC, TLS, the metrics and
// sd_notify, so it has a program of its own: relayguard-agent hands `run` to
// relayguard-agent-run (exec: same process, same arguments), and the one-shot commands never
// load any of it. relayguard-agent-run (and the tests' pausing agent) runs it in the process.
struct RunCommand {
  // `run` on the wired agent, in this process (RunSession, agent/cli/commands/run.h).
  int (*in_process)(Agent& a, std::ostream& err) = nullptr;
  // Else the program that replaces this one for `run` (RunProgramPath(), run_program.h); when
  // it is empty too, `run` is refused (a program built without it).
  std::string program;
};

// Runs `args` (without the program name). Reports go to `out`, diagnostics to `err`. `faults`
// is reached by every transaction (NoFaultPoints in relayguard-agent); `run` as `run_command`
// says.
int RunAgentCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                FaultPoints& faults, const RunCommand& run_command = {});

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_CLI_AGENT_CLI_H_
