// MtaDriver for Sendmail 8: sendmail.mc (m4 source), sendmail.cf (built from it with m4) and the
// access map source in one config directory (/etc/mail). Runs m4, makemap and sendmail by
// absolute path, never through a shell. Before activation the staged sendmail.cf must parse
// (`sendmail -C STAGED.cf -bt`) and its check_rcpt ruleset, with the staged access map, must
// refuse relaying from the policy's untrusted address and allow it from the trusted one, for
// every daemon that does not require authentication (with that daemon's ${daemon_name} and
// ${daemon_flags}). A daemon with M=a refuses MAIL before any ruleset runs (530 5.7.0
// Authentication required): -bt cannot show that, the probe of the running daemon does.
// Activation rebuilds access.db with makemap and restarts the daemon.
//
// Listeners (sendmail_listeners.h) come from the O DaemonPortOptions lines of the live
// sendmail.cf. Relay grants: the open-relay FEATUREs of sendmail.mc (removed), the access map
// (access_grants.h: what lets strangers relay goes, the admin's narrow grants stay and are
// reported as kept) and class {R} (relay_class.h: not edited; a member that lets strangers
// relay refuses the policy). They open every listener that does not require authentication;
// drift is reported per such listener.
//
// SMTP AUTH (the policy's auth section; sendmail_auth.cc): Cyrus SASL only (backend saslauthd or
// sasldb; dovecot and password-file are refused). sendmail.mc gets confAUTH_MECHANISMS,
// TRUST_AUTH_MECH, confAUTH_OPTIONS `p' for tls_only and M=A on daemons that offer no AUTH
// (sendmail_mc_auth.h); libsasl's Sendmail.conf (SendmailOptions::sasl_conf_path) gets the
// backend's keys (sasl_conf.h). Sendmail reads Sendmail.conf when the daemon starts; the SIGHUP
// of Reload re-executes it, so a Sendmail.conf change takes effect on a plain reload.
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_DRIVER_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_DRIVER_H_

#include <map>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/strings/string_view.h"
#include "agent/mta/mta_driver.h"
#include "agent/mta/sendmail/access_grants.h"
#include "agent/mta/sendmail/sendmail_listeners.h"
#include "agent/mta/sendmail/sendmail_mc_auth.h"
#include "agent/os/file_system.h"
#include "agent/os/process_runner.h"
#include "common/clock.h"

namespace relayguard::agent::sendmail {

struct SendmailOptions {
  std::string config_dir = "/etc/mail";  // sendmail.mc, sendmail.cf, access
  std::string sendmail_path = "/usr/sbin/sendmail";
  std::string makemap_path = "/usr/sbin/makemap";
  std::string m4_path = "/usr/bin/m4";
  std::string cf_dir = "/usr/share/sendmail/cf";  // sendmail-cf's m4 macros (_CF_DIR_)
  std::string services_path = "/etc/services";    // service names of Port=
  std::optional<SmtpEndpoint> smtp_override;  // --smtp HOST:PORT
  // Cyrus SASL's configuration for the app "Sendmail" (sasl_conf.h). libsasl looks for it in
  // /etc/sasl2, /etc/sasl, /usr/lib/x86_64-linux-gnu/sasl2 and /usr/lib/sasl2; relayguard manages
  // the one named here (a managed file while it exists, created when the policy's auth section
  // needs it).
  std::string sasl_conf_path = "/etc/sasl2/Sendmail.conf";
};

// What `sendmail -bt` said check_rcpt does with a recipient: true when it refused
// ("$# error ... 5.7.1 ... Relaying denied"), false when it let it through; nullopt when the
// output has no check_rcpt result.
std::optional<bool> CheckRcptRefused(absl::string_view bt_output);

// "O Name=value" options of a sendmail.cf ("PidFile" -> "/run/sendmail/mta/sendmail.pid").
std::optional<std::string> CfOption(absl::string_view cf, absl::string_view name);

class SendmailDriver : public MtaDriver {
 public:
  SendmailDriver(SendmailOptions options, FileSystem& fs, ProcessRunner& runner, Clock& clock);

  std::string Kind() const override { return "sendmail"; }
  absl::StatusOr<std::string> Version() override;
  std::vector<std::string> ManagedFiles() const override;
  absl::StatusOr<RenderedChange> Render(const Policy& policy, const FileContents& current) override;
  // Uses the probe addresses of the policy last given to Render.
  absl::Status ValidateStaged(const FileContents& contents, const std::string& stage_dir) override;
  absl::StatusOr<bool> IsRunning() override;
  // Rebuilds access.db from the live access file, then restarts the daemon (SIGHUP makes it
  // re-execute itself; `restart` stops it and starts it again with its recorded command line).
  absl::Status Reload(bool restart) override;
  absl::StatusOr<std::vector<Listener>> Listeners() override;
  absl::StatusOr<std::vector<SettingDrift>> CheckDrift(const Policy& policy) override;
  // This sendmail lists SASLv2 among its compile options (and STARTTLS for auth.tls_only), the
  // backend is one Cyrus SASL serves (saslauthd, sasldb) and root (Sendmail's receiving
  // processes run as root) reaches it (CheckSaslBackend). Sendmail cannot test a staged AUTH
  // offline: the verification after the reload proves the credential through the daemon.
  absl::StatusOr<BackendAnswer> PreflightAuth(const Policy& policy,
                                              const SmokeCredential& credential,
                                              const FileContents& staged,
                                              const std::string& stage_dir) override;
  // Sendmail.conf while it does not exist yet.
  std::vector<std::string> CreatableFiles() const override;

 private:
  std::string McPath() const { return options_.config_dir + "/sendmail.mc"; }
  std::string CfPath() const { return options_.config_dir + "/sendmail.cf"; }
  std::string AccessPath() const { return options_.config_dir + "/access"; }
  const std::string& SaslConfPath() const { return options_.sasl_conf_path; }
  bool SaslConfExists() const;
  static Command MakeCommand(std::vector<std::string> argv, const std::string& stdin_text,
                             std::chrono::seconds timeout = std::chrono::seconds(30));
  // Runs `argv`; the result whatever the exit code.
  absl::StatusOr<ProcessResult> Run(std::vector<std::string> argv, const std::string& stdin_text);
  // Runs `argv`; any exit but 0 is an error (RunChecked; `failed` as there).
  absl::StatusOr<ProcessResult> RunChecked(std::vector<std::string> argv,
                                           const std::string& stdin_text,
                                           absl::string_view failed = "");
  absl::StatusOr<std::string> BuildCf(const std::string& mc);
  absl::Status MakeMap(const std::string& cf, const std::string& access);
  // check_rcpt against `cf` for a client at `client`: whether it refused.
  // With `daemon`, as for a connection to that daemon (${daemon_name}, ${daemon_flags}).
  absl::StatusOr<bool> RelayRefused(const std::string& cf, const IpAddress& client,
                                    const ProbeSettings& probe,
                                    const DaemonPortOptions* daemon = nullptr);
  absl::StatusOr<std::string> PidFile();

  // sendmail_inspection.cc: what the configuration does, for Listeners, CheckDrift and Render.
  // Runs `sendmail -d0.1 -bt` once: version and compile options (SASLv2, STARTTLS).
  absl::Status ReadBuildInfo();
  SendmailLookups Lookups();
  absl::StatusOr<std::vector<SendmailListener>> DaemonListeners(const std::string& cf,
                                                                const std::string& mc);
  struct RelayClassReport {
    std::vector<SettingDrift> wide;      // members that let strangers relay (where = FILE:LINE)
    std::vector<SettingDrift> unproven;  // class files relayguard cannot read
    std::vector<std::string> kept;       // "FILE:LINE: MEMBER lets ... relay"
    std::vector<std::string> warnings;
  };
  RelayClassReport InspectRelayClass(const std::string& cf, const AccessPolicy& want);

  // sendmail_auth.cc: the policy's auth section.
  // What sendmail.mc must say for `auth`: mechanisms, tls_only, and which DAEMON_OPTIONS lines
  // offer AUTH (from the daemons of `cf`, the live one, matched to their .mc lines).
  absl::StatusOr<McAuthWant> AuthWantFor(const Policy& policy, const std::string& mc,
                                                const std::string& cf);
  // Render's auth part: edits `mc` (in place) and puts Sendmail.conf into `change`.
  absl::Status RenderAuth(const Policy& policy, const FileContents& current, std::string& mc,
                          RenderedChange& change);
  // With auth.tls_only: InvalidArgument unless `cf` (the one the daemon will run) configures
  // Sendmail's STARTTLS server.
  absl::Status CheckStarttls(const Policy& policy, const std::string& cf);
  // CheckDrift's auth part, from the live sendmail.cf and Sendmail.conf.
  std::vector<SettingDrift> AuthDrift(const Policy& policy, const std::string& cf,
                                      const std::string& mc);

  SendmailOptions options_;
  FileSystem& fs_;
  ProcessRunner& runner_;
  Clock& clock_;
  std::optional<std::string> version_;
  std::optional<std::string> compile_options_;  // "Compiled with:" of sendmail -d0.1
  std::optional<Policy> rendered_for_;  // the policy of the last Render
};

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_DRIVER_H_
