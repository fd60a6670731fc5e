// MtaDriver for Postfix, one instance per config directory (`postfix -c DIR`), so a box can run
// several. Runs only postconf, postfix and postmap, by absolute path, never through a shell.
// Listeners come from master.cf (postfix_listeners.h); every listener's relay rules are judged
// and fixed where they are written, main.cf or a master.cf override (relay_fix.h).
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_DRIVER_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_DRIVER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/mta/mta_driver.h"
#include "agent/mta/postfix/lookup_table.h"
#include "agent/mta/postfix/postconf.h"
#include "agent/mta/postfix/postfix_listeners.h"
#include "agent/mta/postfix/postfix_settings.h"
#include "agent/os/file_system.h"
#include "agent/os/process_runner.h"

namespace relayguard::agent::postfix {

struct PostfixOptions {
  std::string config_dir = "/etc/postfix";
  std::string postconf_path = "/usr/sbin/postconf";
  std::string postfix_path = "/usr/sbin/postfix";
  std::string postmap_path;                   // "": postmap beside postconf
  std::optional<SmtpEndpoint> smtp_override;  // --smtp HOST:PORT: also probe there
};

class PostfixDriver : public MtaDriver {
 public:
  // Reads lookup tables with a RealLookupTableReader.
  PostfixDriver(PostfixOptions options, FileSystem& fs, ProcessRunner& runner);
  // Reads lookup tables with `tables` (tests).
  PostfixDriver(PostfixOptions options, FileSystem& fs, ProcessRunner& runner,
                LookupTableReader& tables, NameResolvers resolvers = SystemResolvers());

  std::string Kind() const override { return "postfix"; }
  absl::StatusOr<std::string> Version() override;
  std::vector<std::string> ManagedFiles() const override;
  absl::StatusOr<RenderedChange> Render(const Policy& policy, const FileContents& current) override;
  absl::Status ValidateStaged(const FileContents& contents, const std::string& stage_dir) override;
  absl::StatusOr<bool> IsRunning() override;
  absl::Status Reload(bool restart) override;
  absl::StatusOr<std::vector<Listener>> Listeners() override;
  int64_t WriteAgeSeconds(const std::string& path) const override;
  // maillog_file, and mydestination, virtual_alias_domains, virtual_mailbox_domains and
  // relay_domains (expanded by postconf -x; table lookups left out).
  MonitorHints LogHints() override;
  absl::StatusOr<std::vector<SettingDrift>> CheckDrift(const Policy& policy) override;
  // `postconf -a` must list dovecot; then the socket the staged main.cf names (a relative
  // smtpd_sasl_path under queue_directory) must serve mail_owner (CheckSaslBackend). A missing,
  // unreadable or stale socket would make every smtpd exit, so this runs before any write.
  absl::StatusOr<BackendAnswer> PreflightAuth(const Policy& policy,
                                              const SmokeCredential& credential,
                                              const FileContents& staged,
                                              const std::string& stage_dir) override;

 private:
  std::string MainCfPath() const;
  std::string MasterCfPath() const;
  absl::Status RunPostfix(const std::string& verb);
  absl::StatusOr<PostfixVersion> ParsedVersion();
  // The configuration with `main_text`/`master_text` as its files (the live ones when null).
  absl::StatusOr<PostfixConfig> ReadConfig(const std::string* main_text,
                                           const std::string* master_text);
  // The listeners of `config`, the internal ones marked from `probe` (warnings appended).
  absl::StatusOr<std::vector<PostfixListener>> MarkedListeners(const PostfixConfig& config,
                                                               const ProbeSettings& probe,
                                                               std::vector<std::string>* warnings);
  // Per-service relay safety of a staged master.cf (smtpd refuses to start otherwise).
  absl::Status CheckStagedServices(const std::string& stage_dir, const std::string& master_text);

  PostfixOptions options_;
  FileSystem& fs_;
  ProcessRunner& runner_;
  Postconf postconf_;
  std::unique_ptr<LookupTableReader> own_tables_;
  LookupTableReader& tables_;
  NameResolvers resolvers_;
  std::optional<std::string> version_;          // cached
  std::optional<std::string> queue_directory_;  // cached with the version
  // The newest ReadConfig result and the texts it was read from: one apply reads the same
  // files in the preflight, the render and the drift check, and every postconf run costs
  // ~8 ms.
  struct CachedConfig {
    std::string main_text;
    std::string master_text;
    bool texts_differ = false;
    PostfixConfig config;
  };
  std::optional<CachedConfig> config_cache_;
};

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_POSTFIX_DRIVER_H_
