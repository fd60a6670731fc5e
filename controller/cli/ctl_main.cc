// relayguardctl: the operator CLI. Tables for people, --json for scripts (the controller's reply
// as proto JSON). One file per command under commands/; the connection options are global.
#include <iostream>

#include "common/command_line.h"
#include "controller/cli/ctl_app.h"
#include "controller/cli/ctl_context.h"

int main(int argc, char** argv) {
  using namespace relayguard;
  using namespace relayguard::controller;
  CtlContext ctl;
  CtlRun run;
  CLI::App app;
  BuildCtlApp(app, ctl, run);
  if (std::optional<int> exit = ParseCommandLine(
          app, std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr)) {
    return *exit;
  }
  return run ? run() : kCtlExitUsage;
}
