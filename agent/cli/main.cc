#include <iostream>

#include "agent/apply/fault_points.h"
#include "agent/cli/agent_cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // A production agent has no fault points: nothing in its environment can pause it.
  relayguard::agent::NoFaultPoints faults;
  return relayguard::agent::RunAgentCli(args, std::cout, std::cerr, faults);
}
