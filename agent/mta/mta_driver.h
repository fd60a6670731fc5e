// What the apply transaction needs from an MTA. One implementation per MTA kind
// (agent/mta/postfix/postfix_driver.h); the transaction knows nothing MTA-specific.
#ifndef RELAYGUARD_AGENT_MTA_MTA_DRIVER_H_
#define RELAYGUARD_AGENT_MTA_MTA_DRIVER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/policy/policy.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::agent {

// Contents of the managed files by absolute path.
using FileContents = std::map<std::string, std::string>;

struct RenderedChange {
  FileContents new_contents;                // every managed file, changed or not
  std::vector<std::string> changed_settings;  // e.g. "mynetworks", in file order
  bool needs_restart = false;  // a changed setting is only read at start (inet_interfaces)
  std::vector<std::string> warnings;  // things the operator should know, e.g. master.cf overrides
};

// One finding of a compliance check: a setting whose effective value differs from the policy.
struct SettingDrift {
  std::string setting;
  std::string effective;
  std::string desired;
};

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

  // Where the MTA accepts SMTP, from its configuration unless overridden by the operator.
  virtual absl::StatusOr<SmtpEndpoint> Endpoint() = 0;

  // Effective settings of the live configuration that differ from `policy` (empty: compliant).
  virtual absl::StatusOr<std::vector<SettingDrift>> CheckDrift(const Policy& policy) = 0;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MTA_MTA_DRIVER_H_
