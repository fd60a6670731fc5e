// relayguard-agent-run: relayguard-agent with `run`, the streaming daemon, in the process.
// relayguard-agent execs it for `run` (same arguments); installed in libexec, not for people.
#include <iostream>

#include "agent/apply/fault_points.h"
#include "agent/cli/agent_cli.h"
#include "agent/cli/commands/run.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // A production agent has no fault points: nothing in its environment can pause it.
  relayguard::agent::NoFaultPoints faults;
  relayguard::agent::RunCommand run;
  run.in_process = relayguard::agent::RunSession;
  return relayguard::agent::RunAgentCli(args, std::cout, std::cerr, faults, run);
}
