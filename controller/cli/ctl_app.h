// relayguardctl's command line: every command and option, built without running anything, so
// that the binary parses with it and the man page and the bash completion are generated from it
// (tools/docgen).
#ifndef RELAYGUARD_CONTROLLER_CLI_CTL_APP_H_
#define RELAYGUARD_CONTROLLER_CLI_CTL_APP_H_

#include <CLI/CLI.hpp>

#include "controller/cli/ctl_context.h"

namespace relayguard::controller {

// Adds relayguardctl's global options and commands to `app`, bound to `ctl` (the connection
// options) and `run` (set to what the chosen command runs). Both must outlive `app`.
void BuildCtlApp(CLI::App& app, CtlContext& ctl, CtlRun& run);

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_CLI_CTL_APP_H_
