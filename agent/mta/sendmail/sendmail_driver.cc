#include "agent/mta/sendmail/sendmail_driver.h"

#include <signal.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/mta/daemon_process.h"
#include "agent/mta/sendmail/access_file.h"
#include "agent/mta/sendmail/daemon_options.h"
#include "agent/mta/sendmail/sendmail_mc.h"
#include "common/status_macros.h"

namespace relayguard::agent::sendmail {
namespace {

// Where a sendmail.cf keeps its pid when it does not say (Debian's build).
constexpr char kDefaultPidFile[] = "/run/sendmail/mta/sendmail.pid";

std::string Diagnostics(const ProcessResult& r) {
  // sendmail -bt reports cf errors on stdout ("line 12: unknown configuration line").
  std::string text = absl::StrCat(r.stderr_text, r.stdout_text);
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  std::vector<absl::string_view> useful;
  for (absl::string_view l : lines) {
    if (absl::StrContains(l, "ADDRESS TEST MODE") || absl::StartsWith(l, "Enter <ruleset>") ||
        l == ">") {
      continue;
    }
    useful.push_back(l);
    if (useful.size() == 5) break;
  }
  return useful.empty() ? "no output" : absl::StrJoin(useful, "; ");
}

// `cf` with its access map declaration pointed at `map` (for checking a staged access file).
absl::StatusOr<std::string> WithAccessMap(const std::string& cf, const std::string& map,
                                          const std::string& path) {
  std::vector<std::string> lines = absl::StrSplit(cf, '\n');
  bool found = false;
  for (std::string& line : lines) {
    if (!absl::StartsWith(line, "Kaccess ")) continue;
    size_t last = line.find_last_of(" \t");
    line = absl::StrCat(line.substr(0, last + 1), map);
    found = true;
  }
  if (!found) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " declares no access map (Kaccess): FEATURE(`access_db') did not take effect"));
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace

std::optional<bool> CheckRcptRefused(absl::string_view bt_output) {
  for (absl::string_view line : absl::StrSplit(bt_output, '\n')) {
    absl::string_view rest = line;
    // Each "> " is a prompt of -bt that got no line of its own.
    while (absl::ConsumePrefix(&rest, "> ")) {
    }
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (!absl::ConsumePrefix(&rest, "check_rcpt")) continue;
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (!absl::ConsumePrefix(&rest, "returns:")) continue;
    return absl::StrContains(rest, "$# error");
  }
  return std::nullopt;
}

std::optional<std::string> CfOption(absl::string_view cf, absl::string_view name) {
  const std::string prefix = absl::StrCat("O ", name, "=");
  for (absl::string_view line : absl::StrSplit(cf, '\n')) {
    line = absl::StripSuffix(line, "\r");
    if (absl::ConsumePrefix(&line, prefix)) return std::string(line);
  }
  return std::nullopt;
}

SendmailDriver::SendmailDriver(SendmailOptions options, FileSystem& fs, ProcessRunner& runner,
                               Clock& clock)
    : options_(std::move(options)), fs_(fs), runner_(runner), clock_(clock) {}

std::vector<std::string> SendmailDriver::ManagedFiles() const {
  std::vector<std::string> files = {McPath(), CfPath(), AccessPath()};
  if (SaslConfExists()) files.push_back(SaslConfPath());
  return files;
}

Command SendmailDriver::MakeCommand(std::vector<std::string> argv, const std::string& stdin_text,
                                    std::chrono::seconds timeout) {
  Command cmd;
  cmd.argv = std::move(argv);
  cmd.stdin_text = stdin_text;
  cmd.timeout = timeout;
  return cmd;
}

absl::StatusOr<ProcessResult> SendmailDriver::Run(std::vector<std::string> argv,
                                                  const std::string& stdin_text) {
  return runner_.Run(MakeCommand(std::move(argv), stdin_text));
}

absl::StatusOr<ProcessResult> SendmailDriver::RunChecked(std::vector<std::string> argv,
                                                         const std::string& stdin_text,
                                                         absl::string_view failed) {
  return agent::RunChecked(runner_, MakeCommand(std::move(argv), stdin_text), Diagnostics,
                           failed);
}

absl::StatusOr<std::string> SendmailDriver::Version() {
  RETURN_IF_ERROR(ReadBuildInfo());
  return *version_;
}

absl::StatusOr<std::string> SendmailDriver::BuildCf(const std::string& mc) {
  // m4 reads the .mc from stdin ("-"), after the cf macros.
  const std::string failed = absl::StrCat("m4 could not build sendmail.cf from ", McPath());
  absl::StatusOr<ProcessResult> r =
      RunChecked({options_.m4_path, absl::StrCat("-D_CF_DIR_=", options_.cf_dir, "/"),
                  options_.cf_dir + "/m4/cf.m4", "-"},
                 mc, failed);
  // A .mc m4 cannot build is the operator's input: InvalidArgument, as for the policy.
  if (!r.ok()) return absl::InvalidArgumentError(r.status().message());
  if (r->stdout_text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(failed, " (it printed nothing): ",
                                                   Diagnostics(*r)));
  }
  return r->stdout_text;
}

absl::StatusOr<RenderedChange> SendmailDriver::Render(const Policy& policy,
                                                      const FileContents& current) {
  // Sendmail.conf may be absent (not in `current`): the auth part creates it.
  for (const std::string& path : {McPath(), CfPath(), AccessPath()}) {
    if (!current.count(path)) {
      return absl::InvalidArgumentError(absl::StrCat("Render needs the contents of ", path));
    }
  }
  const AccessPolicy want = AccessPolicyFor(policy);
  RenderedChange change;
  change.new_contents = current;
  // The auth edits first: they address DAEMON_OPTIONS by the line numbers of the live .mc.
  std::string mc_text = current.at(McPath());
  if (policy.auth) RETURN_IF_ERROR(RenderAuth(policy, current, mc_text, change));
  const bool mc_auth_changed = mc_text != current.at(McPath());
  ASSIGN_OR_RETURN(SendmailEdit mc, EditSendmailMc(mc_text, McPath()));
  ASSIGN_OR_RETURN(AccessEdit access, EditAccessFile(current.at(AccessPath()), want, AccessPath()));
  rendered_for_ = policy;
  change.new_contents[McPath()] = mc.text;
  change.new_contents[AccessPath()] = access.text;
  // sendmail.cf is built from the .mc; rebuilt only when the .mc changes (m4 stamps the date).
  if (!mc.changed.empty() || mc_auth_changed) {
    ASSIGN_OR_RETURN(change.new_contents[CfPath()], BuildCf(mc.text));
    change.needs_restart = true;
  }
  const std::string& cf = change.new_contents[CfPath()];
  RETURN_IF_ERROR(CheckStarttls(policy, cf));
  // Class {R} is not edited: a member that lets strangers relay refuses the policy, and one
  // relayguard cannot read leaves nothing it could prove.
  const RelayClassReport relay_class = InspectRelayClass(cf, want);
  if (!relay_class.wide.empty() || !relay_class.unproven.empty()) {
    std::vector<std::string> parts;
    for (const auto* list : {&relay_class.wide, &relay_class.unproven}) {
      for (const SettingDrift& d : *list) {
        parts.push_back(
            absl::StrCat(d.where, ": ", d.setting, " ", d.effective, " (", d.desired, ")"));
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "class {R} (the relay-domains file and RELAY_DOMAIN) lets strangers relay or cannot be "
        "read, and relayguard does not edit it: ",
        absl::StrJoin(parts, "; "), " — remove those members by hand; nothing was changed"));
  }
  // The auth part's changes and warnings (already in `change`) come first, as it ran first.
  change.changed_settings.insert(change.changed_settings.end(), mc.changed.begin(),
                                 mc.changed.end());
  change.changed_settings.insert(change.changed_settings.end(), access.changed.begin(),
                                 access.changed.end());
  change.warnings.insert(change.warnings.end(), mc.warnings.begin(), mc.warnings.end());
  change.warnings.insert(change.warnings.end(), access.warnings.begin(), access.warnings.end());
  change.warnings.insert(change.warnings.end(), relay_class.warnings.begin(),
                         relay_class.warnings.end());
  change.kept = access.kept;
  change.kept.insert(change.kept.end(), relay_class.kept.begin(), relay_class.kept.end());
  if (absl::StatusOr<std::vector<SendmailListener>> daemons =
          DaemonListeners(cf, change.new_contents[McPath()]);
      daemons.ok()) {
    for (const SendmailListener& d : *daemons) {
      for (const std::string& note : d.notes) {
        change.warnings.push_back(absl::StrCat("listener ", d.listener.Name(), ": ", note));
      }
    }
  }
  if (policy.tls) {
    change.warnings.push_back(absl::StrCat("tls: ", TlsLevelName(*policy.tls),
                                           " is not managed for Sendmail; left as it is"));
  }
  return change;
}

absl::Status SendmailDriver::MakeMap(const std::string& cf, const std::string& access) {
  ASSIGN_OR_RETURN(std::string source, fs_.ReadFile(access));
  return RunChecked({options_.makemap_path, "-C", cf, "hash", access}, source).status();
}

absl::StatusOr<bool> SendmailDriver::RelayRefused(const std::string& cf, const IpAddress& client,
                                                  const ProbeSettings& probe,
                                                  const DaemonPortOptions* daemon) {
  // The null sender: with FEATURE(`delay_checks') check_rcpt also runs the sender checks, and
  // they always accept <>, so the result is about relaying alone.
  std::string input = absl::StrCat(".D{client_addr}", client.ToString(), "\n.D{mail_from}<>\n");
  if (daemon != nullptr) {
    // What sendmail sets for a connection to this daemon; rulesets may test them.
    absl::StrAppend(&input, ".D{daemon_name}", daemon->name, "\n.D{daemon_flags}",
                    DaemonFlagsMacro(daemon->modifiers), "\n");
  }
  absl::StrAppend(&input, "check_rcpt <", probe.foreign_recipient, ">\n");
  ASSIGN_OR_RETURN(ProcessResult r, Run({options_.sendmail_path, "-C", cf, "-bt"}, input));
  std::optional<bool> refused = CheckRcptRefused(r.stdout_text);
  if (!refused) {
    return absl::FailedPreconditionError(
        absl::StrCat("sendmail -bt gave no check_rcpt result for client ", client.ToString(), " (",
                     ExitText(r), "): ", Diagnostics(r)));
  }
  return *refused;
}

absl::Status SendmailDriver::ValidateStaged(const FileContents& contents,
                                            const std::string& stage_dir) {
  for (const std::string& path : ManagedFiles()) {
    if (!contents.count(path)) {
      return absl::InvalidArgumentError(absl::StrCat("no staged contents for ", path));
    }
  }
  RETURN_IF_ERROR(fs_.MakeDirs(stage_dir));
  const std::string access = stage_dir + "/access";
  const std::string cf = stage_dir + "/sendmail.cf";
  RETURN_IF_ERROR(fs_.WriteScratchFile(access, contents.at(AccessPath())));
  ASSIGN_OR_RETURN(std::string checking,
                   WithAccessMap(contents.at(CfPath()), access, CfPath()));
  RETURN_IF_ERROR(fs_.WriteScratchFile(cf, checking));
  auto live_names = [&](absl::string_view text) {
    return absl::StrReplaceAll(text, {{cf, CfPath()}, {access, AccessPath()}});
  };
  if (absl::StatusOr<ProcessResult> parse =
          RunChecked({options_.sendmail_path, "-C", cf, "-bt"}, "",
                     absl::StrCat("sendmail config check failed for ", CfPath()));
      !parse.ok()) {
    return absl::FailedPreconditionError(live_names(parse.status().message()));
  }
  if (absl::Status s = MakeMap(cf, access); !s.ok()) {
    return absl::FailedPreconditionError(live_names(s.message()));
  }
  const ProbeSettings probe = rendered_for_ ? rendered_for_->probe : DefaultProbeSettings();
  const bool trusted_relays = !rendered_for_ || !rendered_for_->require_auth;
  // check_rcpt once per set of daemon flags among the daemons that take mail without
  // authentication (M=a daemons refuse MAIL before check_rcpt runs); once without daemon
  // macros when there is none.
  const SendmailLookups lookups = Lookups();
  std::vector<DaemonPortOptions> daemons;
  for (DaemonPortOptions& d : CfDaemonPortOptions(contents.at(CfPath()))) {
    if (lookups.sasl && d.Has('a')) continue;
    const std::string flags = DaemonFlagsMacro(d.modifiers);
    if (std::none_of(daemons.begin(), daemons.end(), [&](const DaemonPortOptions& seen) {
          return DaemonFlagsMacro(seen.modifiers) == flags;
        })) {
      daemons.push_back(std::move(d));
    }
  }
  std::vector<const DaemonPortOptions*> checks;
  for (const DaemonPortOptions& d : daemons) checks.push_back(&d);
  if (checks.empty()) checks.push_back(nullptr);
  for (const DaemonPortOptions* d : checks) {
    const std::string which =
        d == nullptr ? "" : absl::StrCat(" on daemon ", d->name.empty() ? d->value : d->name);
    ASSIGN_OR_RETURN(bool untrusted_refused, RelayRefused(cf, probe.untrusted_source, probe, d));
    if (!untrusted_refused) {
      return absl::FailedPreconditionError(absl::StrCat(
          "sendmail -bt check_rcpt <", probe.foreign_recipient, "> from ",
          probe.untrusted_source.ToString(), which, " with the staged ", CfPath(), " and ",
          AccessPath(), " is not refused: the new configuration would still relay"));
    }
    if (!trusted_relays) continue;
    ASSIGN_OR_RETURN(bool trusted_refused, RelayRefused(cf, probe.trusted_source, probe, d));
    if (trusted_refused) {
      return absl::FailedPreconditionError(
          absl::StrCat("sendmail -bt check_rcpt <", probe.foreign_recipient, "> from ",
                       probe.trusted_source.ToString(), which, " with the staged ", CfPath(),
                       " is refused: the trusted network could no longer relay"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SendmailDriver::PidFile() {
  ASSIGN_OR_RETURN(std::string cf, fs_.ReadFile(CfPath()));
  std::optional<std::string> pid_file = CfOption(cf, "PidFile");
  return pid_file && !pid_file->empty() ? *pid_file : std::string(kDefaultPidFile);
}

absl::StatusOr<bool> SendmailDriver::IsRunning() {
  ASSIGN_OR_RETURN(std::string pid_file, PidFile());
  ASSIGN_OR_RETURN(std::optional<int> pid, RunningDaemon(fs_, pid_file, "sendmail"));
  return pid.has_value();
}

absl::Status SendmailDriver::Reload(bool restart) {
  RETURN_IF_ERROR(MakeMap(CfPath(), AccessPath()));
  ASSIGN_OR_RETURN(std::string pid_file, PidFile());
  ASSIGN_OR_RETURN(std::optional<int> pid, RunningDaemon(fs_, pid_file, "sendmail"));
  if (!restart) {
    if (!pid) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no running sendmail daemon found through ", pid_file, " (O PidFile in ", CfPath(),
          ")"));
    }
    // The daemon re-executes itself with its command line and reads sendmail.cf again.
    return SignalProcess(*pid, SIGHUP, "the sendmail daemon");
  }
  // The pid file's second line is the command line the daemon was started with.
  std::vector<std::string> argv = {options_.sendmail_path, "-C", CfPath(), "-bd"};
  if (absl::StatusOr<std::string> text = fs_.ReadFile(pid_file); text.ok()) {
    std::vector<std::string> lines = absl::StrSplit(*text, '\n');
    if (lines.size() > 1 && absl::StartsWith(lines[1], "/")) {
      argv = absl::StrSplit(lines[1], ' ', absl::SkipEmpty());
    }
  }
  if (pid) {
    RETURN_IF_ERROR(SignalProcess(*pid, SIGTERM, "the sendmail daemon"));
    if (!WaitGone(fs_, clock_, *pid, std::chrono::seconds(10))) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the sendmail daemon (pid ", *pid, ") did not stop within 10 s of SIGTERM"));
    }
  }
  return RunChecked(argv, "").status();
}

}  // namespace relayguard::agent::sendmail
