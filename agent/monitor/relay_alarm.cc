#include "agent/monitor/relay_alarm.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/compliance_states_proto.h"

namespace relayguard::agent {

namespace pb = ::relayguard::v1;

std::string RelaySeenSummary(const MonitorEvent& e, const std::string& log_source) {
  std::string rcpts;
  for (const std::string& r : e.recipients) absl::StrAppend(&rcpts, rcpts.empty() ? "" : ", ", "<", r, ">");
  return absl::StrCat("relayed a message from untrusted ", e.client_address, " (",
                      e.client_name.empty() ? "unknown" : e.client_name,
                      ", not authenticated) from <", e.sender, "> to ",
                      rcpts.empty() ? "?" : rcpts, " (queue id ",
                      e.queue_id.empty() ? "?" : e.queue_id, "; seen in ", log_source, ")");
}

pb::ComplianceReport RelaySeenReport(const MonitorEvent& e, const std::string& log_source,
                                     const std::optional<Policy>& policy, int64_t now) {
  pb::ComplianceReport out;
  if (policy) {
    out.set_policy_name(policy->name);
    out.set_policy_version(policy->version);
    out.set_mode(ComplianceModeToProto(policy->compliance ? policy->compliance->mode
                                                          : ComplianceMode::kAudit));
  } else {
    out.set_mode(ComplianceModeToProto(ComplianceMode::kAudit));
  }
  out.set_status(ComplianceStatusToProto(ComplianceStatus::kRelayOpen));
  out.set_checked_at(now);
  out.set_enforcement(EnforcementToProto(Enforcement::kNone));
  out.set_trigger("relay-seen");
  out.set_summary(RelaySeenSummary(e, log_source));
  pb::RelaySeen* seen = out.mutable_relay_seen();
  seen->set_client_address(e.client_address);
  seen->set_client_name(e.client_name);
  seen->set_sender(e.sender);
  for (const std::string& r : e.recipients) seen->add_recipients(r);
  seen->set_queue_id(e.queue_id);
  seen->set_seen_at(e.time_s != 0 ? e.time_s : now);
  for (const std::string& line : e.lines) seen->add_lines(line);
  seen->set_log_source(log_source);
  return out;
}

}  // namespace relayguard::agent
