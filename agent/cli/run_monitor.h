// The log monitor of `relayguard-agent run`, made from the run flags: which log (agent.yaml's
// monitor keys, else the MTA's own hints and Debian's usual places), the parser for the MTA, the
// tracker with the configured thresholds, and who is trusted (the policy this host applied).
#ifndef RELAYGUARD_AGENT_CLI_RUN_MONITOR_H_
#define RELAYGUARD_AGENT_CLI_RUN_MONITOR_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/cli/agent_flags.h"
#include "agent/compliance/compliance_queue.h"
#include "agent/monitor/relay_monitor.h"
#include "agent/mta/mta_driver.h"
#include "agent/os/file_system.h"
#include "agent/policy/policy.h"
#include "common/clock.h"

namespace relayguard::agent {

// The probe `settings` send: their untrusted sources and foreign recipient.
OwnProbe OwnProbeOf(const ProbeSettings& settings);

struct MonitorParts {
  MtaDriver& driver;
  FileSystem& fs;
  Clock& clock;
  std::string state_dir;
  ComplianceQueue& attempt_queue;
  // The policy this host applied (PushHandler::CachedPolicy); nullopt when none.
  std::function<std::optional<Policy>()> cached_policy;
  // The agent's own probes (the cached policy's are noted here too).
  OwnProbes& own_probes;
};

// The monitor, or nullptr when monitor is off or no log can be found (`why` says which, and
// what was chosen otherwise). `hooks.context` is filled in here.
std::unique_ptr<RelayMonitor> MakeRelayMonitor(const MonitorFlags& flags, MonitorParts parts,
                                               RelayMonitorHooks hooks, std::string& why);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_CLI_RUN_MONITOR_H_
