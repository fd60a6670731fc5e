// Human and JSON renderings of what the agent did or found. Pure: strings in, strings out.
#ifndef RELAYGUARD_AGENT_CLI_REPORT_OUTPUT_H_
#define RELAYGUARD_AGENT_CLI_REPORT_OUTPUT_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/apply/transaction_report.h"
#include "agent/compliance/compliance_check.h"
#include "agent/backup/git_backup_store.h"
#include "agent/mta/mta_driver.h"

namespace relayguard::agent {

// JSON objects keep their keys in the order written, as people read them.
using Json = nlohmann::ordered_json;

// What `status` found.
struct StatusReport {
  std::string mta;
  std::string mta_version;
  std::string config_dir;
  bool running = false;
  std::vector<ListenerResult> listeners;  // untrusted and trusted probe on each
  std::vector<std::string> warnings;
  std::string policy;  // empty when no --policy was given
  uint64_t version = 0;
  std::vector<SettingDrift> drift;
  std::string error;   // why the check could not complete
  std::optional<CommitInfo> last_commit;
  bool compliant = false;
};

std::string HumanTransaction(const TransactionReport& report);
std::string JsonTransaction(const TransactionReport& report);
std::string HumanProbe(const std::string& title, const ProbeReport& report);
Json ProbeJson(const ProbeReport& report);
// SMTP AUTH as the probe saw it (never the secret: the probe records AUTH payloads redacted).
std::string HumanAuth(const AuthProbeReport& report);
Json AuthJson(const AuthProbeReport& report);
// One line per listener: "127.0.0.1:2525 (smtp, PATH:LINE): refused; trusted relays".
std::string HumanListeners(const std::vector<ListenerResult>& listeners, const std::string& indent);
Json ListenersJson(const std::vector<ListenerResult>& listeners);
Json DriftJson(const SettingDrift& drift);
// `json` on one line, with the trailing "\n".
std::string JsonText(const Json& json);
std::string HumanStatus(const StatusReport& status);
std::string JsonStatus(const StatusReport& status);
std::string HumanCompliance(const ComplianceResult& result);
std::string JsonCompliance(const ComplianceResult& result);
std::string HumanHistory(const std::vector<CommitInfo>& commits);
std::string JsonHistory(const std::vector<CommitInfo>& commits);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_CLI_REPORT_OUTPUT_H_
