// relayguard-agent config check: the configuration in effect (the file under the command line)
// and whether `run` could start with it.
#include "agent/cli/agent_cli.h"
#include "agent/cli/agent_context.h"
#include "common/tls_pem.h"

namespace relayguard::agent {

int RunConfigCheck(const ParsedAgentFlags& parsed, std::ostream& out, std::ostream& err) {
  AgentFlags flags = parsed.flags;
  out << "# relayguard-agent: the effective configuration ("
      << (parsed.config_file.empty() ? "no configuration file: built-in defaults"
                                     : "file " + parsed.config_file)
      << ", then the command line); after each value, where it came from\n"
      << AgentConfigSchema(flags).Print(parsed.origins);
  if (std::string missing = MissingAgentRunSettings(flags); !missing.empty()) {
    err << "relayguard-agent config check: run " << missing << "\n";
    return kExitRefused;
  }
  if (!flags.run.insecure) {
    absl::StatusOr<TlsPem> pem = ReadTlsFiles(
        {flags.run.ca_file, flags.run.cert_file, flags.run.key_file}, "agent");
    if (!pem.ok()) {
      err << "relayguard-agent config check: " << pem.status().message() << "\n";
      return kExitRefused;
    }
  }
  return kExitOk;
}

}  // namespace relayguard::agent
