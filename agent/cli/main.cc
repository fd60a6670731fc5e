// relayguard-agent: every command in this process but `run`, which relayguard-agent-run carries
// out (agent_cli.h, RunCommand), so that the one-shot commands never load gRPC, TLS and the
// metrics.
#include <iostream>

#include "agent/apply/fault_points.h"
#include "agent/cli/agent_cli.h"
#include "agent/cli/run_program.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // A production agent has no fault points: nothing in its environment can pause it.
  relayguard::agent::NoFaultPoints faults;
  relayguard::agent::RunCommand run;
  run.program = relayguard::agent::RunProgramPath();
  return relayguard::agent::RunAgentCli(args, std::cout, std::cerr, faults, run);
}
