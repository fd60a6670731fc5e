// SendmailDriver: the policy's auth section (SMTP AUTH through Cyrus SASL). sendmail.mc gets
// the mechanisms, TRUST_AUTH_MECH, AuthOptions and M=A per daemon (sendmail_mc_auth.h), the
// Sendmail.conf of libsasl the backend (sasl_conf.h). See sendmail_driver.h.
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/sendmail/daemon_options.h"
#include "agent/mta/sendmail/sasl_conf.h"
#include "agent/mta/sendmail/sendmail_driver.h"
#include "common/status_macros.h"

namespace relayguard::agent::sendmail {
namespace {

std::vector<std::string> MechanismNames(const AuthSettings& auth) {
  std::vector<std::string> names;
  for (AuthMechanism m : auth.mechanisms) names.push_back(AuthMechanismName(m));
  return names;
}

std::set<std::string> UpperWords(absl::string_view list) {
  std::set<std::string> set;
  for (absl::string_view w : absl::StrSplit(list, absl::ByAnyChar(" \t,"), absl::SkipEmpty())) {
    set.insert(absl::AsciiStrToUpper(w));
  }
  return set;
}

// The members of class {TrustAuthMech} a sendmail.cf declares ("C{TrustAuthMech}PLAIN LOGIN").
std::set<std::string> TrustAuthMechs(absl::string_view cf) {
  std::set<std::string> members;
  for (absl::string_view line : absl::StrSplit(cf, '\n')) {
    line = absl::StripSuffix(line, "\r");
    if (!absl::ConsumePrefix(&line, "C{TrustAuthMech}")) continue;
    std::set<std::string> words = UpperWords(line);
    members.insert(words.begin(), words.end());
  }
  return members;
}

SettingDrift AuthDriftEntry(std::string setting, std::string effective, std::string desired,
                            std::string where, std::string listener = "") {
  SettingDrift d;
  d.setting = std::move(setting);
  d.effective = std::move(effective);
  d.desired = std::move(desired);
  d.where = std::move(where);
  d.listener = std::move(listener);
  return d;
}

}  // namespace

bool SendmailDriver::SaslConfExists() const {
  return !SaslConfPath().empty() && fs_.Stat(SaslConfPath()).ok();
}

std::vector<std::string> SendmailDriver::CreatableFiles() const {
  if (SaslConfPath().empty() || SaslConfExists()) return {};
  return {SaslConfPath()};
}

absl::StatusOr<McAuthWant> SendmailDriver::AuthWantFor(const Policy& policy,
                                                       const std::string& mc,
                                                       const std::string& cf) {
  const AuthSettings& auth = *policy.auth;
  McAuthWant want;
  want.mechanisms = MechanismNames(auth);
  want.tls_only = auth.tls_only;
  ASSIGN_OR_RETURN(std::vector<SendmailListener> daemons, DaemonListeners(cf, mc));
  // The .mc line of each cf daemon, by its cf line.
  const std::vector<DaemonPortOptions> cf_daemons = CfDaemonPortOptions(cf);
  const std::vector<size_t> mc_lines = MatchMcDaemonOptions(cf_daemons, McDaemonOptionsCalls(mc));
  std::map<size_t, size_t> mc_line_of;
  for (size_t i = 0; i < cf_daemons.size() && i < mc_lines.size(); ++i) {
    mc_line_of[cf_daemons[i].line] = mc_lines[i];
  }
  std::vector<Listener> listeners;
  for (const SendmailListener& d : daemons) listeners.push_back(d.listener);
  MarkInternalListeners(policy.probe, listeners);
  for (size_t i = 0; i < daemons.size(); ++i) {
    // An internal listener (a content filter's re-injection port) is left as it is.
    if (listeners[i].internal) continue;
    const DaemonPortOptions& d = daemons[i].daemon;
    const bool offers = OffersAuth(auth, listeners[i]);
    if (!offers && d.Has('a')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "listener ", listeners[i].Name(), " requires AUTH (M=a) but the policy's "
          "auth.listeners do not offer it there: no client could send through it; add it to "
          "auth.listeners or remove M=a — nothing was changed"));
    }
    const size_t mc_line = mc_line_of.count(d.line) ? mc_line_of[d.line] : 0;
    if (mc_line == 0) {
      if (d.Has('A') == offers) {
        return absl::InvalidArgumentError(absl::StrCat(
            CfPath(), ":", d.line, ": listener ", listeners[i].Name(),
            " has no DAEMON_OPTIONS line in ", McPath(), " (m4's default daemon or a hand-edited "
            "sendmail.cf), so relayguard cannot ", offers ? "remove" : "add",
            " M=A there; declare it with DAEMON_OPTIONS(`", d.value, "') — nothing was changed"));
      }
      continue;
    }
    want.daemon_offers_auth[mc_line] = offers;
  }
  return want;
}

absl::Status SendmailDriver::RenderAuth(const Policy& policy, const FileContents& current,
                                        std::string& mc, RenderedChange& change) {
  ASSIGN_OR_RETURN(SaslConfKeys keys, WantedSaslConfKeys(*policy.auth, policy.source));
  ASSIGN_OR_RETURN(McAuthWant want, AuthWantFor(policy, mc, current.at(CfPath())));
  ASSIGN_OR_RETURN(SendmailEdit mc_edit, EditSendmailMcAuth(mc, McPath(), want));
  auto conf_it = current.find(SaslConfPath());
  const bool exists = conf_it != current.end();
  ASSIGN_OR_RETURN(SendmailEdit conf, EditSaslConf(exists ? conf_it->second : "", exists, keys,
                                                   SaslConfPath()));
  mc = std::move(mc_edit.text);
  if (exists || !conf.changed.empty()) change.new_contents[SaslConfPath()] = conf.text;
  for (auto* list : {&mc_edit.changed, &conf.changed}) {
    change.changed_settings.insert(change.changed_settings.end(), list->begin(), list->end());
  }
  for (auto* list : {&mc_edit.warnings, &conf.warnings}) {
    change.warnings.insert(change.warnings.end(), list->begin(), list->end());
  }
  return absl::OkStatus();
}

absl::Status SendmailDriver::CheckStarttls(const Policy& policy, const std::string& cf) {
  if (!policy.auth || !policy.auth->tls_only) return absl::OkStatus();
  std::vector<std::string> missing = MissingStarttlsOptions(cf);
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "auth.tls_only offers AUTH only after STARTTLS, but STARTTLS is not configured: the "
      "sendmail.cf built from ", McPath(), " sets no ", absl::StrJoin(missing, ", "),
      " (define confSERVER_CERT, confSERVER_KEY, confCACERT and confCACERT_PATH, e.g. through "
      "Debian's include(`/etc/mail/tls/starttls.m4')) — configure STARTTLS or set tls_only: "
      "false; nothing was changed"));
}

std::vector<SettingDrift> SendmailDriver::AuthDrift(const Policy& policy, const std::string& cf,
                                                    const std::string& mc) {
  std::vector<SettingDrift> drift;
  const AuthSettings& auth = *policy.auth;
  absl::StatusOr<SaslConfKeys> keys = WantedSaslConfKeys(auth, policy.source);
  if (!keys.ok()) {
    SettingDrift d = AuthDriftEntry("auth.backend", SaslBackendName(auth.backend),
                                    "saslauthd or sasldb", policy.source);
    d.unproven = true;
    drift.push_back(std::move(d));
    return drift;
  }
  // Sendmail.conf: what libsasl reads.
  absl::StatusOr<std::string> conf = fs_.ReadFile(SaslConfPath());
  for (const auto& [key, value] : *keys) {
    std::optional<SaslConfEntry> have;
    if (conf.ok()) have = SaslConfValue(*conf, key);
    if (have && SaslConfValueMatches(key, have->value, value)) continue;
    drift.push_back(AuthDriftEntry(
        absl::StrCat("Sendmail.conf ", key), have ? have->value : "absent", value,
        have ? absl::StrCat(SaslConfPath(), ":", have->line) : SaslConfPath()));
  }
  // sendmail.cf: what the daemon runs.
  const std::string mechanisms = absl::StrJoin(MechanismNames(auth), " ");
  std::optional<std::string> offered = CfOption(cf, "AuthMechanisms");
  if (!offered || UpperWords(*offered) != UpperWords(mechanisms)) {
    drift.push_back(AuthDriftEntry("AuthMechanisms", offered.value_or("absent"), mechanisms,
                                   CfPath()));
  }
  const std::set<std::string> trusted = TrustAuthMechs(cf);
  std::vector<std::string> missing;
  for (const std::string& m : MechanismNames(auth)) {
    if (!trusted.count(m)) missing.push_back(m);
  }
  if (!missing.empty()) {
    drift.push_back(AuthDriftEntry(
        "TrustAuthMech", trusted.empty() ? "absent" : absl::StrJoin(trusted, " "),
        absl::StrCat("with ", absl::StrJoin(missing, " ")), CfPath()));
  }
  const std::string options = CfOption(cf, "AuthOptions").value_or("");
  const bool passive_refused = absl::StrContains(AuthOptionLetters(options), "p");
  if (passive_refused != auth.tls_only) {
    drift.push_back(AuthDriftEntry(
        "AuthOptions", options.empty() ? "absent" : options,
        auth.tls_only ? "with p (AUTH PLAIN/LOGIN only after STARTTLS: auth.tls_only)"
                      : "without p (auth.tls_only is false)",
        CfPath()));
  }
  // M=A per listener.
  absl::StatusOr<std::vector<SendmailListener>> daemons = DaemonListeners(cf, mc);
  if (!daemons.ok()) return drift;  // CheckDrift's relay part reports unreadable daemons
  std::vector<Listener> listeners;
  for (const SendmailListener& d : *daemons) listeners.push_back(d.listener);
  MarkInternalListeners(policy.probe, listeners);
  for (size_t i = 0; i < listeners.size(); ++i) {
    if (listeners[i].internal) continue;
    const DaemonPortOptions& d = (*daemons)[i].daemon;
    const bool offers = OffersAuth(auth, listeners[i]);
    if (d.Has('A') != offers) continue;
    drift.push_back(AuthDriftEntry("M=A", offers ? "present (AUTH not offered)" : "absent",
                                   offers ? "absent (auth.listeners offer AUTH here)"
                                          : "present (auth.listeners do not offer AUTH here)",
                                   absl::StrCat(CfPath(), ":", d.line), listeners[i].Name()));
  }
  return drift;
}

absl::StatusOr<BackendAnswer> SendmailDriver::PreflightAuth(const Policy& policy,
                                                            const SmokeCredential& credential,
                                                            const FileContents& /*staged*/,
                                                            const std::string& /*stage_dir*/) {
  if (!policy.auth) {
    return absl::InvalidArgumentError("PreflightAuth needs a policy with an auth section");
  }
  RETURN_IF_ERROR(WantedSaslConfKeys(*policy.auth, policy.source).status());
  RETURN_IF_ERROR(ReadBuildInfo());
  auto built_with = [&](absl::string_view option) {
    return absl::StrContains(*compile_options_, absl::StrCat(" ", option, " "));
  };
  if (!built_with("SASLv2")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this sendmail is built without SASL: ", options_.sendmail_path, " (", *version_,
        ") lists no SASLv2 among its compile options (sendmail -d0.1), so it cannot offer SMTP "
        "AUTH; install a build with SASL (Debian's sendmail-bin has it)"));
  }
  if (policy.auth->tls_only && !built_with("STARTTLS")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this sendmail is built without STARTTLS: ", options_.sendmail_path, " (", *version_,
        ") cannot offer AUTH only after STARTTLS (auth.tls_only)"));
  }
  // Sendmail's SMTP server processes run as root when they call libsasl.
  return CheckSaslBackend(*policy.auth, credential, MtaUser{"root"}, policy.probe.timeout);
}

}  // namespace relayguard::agent::sendmail
