// MtaDriver for Exim 4 with a monolithic configuration file (exim -C FILE). Runs only the exim
// binary, by absolute path, never through a shell; signals the daemon found by its pid file.
// Before activation a staged copy must pass `exim -C STAGED -bV` and two fake SMTP sessions
// (`exim -bh ADDRESS`): relaying refused from the policy's untrusted address, accepted from the
// trusted one.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_DRIVER_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_DRIVER_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "agent/mta/mta_driver.h"
#include "agent/os/file_system.h"
#include "agent/os/process_runner.h"
#include "common/clock.h"

namespace relayguard::agent::exim {

struct EximOptions {
  std::string config_file = "/etc/exim4/exim4.conf";
  std::string exim_path = "/usr/sbin/exim4";
  std::optional<SmtpEndpoint> smtp_override;  // --smtp HOST:PORT
};

// The reply code Exim gave to the RCPT command of a `-bh` session (EHLO, MAIL, RCPT, QUIT);
// nullopt when the output has no RCPT reply (the session was dropped earlier).
std::optional<int> RcptReplyCode(absl::string_view bh_output);

// The value of main-section option `name` in `text` ("daemon_smtp_ports = 2526" -> "2526"),
// nullopt when unset. Only the main section (before the first `begin`) is read.
std::optional<std::string> MainOption(absl::string_view text, absl::string_view name);

class EximDriver : public MtaDriver {
 public:
  EximDriver(EximOptions options, FileSystem& fs, ProcessRunner& runner, Clock& clock);

  std::string Kind() const override { return "exim"; }
  absl::StatusOr<std::string> Version() override;
  std::vector<std::string> ManagedFiles() const override { return {options_.config_file}; }
  absl::StatusOr<RenderedChange> Render(const Policy& policy, const FileContents& current) override;
  // Uses the probe addresses of the policy last given to Render.
  absl::Status ValidateStaged(const FileContents& contents, const std::string& stage_dir) override;
  absl::StatusOr<bool> IsRunning() override;
  absl::Status Reload(bool restart) override;
  absl::StatusOr<SmtpEndpoint> Endpoint() override;
  absl::StatusOr<std::vector<SettingDrift>> CheckDrift(const Policy& policy) override;

 private:
  // Runs exim with `args` (and -C CONFIG); the result whatever the exit code.
  absl::StatusOr<ProcessResult> Exim(const std::string& config, std::vector<std::string> args,
                                     const std::string& stdin_text = "");
  // A fake SMTP session from `client` against `config`: the RCPT reply code.
  absl::StatusOr<int> FakeSession(const std::string& config, const IpAddress& client,
                                  const ProbeSettings& probe);
  absl::StatusOr<std::string> PidFile();
  absl::Status StartDaemon();

  EximOptions options_;
  FileSystem& fs_;
  ProcessRunner& runner_;
  Clock& clock_;
  std::optional<std::string> version_;
  std::optional<Policy> rendered_for_;  // the policy of the last Render
};

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_DRIVER_H_
