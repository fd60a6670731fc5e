// What the agent reports when its log monitor sees a relay: a compliance report of status
// relay-open whose evidence is the log (RelaySeen), queued with the scheduled checks' reports so
// that it reaches the controller the same way, connected or not.
#ifndef RELAYGUARD_AGENT_MONITOR_RELAY_ALARM_H_
#define RELAYGUARD_AGENT_MONITOR_RELAY_ALARM_H_

#include <cstdint>
#include <optional>
#include <string>

#include "agent/monitor/log_entry.h"
#include "agent/policy/policy.h"
#include "relayguard/v1/agent_stream.pb.h"

namespace relayguard::agent {

// "relayed a message from untrusted 203.0.113.9 (mail.example.com, not authenticated) from
// <a@example.org> to <v@example.net> (queue id 4Q1x; seen in file /var/log/mail.log)".
std::string RelaySeenSummary(const MonitorEvent& event, const std::string& log_source);

// The relay-open report for `event`, against the policy this host applied (nullopt: none; the
// report then names no policy). `now`: seconds since the epoch.
relayguard::v1::ComplianceReport RelaySeenReport(const MonitorEvent& event,
                                                 const std::string& log_source,
                                                 const std::optional<Policy>& policy,
                                                 int64_t now);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_RELAY_ALARM_H_
