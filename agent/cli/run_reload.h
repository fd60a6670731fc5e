// SIGHUP for `relayguard-agent run`: reads the configuration again as at start (the same file,
// the same strict rules, the command line over it) and decides what the running agent does
// with it. Pure: no signals, no threads (commands/run.cc carries the plan out).
#ifndef RELAYGUARD_AGENT_CLI_RUN_RELOAD_H_
#define RELAYGUARD_AGENT_CLI_RUN_RELOAD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/cli/agent_flags.h"

namespace relayguard::agent {

// What a reload changes. `flags` is what runs from now on: the new values, except those only a
// restart can change (they keep the running values).
struct ReloadPlan {
  AgentFlags flags;
  std::string config_file;           // the file read; "" when the built-in defaults stand
  std::string tls;                   // TlsFingerprint of the new flags
  std::vector<std::string> live;     // keys applied in place: log_level, metrics_file
  std::vector<std::string> stream;   // keys the stream uses: a reconnect applies them
  bool tls_changed = false;          // the certificate files' contents (rotation)
  std::vector<std::string> restart;  // keys that differ but only a restart applies (mta, ...)
  bool reconnect() const { return !stream.empty() || tls_changed; }
};

// The contents of run's CA, certificate and key files as one opaque value, to see whether they
// changed ("" with insecure). Never to be logged: it holds the key. An error names the file.
absl::StatusOr<std::string> TlsFingerprint(const RunFlags& run);

// Compares the running flags with the reloaded ones. `tls_changed`: TlsFingerprint differs.
ReloadPlan PlanReload(const AgentFlags& running, const AgentFlags& loaded, bool tls_changed);

// Reads the configuration again as the agent read it at start (running.source) and plans the
// reload. An error is the file's FILE:LINE:COL message, or what `run` would lack, or an
// unreadable certificate file: then nothing changes.
absl::StatusOr<ReloadPlan> ReloadAgentFlags(const AgentFlags& running,
                                            const std::string& running_tls);

// One line for the log: "log_level, labels; reconnecting ..." etc.
std::string DescribeReload(const ReloadPlan& plan);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_CLI_RUN_RELOAD_H_
