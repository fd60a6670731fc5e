// relayguard-agent-pausing: the relayguard-agent main with PausingFaultPoints, for the tests that
// kill an agent mid-apply. Built under tests/, never installed.
//   relayguard-agent-pausing --pause-at POINT [relayguard-agent arguments]
// POINT is a FaultPoints name (agent/apply/fault_points.h: "after-backup", "after-write:2",
// "restore:after-reload", ...), or several separated by commas.
#include <iostream>
#include <string>
#include <vector>

#include "agent/cli/agent_cli.h"
#include "agent/cli/commands/run.h"
#include "tests/support/pausing_fault_points.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 2 || args[0] != "--pause-at") {
    std::cerr << "usage: relayguard-agent-pausing --pause-at POINT [relayguard-agent arguments]\n";
    return relayguard::agent::kExitUsage;
  }
  relayguard::testing::PausingFaultPoints faults(args[1]);
  args.erase(args.begin(), args.begin() + 2);
  // `run` in the process too: the tests pause pushed applies.
  relayguard::agent::RunCommand run;
  run.in_process = relayguard::agent::RunSession;
  return relayguard::agent::RunAgentCli(args, std::cout, std::cerr, faults, run);
}
