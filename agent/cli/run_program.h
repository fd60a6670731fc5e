// relayguard-agent-run, the program that carries out `relayguard-agent run` (agent_cli.h,
// RunCommand): where it is, and handing `run` over to it.
#ifndef RELAYGUARD_AGENT_CLI_RUN_PROGRAM_H_
#define RELAYGUARD_AGENT_CLI_RUN_PROGRAM_H_

#include <ostream>
#include <string>
#include <vector>

namespace relayguard::agent {

// Where relayguard-agent-run is: at the installed layout's place relative to this program
// (/usr/sbin/relayguard-agent -> /usr/libexec/relayguard/relayguard-agent-run; the build tree
// keeps the same layout), else, when /proc/self/exe cannot be read, the installed path.
std::string RunProgramPath();

// Replaces this process with `program` and `args` (the arguments without the program name):
// the same process id, so systemd's main PID stays the agent. Returns only when that failed:
// kExitRefused, with what failed on `err`.
int ExecRunProgram(const std::string& program, const std::vector<std::string>& args,
                   std::ostream& out, std::ostream& err);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_CLI_RUN_PROGRAM_H_
