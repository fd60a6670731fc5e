// MtaDriver for Postfix, one instance per config directory (`postfix -c DIR`), so a box can run
// several. Runs only postconf and postfix, by absolute path, never through a shell.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_DRIVER_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_DRIVER_H_

#include <optional>
#include <string>
#include <vector>

#include "agent/mta/mta_driver.h"
#include "agent/mta/postfix/postfix_settings.h"
#include "agent/os/file_system.h"
#include "agent/os/process_runner.h"

namespace relayguard::agent::postfix {

struct PostfixOptions {
  std::string config_dir = "/etc/postfix";
  std::string postconf_path = "/usr/sbin/postconf";
  std::string postfix_path = "/usr/sbin/postfix";
  std::optional<SmtpEndpoint> smtp_override;  // --smtp HOST:PORT: also probe there
};

class PostfixDriver : public MtaDriver {
 public:
  PostfixDriver(PostfixOptions options, FileSystem& fs, ProcessRunner& runner);

  std::string Kind() const override { return "postfix"; }
  absl::StatusOr<std::string> Version() override;
  std::vector<std::string> ManagedFiles() const override;
  absl::StatusOr<RenderedChange> Render(const Policy& policy, const FileContents& current) override;
  absl::Status ValidateStaged(const FileContents& contents, const std::string& stage_dir) override;
  absl::StatusOr<bool> IsRunning() override;
  absl::Status Reload(bool restart) override;
  absl::StatusOr<std::vector<Listener>> Listeners() override;
  int64_t WriteAgeSeconds(const std::string& path) const override;
  absl::StatusOr<std::vector<SettingDrift>> CheckDrift(const Policy& policy) override;

 private:
  std::string MainCfPath() const;
  std::string MasterCfPath() const;
  // Runs postconf with `args` against `config_dir`; FailedPrecondition on a non-zero exit.
  absl::StatusOr<std::string> Postconf(const std::string& config_dir,
                                       const std::vector<std::string>& args);
  // Effective (expanded, defaults included) values of `names` in `config_dir`.
  absl::StatusOr<std::map<std::string, std::string>> Effective(
      const std::string& config_dir, const std::vector<std::string>& names);
  absl::Status RunPostfix(const std::string& verb);
  absl::StatusOr<PostfixVersion> ParsedVersion();

  PostfixOptions options_;
  FileSystem& fs_;
  ProcessRunner& runner_;
  std::optional<std::string> version_;          // cached
  std::optional<std::string> queue_directory_;  // cached with the version
};

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_DRIVER_H_
