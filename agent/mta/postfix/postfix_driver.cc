// PostfixDriver, the parts about the configuration: listeners, render, validation and drift.
#include "agent/mta/postfix/postfix_driver.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "agent/mta/postfix/main_cf.h"
#include "agent/mta/postfix/master_cf.h"
#include "agent/mta/postfix/relay_fix.h"
#include "agent/mta/postfix/smtp_auth.h"
#include "common/status_macros.h"

namespace relayguard::agent::postfix {
namespace {

// Parameters that Postfix reads only at start: changing one needs a restart, not a reload.
constexpr absl::string_view kRestartParameters[] = {"inet_interfaces", "inet_protocols"};

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

absl::StatusOr<PostfixConfig> PostfixDriver::ReadConfig(const std::string* main_text,
                                                        const std::string* master_text) {
  ASSIGN_OR_RETURN(std::string live_main, fs_.ReadFile(MainCfPath()));
  std::string live_master;
  if (master_text == nullptr) {
    ASSIGN_OR_RETURN(live_master, fs_.ReadFile(MasterCfPath()));
  }
  const std::string& main = main_text ? *main_text : live_main;
  const std::string& master = master_text ? *master_text : live_master;
  const bool differ = main != live_main;
  if (config_cache_ && config_cache_->main_text == main && config_cache_->master_text == master &&
      config_cache_->texts_differ == differ) {
    return config_cache_->config;
  }
  // Postfix expands what is in config_dir; when relayguard judges other text (a rendered
  // main.cf), its parameters go to postconf as -o so the expansion is that of the text. The
  // same run tells the version (Postconf::ReadConfig asks for mail_version).
  ASSIGN_OR_RETURN(PostfixConfig config,
                   postconf_.ReadConfig(options_.config_dir, MainCfPath(), MasterCfPath(), main,
                                        master, PostfixVersion{}, differ));
  if (!version_ && !differ) {
    version_ = config.global["mail_version"];
    queue_directory_ = config.global["queue_directory"];
  }
  ASSIGN_OR_RETURN(config.version, ParsedVersion());
  config_cache_ = CachedConfig{main, master, differ, config};
  return config;
}

absl::StatusOr<std::vector<PostfixListener>> PostfixDriver::MarkedListeners(
    const PostfixConfig& config, const ProbeSettings& probe, std::vector<std::string>* warnings) {
  ASSIGN_OR_RETURN(std::vector<PostfixListener> listeners, DeriveListeners(config, resolvers_));
  std::vector<Listener> plain;
  for (const PostfixListener& l : listeners) plain.push_back(l.listener);
  std::vector<std::string> w = MarkInternalListeners(probe, plain);
  if (warnings != nullptr) warnings->insert(warnings->end(), w.begin(), w.end());
  for (size_t i = 0; i < plain.size(); ++i) listeners[i].listener.internal = plain[i].internal;
  return listeners;
}

absl::StatusOr<std::vector<Listener>> PostfixDriver::Listeners() {
  ASSIGN_OR_RETURN(PostfixConfig config, ReadConfig(nullptr, nullptr));
  absl::StatusOr<std::vector<PostfixListener>> derived = DeriveListeners(config, resolvers_);
  std::vector<Listener> listeners;
  if (derived.ok()) {
    for (PostfixListener& l : *derived) listeners.push_back(std::move(l.listener));
  } else if (!absl::IsNotFound(derived.status())) {
    return derived.status();
  }
  AddExtraListener(options_.smtp_override, listeners);
  if (listeners.empty()) {
    return absl::NotFoundError(absl::StrCat("no inet smtpd or postscreen service in ",
                                            MasterCfPath(),
                                            ": give the SMTP endpoint with --smtp HOST:PORT"));
  }
  return listeners;
}

absl::StatusOr<RenderedChange> PostfixDriver::Render(const Policy& policy,
                                                     const FileContents& current) {
  auto main_it = current.find(MainCfPath());
  auto master_it = current.find(MasterCfPath());
  if (main_it == current.end() || master_it == current.end()) {
    return absl::InvalidArgumentError("Render needs the contents of main.cf and master.cf");
  }
  ASSIGN_OR_RETURN(PostfixConfig config, ReadConfig(&main_it->second, &master_it->second));
  RenderedChange change;
  ASSIGN_OR_RETURN(std::vector<PostfixListener> listeners,
                   MarkedListeners(config, policy.probe, &change.warnings));
  // Before any edit: the listeners name services by the lines of the text as it is now.
  std::vector<AuthService> auth_services;
  if (policy.auth) {
    auth_services = AuthServices(config, listeners, *policy.auth, &change.warnings);
  }
  for (const DesiredSetting& setting : DesiredSettings(policy)) {
    std::optional<std::string> now = config.main_cf.Get(setting.name);
    if (now && SettingHolds(setting, *now)) continue;
    std::optional<int> line = config.main_cf.Line(setting.name);
    config.main_cf.Set(setting.name, setting.value);
    change.changed_settings.push_back(
        line ? absl::StrCat(Basename(MainCfPath()), ":", *line, " ", setting.name)
             : absl::StrCat(Basename(MainCfPath()), " ", setting.name, " (added)"));
    if (std::find(std::begin(kRestartParameters), std::end(kRestartParameters), setting.name) !=
        std::end(kRestartParameters)) {
      change.needs_restart = true;
    }
  }
  FixResult fix = FixListeners(config, listeners, policy, TableAccess{tables_});
  if (!fix.unfixable.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        absl::StrJoin(fix.unfixable, "; "),
        " — relayguard cannot prove the relay closed after its change; nothing was changed"));
  }
  change.changed_settings.insert(change.changed_settings.end(), fix.changed.begin(),
                                 fix.changed.end());
  if (policy.auth) {
    absl::StatusOr<AuthFix> auth = FixSmtpAuth(config, auth_services, *policy.auth);
    if (!auth.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(auth.status().message(), " — nothing was changed"));
    }
    change.changed_settings.insert(change.changed_settings.end(), auth->changed.begin(),
                                   auth->changed.end());
  }
  change.warnings.insert(change.warnings.end(), fix.warnings.begin(), fix.warnings.end());
  change.kept = fix.kept;
  change.new_contents = current;
  change.new_contents[MainCfPath()] = config.main_cf.Render();
  change.new_contents[MasterCfPath()] = config.master_cf.Render();
  return change;
}

absl::Status PostfixDriver::CheckStagedServices(const std::string& stage_dir,
                                                const std::string& master_text) {
  // `postconf -n -x` (ValidateStaged) already parsed master.cf, -o overrides included, and the
  // run below expands each service's overrides: a separate `postconf -P` would add nothing.
  ASSIGN_OR_RETURN(PostfixVersion version, ParsedVersion());
  MasterCf master = MasterCf::Parse(master_text);
  for (const MasterCf::Service* s : SmtpdServices(master)) {
    if (s->command.find("postscreen") != std::string::npos) continue;  // no relay rules of its own
    // Without overrides it runs on main.cf's values, which ValidateStaged has checked.
    if (s->overrides.empty()) continue;
    ASSIGN_OR_RETURN(
        ParameterValues values,
        postconf_.Expanded(
            stage_dir, {"smtpd_relay_restrictions", "smtpd_recipient_restrictions", "mynetworks"},
            ServiceOverrides(*s)));
    if (!version.HasRelayRestrictions()) values.erase("smtpd_relay_restrictions");
    if (absl::Status st = CheckRelaySafety(values); !st.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("service ", s->Id(), " (", MasterCfPath(),
                                                        ":", s->line, "): ", st.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status PostfixDriver::ValidateStaged(const FileContents& contents,
                                           const std::string& stage_dir) {
  RETURN_IF_ERROR(fs_.MakeDirs(stage_dir));
  for (const std::string& path : ManagedFiles()) {
    auto it = contents.find(path);
    if (it == contents.end()) {
      return absl::InvalidArgumentError(absl::StrCat("no staged contents for ", path));
    }
    std::string staged = stage_dir + path.substr(path.rfind('/'));
    RETURN_IF_ERROR(fs_.WriteScratchFile(staged, it->second));
    // A just-written main.cf makes postconf wait until it is a second old; the stage copy may
    // honestly look older.
    RETURN_IF_ERROR(fs_.Backdate(staged, std::chrono::seconds(10)));
  }
  // Messages name the live file, not the stage copy, so they make sense to the operator.
  auto relabel = [&](const absl::Status& s) {
    return absl::FailedPreconditionError(
        absl::StrCat("postfix config check failed for ", MainCfPath(), ": ",
                     absl::StrReplaceAll(s.message(), {{stage_dir, options_.config_dir}})));
  };
  // One run of `postconf -n -x` parses main.cf and master.cf (a bad line in either is fatal)
  // and prints every explicit setting expanded, for our own checks.
  auto effective = postconf_.Expanded(stage_dir, {"-n"});
  if (!effective.ok()) return relabel(effective.status());
  if (!effective->count("smtpd_relay_restrictions")) {
    // Not set: Postfix's default applies (it ends relaying with defer_unauth_destination).
    ASSIGN_OR_RETURN(PostfixVersion version, ParsedVersion());
    if (version.HasRelayRestrictions()) {
      (*effective)["smtpd_relay_restrictions"] =
          "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination";
    }
  }
  if (absl::Status s = CheckRelaySafety(*effective); !s.ok()) return relabel(s);
  // Each smtpd service with its -o overrides must pass too: smtpd checks its own settings.
  if (absl::Status s = CheckStagedServices(stage_dir, contents.at(MasterCfPath())); !s.ok()) {
    return relabel(s);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SettingDrift>> PostfixDriver::CheckDrift(const Policy& policy) {
  ASSIGN_OR_RETURN(PostfixConfig config, ReadConfig(nullptr, nullptr));
  ASSIGN_OR_RETURN(std::vector<PostfixListener> listeners,
                   MarkedListeners(config, policy.probe, nullptr));
  std::vector<SettingDrift> drift;
  const std::vector<DesiredSetting> desired = DesiredSettings(policy);
  std::vector<std::string> names;
  for (const DesiredSetting& d : desired) names.push_back(d.name);
  // ReadConfig expanded these (kRelayParameters, every main.cf key, the SASL and TLS levels).
  ParameterValues effective;
  for (const std::string& name : names) effective[name] = config.Expanded(0, name);
  for (const DesiredSetting& d : desired) {
    if (SettingHolds(d, effective[d.name])) continue;
    std::optional<int> line = config.main_cf.Line(d.name);
    drift.push_back(
        {d.name, effective[d.name], d.value, "", line ? config.MainWhere(*line) : MainCfPath()});
  }
  for (SettingDrift& d : ListenerFindings(config, listeners, policy, TableAccess{tables_})) {
    drift.push_back(std::move(d));
  }
  // What Render would still change, listener by listener (nothing once the policy holds).
  PostfixConfig copy = config;
  FixResult fix = FixListeners(copy, listeners, policy, TableAccess{tables_});
  for (SettingDrift& d : fix.drift) drift.push_back(std::move(d));
  for (const std::string& u : fix.unfixable) {
    drift.push_back({"relay rules", u, "", "", "", true});
  }
  if (policy.auth) {
    for (SettingDrift& d : SmtpAuthFindings(
             config, AuthServices(config, listeners, *policy.auth, nullptr), *policy.auth)) {
      drift.push_back(std::move(d));
    }
  }
  return drift;
}

}  // namespace relayguard::agent::postfix
