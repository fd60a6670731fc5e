#include "agent/mta/postfix/postfix_driver.h"

#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/postfix/main_cf.h"
#include "agent/mta/postfix/master_cf.h"
#include "common/status_macros.h"

namespace relayguard::agent::postfix {
namespace {

// Parameters that Postfix reads only at start: changing one needs a restart, not a reload.
constexpr absl::string_view kRestartParameters[] = {"inet_interfaces", "inet_protocols"};

// The first few lines of a tool's diagnostics, for error messages.
std::string Diagnostics(const ProcessResult& r) {
  std::string text = r.stderr_text.empty() ? r.stdout_text : r.stderr_text;
  if (absl::StripAsciiWhitespace(text).empty()) {
    return "no output (postfix logs the reason to its maillog or syslog)";
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  if (lines.size() > 5) lines.resize(5);
  return absl::StrJoin(lines, "; ");
}

absl::StatusOr<uint16_t> ServicePort(const std::string& service) {
  if (service == "smtp") return 25;
  if (service == "submission") return 587;
  if (service == "smtps" || service == "submissions") return 465;
  int port = 0;
  if (!absl::SimpleAtoi(service, &port) || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("master.cf smtpd service \"", service, "\" is not a port number"));
  }
  return static_cast<uint16_t>(port);
}

}  // namespace

PostfixDriver::PostfixDriver(PostfixOptions options, FileSystem& fs, ProcessRunner& runner)
    : options_(std::move(options)), fs_(fs), runner_(runner) {}

std::string PostfixDriver::MainCfPath() const { return options_.config_dir + "/main.cf"; }
std::string PostfixDriver::MasterCfPath() const { return options_.config_dir + "/master.cf"; }

std::vector<std::string> PostfixDriver::ManagedFiles() const {
  return {MainCfPath(), MasterCfPath()};
}

absl::StatusOr<std::string> PostfixDriver::Postconf(const std::string& config_dir,
                                                    const std::vector<std::string>& args) {
  Command cmd;
  cmd.argv = {options_.postconf_path, "-c", config_dir};
  cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
  cmd.timeout = std::chrono::seconds(30);
  ASSIGN_OR_RETURN(ProcessResult r, runner_.Run(cmd));
  if (r.exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(cmd.ToString(), " failed (", r.timed_out ? "timed out" : absl::StrCat(
                     "exit ", r.exit_code), "): ", Diagnostics(r)));
  }
  return r.stdout_text;
}

absl::StatusOr<std::map<std::string, std::string>> PostfixDriver::Effective(
    const std::string& config_dir, const std::vector<std::string>& names) {
  std::vector<std::string> args = {"-x"};
  args.insert(args.end(), names.begin(), names.end());
  ASSIGN_OR_RETURN(std::string out, Postconf(config_dir, args));
  std::map<std::string, std::string> values;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    values[std::string(absl::StripAsciiWhitespace(line.substr(0, eq)))] =
        std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
  }
  return values;
}

absl::StatusOr<std::string> PostfixDriver::Version() {
  if (!version_) {
    // One postconf run for everything the preflight needs (each run costs ~10 ms).
    ASSIGN_OR_RETURN(auto values, Effective(options_.config_dir,
                                            {"mail_version", "queue_directory"}));
    version_ = values["mail_version"];
    queue_directory_ = values["queue_directory"];
  }
  return *version_;
}

absl::StatusOr<PostfixVersion> PostfixDriver::ParsedVersion() {
  ASSIGN_OR_RETURN(std::string text, Version());
  return ParsePostfixVersion(text);
}

absl::StatusOr<RenderedChange> PostfixDriver::Render(const Policy& policy,
                                                     const FileContents& current) {
  auto main_it = current.find(MainCfPath());
  auto master_it = current.find(MasterCfPath());
  if (main_it == current.end() || master_it == current.end()) {
    return absl::InvalidArgumentError("Render needs the contents of main.cf and master.cf");
  }
  ASSIGN_OR_RETURN(PostfixVersion version, ParsedVersion());
  MainCf main_cf = MainCf::Parse(main_it->second);
  RenderedChange change;
  std::vector<DesiredSetting> desired = DesiredSettings(
      policy, version, main_cf.Get("smtpd_recipient_restrictions").value_or(""));
  for (const DesiredSetting& setting : desired) {
    std::optional<std::string> now = main_cf.Get(setting.name);
    if (now && SettingHolds(setting, *now)) continue;
    main_cf.Set(setting.name, setting.value);
    change.changed_settings.push_back(setting.name);
    if (std::find(std::begin(kRestartParameters), std::end(kRestartParameters), setting.name) !=
        std::end(kRestartParameters)) {
      change.needs_restart = true;
    }
  }
  change.new_contents = current;
  change.new_contents[MainCfPath()] = main_cf.Render();

  // A listener's -o overrides beat main.cf: say so, the verification will show the effect.
  for (const MasterService& service : ParseMasterCf(master_it->second)) {
    if (service.type != "inet" || service.command != "smtpd") continue;
    for (const auto& [name, value] : SmtpdOverrides(service)) {
      for (const DesiredSetting& setting : desired) {
        if (setting.name == name && !SettingHolds(setting, value)) {
          change.warnings.push_back(absl::StrCat(
              MasterCfPath(), ":", service.line, ": service ", service.service,
              " overrides ", name, "=", value, " (policy wants \"", setting.value,
              "\"); relayguard does not edit master.cf overrides"));
        }
      }
    }
  }
  return change;
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
    return absl::FailedPreconditionError(absl::StrCat(
        "postfix config check failed for ", MainCfPath(), ": ",
        absl::StrReplaceAll(s.message(), {{stage_dir, options_.config_dir}})));
  };
  // One run of `postconf -n -x` parses main.cf and master.cf (a bad line in either is fatal)
  // and prints every explicit setting expanded, for our own checks.
  auto effective = Effective(stage_dir, {"-n"});
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
  return absl::OkStatus();
}

absl::StatusOr<bool> PostfixDriver::IsRunning() {
  // What `postfix status` checks, without its shell script: the master's pid file names a live
  // master process.
  RETURN_IF_ERROR(Version().status());
  absl::StatusOr<std::string> pid_text = fs_.ReadFile(*queue_directory_ + "/pid/master.pid");
  if (absl::IsNotFound(pid_text.status())) return false;
  if (!pid_text.ok()) return pid_text.status();
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*pid_text), &pid) || pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  // "PID (master) S ...": a live (not zombie) process called master.
  absl::StatusOr<std::string> stat = fs_.ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return false;
  size_t close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return false;
  char state = (*stat)[close + 2];
  return stat->find("(master)") != std::string::npos && state != 'Z' && state != 'X';
}

absl::Status PostfixDriver::RunPostfix(const std::string& verb) {
  Command cmd{{options_.postfix_path, "-c", options_.config_dir, verb}, "",
              std::chrono::seconds(60)};
  ASSIGN_OR_RETURN(ProcessResult r, runner_.Run(cmd));
  if (r.exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        cmd.ToString(), " failed (", r.timed_out ? "timed out" : absl::StrCat("exit ", r.exit_code),
        "): ", Diagnostics(r)));
  }
  return absl::OkStatus();
}

absl::Status PostfixDriver::Reload(bool restart) {
  if (!restart) return RunPostfix("reload");
  ASSIGN_OR_RETURN(bool running, IsRunning());
  if (running) RETURN_IF_ERROR(RunPostfix("stop"));
  return RunPostfix("start");
}

absl::StatusOr<std::vector<Listener>> PostfixDriver::Listeners() {
  ASSIGN_OR_RETURN(std::string master, fs_.ReadFile(MasterCfPath()));
  std::vector<Listener> listeners;
  std::optional<SmtpdListener> listener = FindSmtpdListener(master);
  if (listener) {
    Listener l;
    ASSIGN_OR_RETURN(l.endpoint.port, ServicePort(listener->port));
    std::string host = listener->host;
    if (host.empty()) {
      ASSIGN_OR_RETURN(auto values, Effective(options_.config_dir, {"inet_interfaces"}));
      std::vector<std::string> interfaces = SplitPostfixList(values["inet_interfaces"]);
      host = interfaces.empty() ? "all" : interfaces.front();
    }
    l.bind = host;
    if (host == "all" || host == "loopback-only" || host == "localhost") host = "127.0.0.1";
    auto address = ParseIpAddress(host);
    if (!address.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Postfix listens on \"", host, "\", not an IP address: give --smtp HOST:PORT"));
    }
    l.endpoint.host = *address;
    l.loopback_only = IsLoopback(*address) && l.bind != "all";
    l.service = listener->port;
    l.declared_at = MasterCfPath();
    listeners.push_back(l);
  }
  AddExtraListener(options_.smtp_override, listeners);
  if (listeners.empty()) {
    return absl::NotFoundError(absl::StrCat("no inet smtpd service in ", MasterCfPath(),
                                            ": give the SMTP endpoint with --smtp HOST:PORT"));
  }
  return listeners;
}

int64_t PostfixDriver::WriteAgeSeconds(const std::string& path) const {
  return path == MainCfPath() ? 2 : 0;
}

absl::StatusOr<std::vector<SettingDrift>> PostfixDriver::CheckDrift(const Policy& policy) {
  ASSIGN_OR_RETURN(PostfixVersion version, ParsedVersion());
  ASSIGN_OR_RETURN(auto recipient, Effective(options_.config_dir,
                                             {"smtpd_recipient_restrictions"}));
  std::vector<DesiredSetting> desired =
      DesiredSettings(policy, version, recipient["smtpd_recipient_restrictions"]);
  std::vector<std::string> names;
  for (const DesiredSetting& d : desired) names.push_back(d.name);
  ASSIGN_OR_RETURN(auto effective, Effective(options_.config_dir, names));
  std::vector<SettingDrift> drift;
  for (const DesiredSetting& d : desired) {
    if (!SettingHolds(d, effective[d.name])) drift.push_back({d.name, effective[d.name], d.value});
  }
  return drift;
}

}  // namespace relayguard::agent::postfix
