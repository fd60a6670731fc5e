// What the apply transaction needs from an MTA. One implementation per MTA kind
// (agent/mta/postfix/postfix_driver.h); the transaction knows nothing MTA-specific.
#ifndef RELAYGUARD_AGENT_MTA_MTA_DRIVER_H_
#define RELAYGUARD_AGENT_MTA_MTA_DRIVER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/auth/sasl_backend.h"
#include "agent/auth/smoke_credential.h"
#include "agent/mta/listener.h"
#include "agent/policy/policy.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::agent {

// Contents of the managed files by absolute path.
using FileContents = std::map<std::string, std::string>;

struct RenderedChange {
  FileContents new_contents;                // every managed file, changed or not
  std::vector<std::string> changed_settings;  // e.g. "mynetworks", in file order
  bool needs_restart = false;  // a changed setting is only read at start (inet_interfaces)
  std::vector<std::string> warnings;  // things the operator should know, each "PATH:LINE: ..."
  // The admin's own rules that let some clients relay and were kept because they grant no
  // stranger (a partner's table entry, a narrow host list), each "PATH:LINE: what it grants".
  std::vector<std::string> kept;
};

// One finding of a compliance check: a setting whose effective value differs from the policy,
// or an admin rule that lets strangers relay (a table entry, a master.cf override, an ACL).
struct SettingDrift {
  std::string setting;
  std::string effective;
  std::string desired;
  std::string listener;  // Listener::Name() of the listener it opens; "" for the whole host
  std::string where;     // "PATH:LINE" of what decides it (the override, the table entry)
  // relayguard cannot tell what this rule does (a table it cannot read, an override it cannot
  // parse): the host is not proven closed, its verdict is inconclusive.
  bool unproven = false;
};

// One line for reports: `listener L: SETTING is "effective", want "desired" (where)`.
std::string DriftText(const SettingDrift& drift);

class MtaDriver {
 public:
  virtual ~MtaDriver() = default;

  virtual std::string Kind() const = 0;  // "postfix"

  // MTA version, e.g. "3.7.11". Runs the MTA's own tools; no side effects.
  virtual absl::StatusOr<std::string> Version() = 0;

  // Absolute paths of the files this driver reads and may rewrite (all backed up).
  virtual std::vector<std::string> ManagedFiles() const = 0;

  // Computes the new contents of the managed files so that `policy` holds, editing only what the
  // policy needs. Pure: touches nothing. InvalidArgument when the files cannot be edited safely.
  virtual absl::StatusOr<RenderedChange> Render(const Policy& policy,
                                                const FileContents& current) = 0;

  // Checks `contents` (all managed files) in a staged copy under `stage_dir` with the MTA's own
  // checker plus relayguard's semantic checks. Touches no live file. FailedPrecondition with the
  // checker's message when the configuration would be refused.
  virtual absl::Status ValidateStaged(const FileContents& contents,
                                      const std::string& stage_dir) = 0;

  // Whether the MTA's daemon is running for this configuration.
  virtual absl::StatusOr<bool> IsRunning() = 0;

  // Makes the running MTA pick up the live configuration: a reload, or a full restart when
  // `restart`. Safe to retry. Errors carry the command and its output.
  virtual absl::Status Reload(bool restart) = 0;

  // Every SMTP listener of the live configuration, in declaration order (agent/mta/listener.h;
  // `internal` is never set here). Reads files and may run the MTA's tools; no side effects.
  // NotFound when the configuration declares none; InvalidArgument naming the file and line of
  // a declaration it cannot read (never a silently shorter list: a listener left out would go
  // unprobed).
  virtual absl::StatusOr<std::vector<Listener>> Listeners() = 0;

  // Effective settings of the live configuration that differ from `policy`, host-wide and per
  // listener (empty: compliant). Entries with `unproven` make the verdict inconclusive.
  virtual absl::StatusOr<std::vector<SettingDrift>> CheckDrift(const Policy& policy) = 0;

  // The policy's auth part (policy.auth set), checked before anything changes: this MTA build
  // can use the backend (Postfix `postconf -a`, Exim `-bV` authenticators, Sendmail's SASLv2),
  // its receiving process's user reaches it (CheckSaslBackend), and, where the MTA can test a
  // staged configuration, an AUTH session against `staged` succeeds (Exim -bh, its trace kept
  // only with the secret redacted). FailedPrecondition with the exact reason ("nothing was
  // changed" is the caller's); touches no live file.
  virtual absl::StatusOr<BackendAnswer> PreflightAuth(const Policy& policy,
                                                      const SmokeCredential& credential,
                                                      const FileContents& staged,
                                                      const std::string& stage_dir);

  // Managed files that may not exist yet (Sendmail's /etc/sasl2/Sendmail.conf), absent right
  // now: ManagedFiles() lists a file only while it exists. A transaction reads such a file as
  // absent (FileSnapshot::present false), creates it when Render gives it contents, and a
  // rollback removes it again. Empty by default.
  virtual std::vector<std::string> CreatableFiles() const { return {}; }

  // How many seconds before now the transaction dates a managed file it writes (0: now). See
  // FileInfo::write_age_s; Postfix's main.cf gets 2.
  virtual int64_t WriteAgeSeconds(const std::string& /*path*/) const { return 0; }

  // What the log monitor (agent/monitor/relay_monitor.h) learns from the configuration: the
  // file the MTA logs to itself (Postfix maillog_file, Exim log_file_path's main log; "" when it
  // logs to syslog or the configuration does not say) and the domains it is the destination or
  // a relay for (a delivery there is no relay; lookup tables are left out). Best effort: what
  // cannot be read is left empty.
  struct MonitorHints {
    std::string log_file;
    std::vector<std::string> local_domains;
  };
  virtual MonitorHints LogHints() { return {}; }
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MTA_MTA_DRIVER_H_
