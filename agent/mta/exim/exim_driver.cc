#include "agent/mta/exim/exim_driver.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/daemon_process.h"
#include "agent/mta/exim/exim_conf.h"
#include "agent/mta/exim/exim_debian_auth.h"
#include "agent/mta/exim/update_exim4_conf.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

// Where Debian's exim keeps its pid when the configuration does not say.
constexpr char kDefaultPidFile[] = "/run/exim4/exim.pid";

EximRelaySettings SettingsFor(const Policy& policy) {
  EximRelaySettings want;
  // Like Postfix's permit_mynetworks: with require_auth the trusted networks and partners lose
  // relaying.
  if (!policy.require_auth) want.relay_from_hosts = RelayClients(policy);
  want.relay_to_domains = policy.relay_domains;
  return want;
}

}  // namespace

std::optional<int> RcptReplyCode(absl::string_view bh_output) {
  // Final reply lines ("NNN text", not "NNN-text") in order: greeting, EHLO, MAIL, RCPT, QUIT.
  int finals = 0;
  for (absl::string_view line : absl::StrSplit(bh_output, '\n')) {
    line = absl::StripSuffix(line, "\r");
    if (line.size() < 4 || line[3] != ' ') continue;
    int code = 0;
    if (!absl::SimpleAtoi(line.substr(0, 3), &code) || code < 200 || code > 599) continue;
    if (++finals == 4) return code;
  }
  return std::nullopt;
}

std::optional<std::string> MainOption(absl::string_view text, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripSuffix(line, "\r");
    absl::string_view stripped = absl::StripLeadingAsciiWhitespace(line);
    if (absl::StartsWith(stripped, "begin ") || stripped == "begin") break;
    if (!absl::ConsumePrefix(&stripped, name)) continue;
    stripped = absl::StripLeadingAsciiWhitespace(stripped);
    if (!absl::ConsumePrefix(&stripped, "=")) continue;
    return std::string(absl::StripAsciiWhitespace(stripped));
  }
  return std::nullopt;
}

std::string EximDriver::Diagnostics(const ProcessResult& r) {
  return OutputSummary(r, "no output (see exim's paniclog)");
}

EximDriver::EximDriver(EximOptions options, FileSystem& fs, ProcessRunner& runner, Clock& clock,
                       BackendCheck check_backend)
    : options_(std::move(options)),
      fs_(fs),
      runner_(runner),
      clock_(clock),
      check_backend_(std::move(check_backend)) {}

std::string EximDriver::ManagedFile() const {
  return options_.debian ? options_.debian_dir + "/update-exim4.conf.conf" : options_.config_file;
}

std::string EximDriver::DaemonConfig() const {
  return options_.debian ? options_.generated_config : options_.config_file;
}

MtaDriver::MonitorHints EximDriver::LogHints() {
  MonitorHints hints;
  absl::StatusOr<std::string> text = fs_.ReadFile(DaemonConfig());
  if (!text.ok()) return hints;
  // Debian's exim4 is built with LOG_FILE_PATH=/var/log/exim4/%slog.
  const std::string path = MainOption(*text, "log_file_path").value_or("/var/log/exim4/%slog");
  for (absl::string_view item : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    item = absl::StripAsciiWhitespace(item);
    if (item == "syslog" || item.empty() || item.front() != '/') continue;
    const std::string file = absl::StrReplaceAll(item, {{"%s", "main"}});
    if (file.find('%') == std::string::npos) hints.log_file = file;
    break;
  }
  return hints;
}

std::string EximDriver::DebianAuthFile() const {
  return absl::StrCat(options_.debian_dir, "/", kDebianAuthFile);
}

std::string EximDriver::DebianTemplate() const {
  return options_.debian_dir + "/exim4.conf.template";
}

bool EximDriver::DebianSplit() const {
  absl::StatusOr<std::string> text = fs_.ReadFile(ManagedFile());
  if (!text.ok()) return false;
  absl::StatusOr<bool> split = DebianSplitConfig(*text, ManagedFile());
  return split.ok() && *split;
}

std::vector<std::string> EximDriver::ManagedFiles() const {
  std::vector<std::string> files = {ManagedFile()};
  if (!options_.debian) return files;
  // The template only where update-exim4.conf reads it (relayguard may write its authenticators
  // there); relayguard's own conf.d/auth file whenever it exists, so a rollback can remove it.
  if (!DebianSplit() && fs_.Stat(DebianTemplate()).ok()) files.push_back(DebianTemplate());
  if (fs_.Stat(DebianAuthFile()).ok()) files.push_back(DebianAuthFile());
  return files;
}

std::vector<std::string> EximDriver::CreatableFiles() const {
  if (!options_.debian || !DebianSplit() || fs_.Stat(DebianAuthFile()).ok()) return {};
  return {DebianAuthFile()};
}

absl::Status EximDriver::Generate(const std::string& dir, const std::string& output) {
  Command cmd{{options_.update_exim4_conf_path, "-d", dir, "-o", output}, "",
              std::chrono::seconds(60)};
  return RunChecked(runner_, cmd, Diagnostics).status();
}

namespace {

// Links every entry of `from` into `to` (created), except the entries `files` (by path relative
// to `from`) lead into: a directory on such a path is staged the same way, a file written by
// `write`.
absl::Status StageTree(const std::string& from, const std::string& to,
                       const std::map<std::string, std::string>& files,
                       const std::function<absl::Status(const std::string&, const std::string&)>&
                           write) {
  namespace stdfs = std::filesystem;
  std::error_code ec;
  stdfs::create_directories(to, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", to, ": ", ec.message()));
  // The first component of each staged file's path: what is not linked here.
  std::map<std::string, std::map<std::string, std::string>> below;
  for (const auto& [relative, text] : files) {
    const size_t slash = relative.find('/');
    if (slash == std::string::npos) {
      RETURN_IF_ERROR(write(to + "/" + relative, text));
      below[relative];
    } else {
      below[relative.substr(0, slash)][relative.substr(slash + 1)] = text;
    }
  }
  stdfs::directory_iterator entries(from, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", from, ": ", ec.message()));
  }
  for (const stdfs::directory_entry& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (below.count(name)) continue;
    stdfs::create_symlink(entry.path(), to + "/" + name, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot stage ", entry.path().string(), ": ", ec.message()));
    }
  }
  for (const auto& [name, inside] : below) {
    if (inside.empty()) continue;  // a file, written above
    RETURN_IF_ERROR(StageTree(from + "/" + name, to + "/" + name, inside, write));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> EximDriver::StageDebianDir(const std::string& stage,
                                                       const FileContents& contents) {
  // A scratch directory of links: the staged files beside the live conf.d, template and local
  // macros, which update-exim4.conf reads from the same directory.
  const std::string dir = stage + "/exim4";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::map<std::string, std::string> files;
  const std::string prefix = options_.debian_dir + "/";
  for (const auto& [path, text] : contents) {
    if (absl::StartsWith(path, prefix)) files[path.substr(prefix.size())] = text;
  }
  RETURN_IF_ERROR(StageTree(options_.debian_dir, dir, files,
                            [this](const std::string& path, const std::string& text) {
                              return fs_.WriteScratchFile(path, text);
                            }));
  return dir;
}

Command EximDriver::EximCommand(const std::string& config, std::vector<std::string> args,
                                const std::string& stdin_text) const {
  Command cmd;
  cmd.argv = {options_.exim_path};
  // The compiled-in configuration needs no -C (and -C as root gives up privileges).
  if (config != "/var/lib/exim4/config.autogenerated" && config != "/etc/exim4/exim4.conf") {
    cmd.argv.insert(cmd.argv.end(), {"-C", config});
  }
  cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
  cmd.stdin_text = stdin_text;
  cmd.timeout = std::chrono::seconds(30);
  return cmd;
}

absl::StatusOr<ProcessResult> EximDriver::Exim(const std::string& config,
                                               std::vector<std::string> args,
                                               const std::string& stdin_text) {
  return runner_.Run(EximCommand(config, std::move(args), stdin_text));
}

absl::StatusOr<std::string> EximDriver::Version() {
  if (version_) return *version_;
  const Command command = EximCommand(DaemonConfig(), {"-bV"});
  ASSIGN_OR_RETURN(ProcessResult r, RunChecked(runner_, command, Diagnostics));
  // "Exim version 4.96 #2 built 26-Nov-2026 14:26:47"
  absl::string_view out = r.stdout_text;
  size_t at = out.find("Exim version ");
  if (at == absl::string_view::npos) {
    return absl::FailedPreconditionError(absl::StrCat(
        command.ToString(), " printed no \"Exim version\" line: ", Diagnostics(r)));
  }
  out.remove_prefix(at + 13);
  version_ = std::string(out.substr(0, out.find_first_of(" \n")));
  return *version_;
}

absl::Status EximDriver::RefuseGeneratedOpenings(const Policy& policy) {
  absl::StatusOr<EximEdit> generated = AnalyseGenerated(policy, /*analyse_only=*/false);
  if (!generated.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the RCPT ACL of ", DaemonConfig(), ": ", generated.status().message()));
  }
  for (const RelayOpening& o : generated->openings) {
    return absl::InvalidArgumentError(absl::StrCat(
        o.where, ": ", o.setting, " ", o.what, "; relayguard edits only ", ManagedFile(),
        " in Debian's configuration, so it cannot close this: change that line by hand, run "
        "update-exim4.conf, then apply again — nothing was changed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<RenderedChange> EximDriver::Render(const Policy& policy,
                                                  const FileContents& current) {
  auto it = current.find(ManagedFile());
  if (it == current.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Render needs the contents of ", ManagedFile()));
  }
  absl::StatusOr<EximEdit> edited;
  std::string auth_path;  // Debian: the file RenderDebianAuth edits
  std::string auth_text;
  if (options_.debian) {
    edited = EditUpdateExim4Conf(it->second, SettingsFor(policy), ManagedFile());
    if (edited.ok()) RETURN_IF_ERROR(RefuseGeneratedOpenings(policy));
    if (edited.ok() && policy.auth) {
      ASSIGN_OR_RETURN(EximEdit auth, RenderDebianAuth(policy, it->second, current, auth_path));
      auth_text = std::move(auth.text);
      edited->changed.insert(edited->changed.end(), auth.changed.begin(), auth.changed.end());
      if (policy.require_auth) {
        // The generic warning about 127.0.0.1 and ::1 says less than this one.
        std::erase_if(edited->warnings, [](const std::string& w) {
          return absl::StrContains(w, "always adds 127.0.0.1 and ::1");
        });
      }
      edited->warnings.insert(edited->warnings.end(), auth.warnings.begin(),
                              auth.warnings.end());
    }
  } else {
    // The listeners of the file as it is now: it is the one the daemon runs.
    absl::StatusOr<std::vector<Listener>> listeners =
        ListenersOf(it->second, ManagedFile(), /*live=*/true);
    if (!listeners.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(listeners.status().message(), " — nothing was changed"));
    }
    const std::vector<Listener> daemon_listeners = *listeners;
    edited = EditEximConf(it->second, SettingsFor(policy), ManagedFile(),
                          EditContext(policy, std::move(*listeners)));
    if (edited.ok() && policy.auth) {
      absl::StatusOr<EximEdit> auth = RenderAuth(*policy.auth, edited->text, daemon_listeners);
      if (!auth.ok()) return auth.status();
      edited->text = std::move(auth->text);
      edited->changed.insert(edited->changed.end(), auth->changed.begin(), auth->changed.end());
    }
  }
  if (!edited.ok()) return edited.status();
  const EximEdit& edit = *edited;
  rendered_for_ = policy;
  RenderedChange change;
  change.new_contents = current;
  change.new_contents[ManagedFile()] = edit.text;
  if (!auth_path.empty()) change.new_contents[auth_path] = std::move(auth_text);
  change.changed_settings = edit.changed;
  change.warnings = edit.warnings;
  change.kept = edit.kept;
  if (policy.tls) {
    change.warnings.push_back(absl::StrCat("tls: ", TlsLevelName(*policy.tls),
                                           " is not managed for Exim; ", "tls_advertise_hosts in ",
                                           ManagedFile(), " is left as it is"));
  }
  return change;
}

absl::StatusOr<std::string> EximDriver::PidFile() {
  ASSIGN_OR_RETURN(std::string text, fs_.ReadFile(DaemonConfig()));
  std::optional<std::string> pid_file = MainOption(text, "pid_file_path");
  return pid_file && !pid_file->empty() ? *pid_file : std::string(kDefaultPidFile);
}

absl::StatusOr<bool> EximDriver::IsRunning() {
  ASSIGN_OR_RETURN(std::string pid_file, PidFile());
  ASSIGN_OR_RETURN(std::optional<int> pid, RunningDaemon(fs_, pid_file, "exim"));
  return pid.has_value();
}

absl::Status EximDriver::StartDaemon() {
  return RunChecked(runner_, EximCommand(DaemonConfig(), {"-bd", "-q30m"}), Diagnostics).status();
}

absl::Status EximDriver::Reload(bool restart) {
  // Debian: the daemon runs the generated file; make it from the live settings first.
  if (options_.debian) RETURN_IF_ERROR(Generate(options_.debian_dir, options_.generated_config));
  ASSIGN_OR_RETURN(std::string pid_file, PidFile());
  ASSIGN_OR_RETURN(std::optional<int> pid, RunningDaemon(fs_, pid_file, "exim"));
  if (!restart) {
    // No daemon where the pid file says: starting one could run a second daemon beside one the
    // pid file does not know; the caller restarts when it means to.
    if (!pid) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no running exim daemon found through ", pid_file, " (set pid_file_path in ",
          DaemonConfig(), " if it keeps its pid elsewhere)"));
    }
    // The daemon re-executes itself with the same arguments and reads the file again.
    return SignalProcess(*pid, SIGHUP, "the exim daemon");
  }
  if (pid) {
    RETURN_IF_ERROR(SignalProcess(*pid, SIGTERM, "the exim daemon"));
    if (!WaitGone(fs_, clock_, *pid, std::chrono::seconds(10))) {
      return absl::FailedPreconditionError(
          absl::StrCat("the exim daemon (pid ", *pid, ") did not stop within 10 s of SIGTERM"));
    }
  }
  return StartDaemon();
}

}  // namespace relayguard::agent::exim
