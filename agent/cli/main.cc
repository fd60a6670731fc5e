#include <iostream>

#include "agent/cli/agent_cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return relayguard::agent::RunAgentCli(args, std::cout, std::cerr);
}
