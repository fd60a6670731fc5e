// relayguard-agent run, the streaming daemon: in its own program, relayguard-agent-run
// (library rg_agent_run), because it alone needs gRPC, TLS, the metrics and sd_notify.
#ifndef RELAYGUARD_AGENT_CLI_COMMANDS_RUN_H_
#define RELAYGUARD_AGENT_CLI_COMMANDS_RUN_H_

#include <ostream>

#include "agent/cli/agent_context.h"

namespace relayguard::agent {

// Streams to the controller until SIGTERM/SIGINT (SIGHUP: the configuration read again);
// returns the agent's exit code (agent_cli.h).
int RunSession(Agent& a, std::ostream& err);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_CLI_COMMANDS_RUN_H_
