#include "agent/mta/exim/exim_driver.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/daemon_process.h"
#include "agent/mta/exim/exim_conf.h"
#include "agent/mta/exim/update_exim4_conf.h"
#include "common/status_macros.h"

namespace relayguard::agent::exim {
namespace {

// Where Debian's exim keeps its pid when the configuration does not say.
constexpr char kDefaultPidFile[] = "/run/exim4/exim.pid";

// The first few lines of what exim printed, for error messages.
std::string Diagnostics(const ProcessResult& r) {
  std::string text = r.stderr_text.empty() ? r.stdout_text : r.stderr_text;
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  if (lines.empty()) return "no output (see exim's paniclog)";
  if (lines.size() > 5) lines.resize(5);
  return absl::StrJoin(lines, "; ");
}

std::string Outcome(const ProcessResult& r) {
  return r.timed_out ? "timed out" : absl::StrCat("exit ", r.exit_code);
}

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

EximDriver::EximDriver(EximOptions options, FileSystem& fs, ProcessRunner& runner, Clock& clock)
    : options_(std::move(options)), fs_(fs), runner_(runner), clock_(clock) {}

std::string EximDriver::ManagedFile() const {
  return options_.debian ? options_.debian_dir + "/update-exim4.conf.conf" : options_.config_file;
}

std::string EximDriver::DaemonConfig() const {
  return options_.debian ? options_.generated_config : options_.config_file;
}

absl::Status EximDriver::Generate(const std::string& dir, const std::string& output) {
  Command cmd{{options_.update_exim4_conf_path, "-d", dir, "-o", output}, "",
              std::chrono::seconds(60)};
  ASSIGN_OR_RETURN(ProcessResult r, runner_.Run(cmd));
  if (r.exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(cmd.ToString(), " failed (", Outcome(r), "): ", Diagnostics(r)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EximDriver::StageDebianDir(const std::string& stage,
                                                       const std::string& text) {
  // A scratch directory of links: the staged settings beside the live conf.d, template and
  // local macros, which update-exim4.conf reads from the same directory.
  namespace stdfs = std::filesystem;
  const std::string dir = stage + "/exim4";
  std::error_code ec;
  stdfs::remove_all(dir, ec);
  stdfs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  stdfs::directory_iterator entries(options_.debian_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", options_.debian_dir, ": ", ec.message()));
  }
  for (const stdfs::directory_entry& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (name == "update-exim4.conf.conf") continue;
    stdfs::create_symlink(entry.path(), dir + "/" + name, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot stage ", entry.path().string(), ": ", ec.message()));
    }
  }
  RETURN_IF_ERROR(fs_.WriteScratchFile(dir + "/update-exim4.conf.conf", text));
  return dir;
}

absl::StatusOr<ProcessResult> EximDriver::Exim(const std::string& config,
                                               std::vector<std::string> args,
                                               const std::string& stdin_text) {
  Command cmd;
  cmd.argv = {options_.exim_path};
  // The compiled-in configuration needs no -C (and -C as root gives up privileges).
  if (config != "/var/lib/exim4/config.autogenerated" && config != "/etc/exim4/exim4.conf") {
    cmd.argv.insert(cmd.argv.end(), {"-C", config});
  }
  cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
  cmd.stdin_text = stdin_text;
  cmd.timeout = std::chrono::seconds(30);
  return runner_.Run(cmd);
}

absl::StatusOr<std::string> EximDriver::Version() {
  if (version_) return *version_;
  ASSIGN_OR_RETURN(ProcessResult r, Exim(DaemonConfig(), {"-bV"}));
  // "Exim version 4.96 #2 built 26-Nov-2026 14:26:47"
  absl::string_view out = r.stdout_text;
  size_t at = out.find("Exim version ");
  if (r.exit_code != 0 || at == absl::string_view::npos) {
    return absl::FailedPreconditionError(absl::StrCat(options_.exim_path, " -C ",
                                                      DaemonConfig(), " -bV failed (",
                                                      Outcome(r), "): ", Diagnostics(r)));
  }
  out.remove_prefix(at + 13);
  version_ = std::string(out.substr(0, out.find_first_of(" \n")));
  return *version_;
}

absl::Status EximDriver::RefuseGeneratedOpenings(const Policy& policy) {
  absl::StatusOr<EximEdit> generated = AnalyseGenerated(policy, /*analyse_only=*/false);
  if (!generated.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the RCPT ACL of ", DaemonConfig(), ": ", generated.status().message()));
  }
  for (const RelayOpening& o : generated->openings) {
    return absl::InvalidArgumentError(absl::StrCat(
        o.where, ": ", o.setting, " ", o.what,
        "; relayguard edits only ", ManagedFile(),
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
  if (options_.debian) {
    edited = EditUpdateExim4Conf(it->second, SettingsFor(policy), ManagedFile());
    if (edited.ok()) RETURN_IF_ERROR(RefuseGeneratedOpenings(policy));
  } else {
    // The listeners of the file as it is now: it is the one the daemon runs.
    absl::StatusOr<std::vector<Listener>> listeners =
        ListenersOf(it->second, ManagedFile(), /*live=*/true);
    if (!listeners.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(listeners.status().message(),
                                                     " — nothing was changed"));
    }
    edited = EditEximConf(it->second, SettingsFor(policy), ManagedFile(),
                          EditContext(policy, std::move(*listeners)));
  }
  if (!edited.ok()) return edited.status();
  const EximEdit& edit = *edited;
  rendered_for_ = policy;
  RenderedChange change;
  change.new_contents = current;
  change.new_contents[ManagedFile()] = edit.text;
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
  ASSIGN_OR_RETURN(ProcessResult r, Exim(DaemonConfig(), {"-bd", "-q30m"}));
  if (r.exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(options_.exim_path, " -C ",
                                                      DaemonConfig(), " -bd -q30m failed (",
                                                      Outcome(r), "): ", Diagnostics(r)));
  }
  return absl::OkStatus();
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
