// One compliance check of a host against the policy it should hold (issue 5): the MTA's
// effective settings per listener (MtaDriver::CheckDrift: postconf, master.cf overrides, Exim's
// ACL, Sendmail's access map), the relay probe on every listener other hosts can reach from the
// policy's untrusted source with every known trick, and the managed files changed since the
// agent's newest backup commit (unified diff and mtime). In enforce mode, and
// inside a maintenance window, drift is fixed through the same apply transaction as a push.
#ifndef RELAYGUARD_AGENT_COMPLIANCE_COMPLIANCE_CHECK_H_
#define RELAYGUARD_AGENT_COMPLIANCE_COMPLIANCE_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/apply/apply_transaction.h"
#include "agent/backup/git_backup_store.h"
#include "agent/mta/mta_driver.h"
#include "agent/os/file_system.h"
#include "agent/policy/policy.h"
#include "agent/probe/relay_checker.h"
#include "agent/probe/relay_tricks.h"
#include "common/compliance_states.h"

namespace relayguard::agent {

struct ChangedFile {
  std::string path;
  std::string diff;         // newest backup commit -> live file
  int64_t modified_at = 0;  // mtime of the live file; 0 when it is gone
};

// Whether enforcement may change this host for the checked policy version.
struct EnforceGate {
  bool suspended = false;  // an earlier enforcement of this version failed on this host
  std::string held;        // non-empty: the controller halted enforcement (its reason)
};

struct ComplianceResult {
  std::string policy;
  uint64_t version = 0;
  ComplianceMode mode = ComplianceMode::kAudit;
  // The host's state when the check ends (for inconclusive the reason is in `summary`). After a
  // successful enforcement it is compliant; `settings`, `listeners` and `changed_files` still
  // show what was found before.
  ComplianceStatus status = ComplianceStatus::kError;
  int64_t checked_at = 0;
  std::vector<SettingDrift> settings;
  // Every listener and the untrusted probe's verdict on it (every known trick); internal
  // listeners are listed, not probed.
  std::vector<ListenerResult> listeners;
  ProbeVerdict verdict = ProbeVerdict::kInconclusive;  // HostVerdict(listeners)
  IpAddress untrusted_source;                          // where the probes came from
  std::vector<std::string> warnings;  // e.g. a listeners.internal entry that matches nothing
  std::vector<ChangedFile> changed_files;
  Enforcement enforcement = Enforcement::kNone;
  std::optional<TransactionReport> enforce_report;
  std::string error;
  std::string summary;  // one line
  double auth_check_ms = 0;  // how long the SMTP AUTH part took (policy.auth; 0 without)
  int64_t next_window_at = 0;
  std::string trigger = "schedule";  // "schedule" | "relay-seen" (the log monitor asked for it)
};

class ComplianceChecker {
 public:
  ComplianceChecker(MtaDriver& driver, FileSystem& fs, GitBackupStore& store,
                    RelayChecker& checker, ApplyTransaction& transaction);

  // The server's own host name for the tricks that use it (percent hack, source routes, ...);
  // default: this machine's host name, or the endpoint's IP literal when it has none.
  void set_server_name(std::string name) { server_name_ = std::move(name); }

  // Checks the host against `policy` (which must have a compliance section) at wall time `now`,
  // and enforces when the mode, the windows and `gate` allow. Never throws; problems become
  // status error with the reason.
  ComplianceResult Check(const Policy& policy, int64_t now, const EnforceGate& gate);

 private:
  struct AuthHealth {
    std::vector<std::string> problems;
    bool accepts_bogus = false;  // relay-open
    bool broken = false;         // the backend or the smoke credential fails: error
    bool drifted = false;        // AUTH offered otherwise than the policy says
    bool inconclusive = false;
  };
  AuthHealth CheckAuthHealth(const Policy& policy, const std::vector<FileSnapshot>& live,
                             ComplianceResult& r);
  absl::StatusOr<std::vector<ChangedFile>> ChangedSinceLastCommit(
      const std::vector<FileSnapshot>& live);
  void Enforce(const Policy& policy, const std::vector<FileSnapshot>& live, int64_t now,
               const EnforceGate& gate, ComplianceResult& result);

  MtaDriver& driver_;
  FileSystem& fs_;
  GitBackupStore& store_;
  RelayChecker& checker_;
  ApplyTransaction& transaction_;
  std::string server_name_;
};

// The relay tricks' addresses for `probe`'s sender and foreign recipient against `endpoint`,
// whose host calls itself `server_name` ("" -> the endpoint's IP literal).
RelayTrickDomains TrickDomainsFor(const ProbeSettings& probe, const SmtpEndpoint& endpoint,
                                  const std::string& server_name);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_COMPLIANCE_COMPLIANCE_CHECK_H_
