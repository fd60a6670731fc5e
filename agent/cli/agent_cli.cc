#include "agent/cli/agent_cli.h"

#include <algorithm>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/apply/apply_transaction.h"
#include "agent/apply/state_lock.h"
#include "agent/cli/report_output.h"
#include "absl/strings/str_join.h"
#include "agent/mta/detect.h"
#include "agent/mta/exim/exim_driver.h"
#include "agent/mta/postfix/postfix_driver.h"
#include "agent/mta/sendmail/sendmail_driver.h"
#include "agent/os/process_runner.h"
#include "agent/policy/policy_loader.h"
#include "agent/stream/controller_session.h"
#include "agent/stream/push_handler.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace relayguard::agent {
namespace {

constexpr char kUsage[] = R"(usage: relayguard-agent [FLAGS] COMMAND [ARGS]

commands:
  apply --policy FILE [--dry-run]   make the policy hold, verify it, roll back on failure
  rollback [--to COMMIT] [--policy FILE]
                                    restore the files from before the last apply (or COMMIT)
  history [--limit N]               backup commits, newest first
  diff COMMIT                       what COMMIT changed
  status [--policy FILE]            relay verdict from the untrusted address, compliance
  probe --smtp HOST:PORT [--from ADDR] [--policy FILE]
                                    one relay probe, no state needed (exit 4 if it relays)
  run --controller HOST:PORT --host NAME [--label K=V]... (--ca F --cert F --key F | --insecure)
                                    keep a stream to the controller and apply what it pushes
                                    (--heartbeat-s N: heartbeat interval, default 30; three
                                    unanswered -> reconnect)

flags:
  --mta auto|postfix|exim|sendmail  MTA kind (default auto: the one installed, or the one
                                    running when several are)
  --mta-config-dir DIR              configuration directory (default /etc/postfix, /etc/exim4,
                                    /etc/mail); Exim: DIR/exim4.conf unless --exim-config FILE
  --mta-bin-dir DIR                 where the MTA's programs live (default /usr/sbin):
                                    postconf + postfix, exim4, sendmail + makemap
  --sendmail-cf-dir DIR             sendmail-cf's m4 macros (default /usr/share/sendmail/cf)
  --m4 PATH                         m4 for building sendmail.cf (default /usr/bin/m4)
  --state-dir DIR                   backups, journal, lock (default /var/lib/relayguard)
  --smtp HOST:PORT                  SMTP endpoint to probe (default: from master.cf)
  --json                            machine-readable output
  --log-level LEVEL                 debug, info, warn (default), error, off
exit codes: 0 ok, 1 usage, 2 refused (nothing changed), 3 failed and rolled back,
  4 not compliant, 5 restoring failed (the host needs attention)
)";

struct Flags {
  std::string command;
  std::vector<std::string> positional;
  std::string mta = "auto";
  std::string config_dir;  // default per MTA kind
  std::string bin_dir = "/usr/sbin";
  std::string exim_config;  // default config_dir + "/exim4.conf"
  std::string sendmail_cf_dir = "/usr/share/sendmail/cf";
  std::string m4 = "/usr/bin/m4";
  std::string state_dir = "/var/lib/relayguard";
  std::optional<std::string> smtp;
  std::optional<std::string> policy;
  std::optional<std::string> to;
  bool dry_run = false;
  bool json = false;
  size_t limit = 50;
  int heartbeat_s = 30;
  std::string log_level = "warn";
  std::string controller;
  std::string from;
  std::string host;
  std::map<std::string, std::string> labels;
  bool insecure = false;
  std::string ca_file, cert_file, key_file;
};

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  std::map<std::string, std::string*> with_value = {
      {"--mta", &f.mta}, {"--mta-config-dir", &f.config_dir}, {"--mta-bin-dir", &f.bin_dir},
      {"--exim-config", &f.exim_config}, {"--sendmail-cf-dir", &f.sendmail_cf_dir},
      {"--m4", &f.m4},
      {"--state-dir", &f.state_dir}, {"--log-level", &f.log_level},
      {"--controller", &f.controller}, {"--host", &f.host}, {"--from", &f.from}, {"--ca", &f.ca_file},
      {"--cert", &f.cert_file}, {"--key", &f.key_file}};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto need_value = [&]() -> absl::StatusOr<std::string> {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(a + " needs a value");
      return args[++i];
    };
    if (auto it = with_value.find(a); it != with_value.end()) {
      ASSIGN_OR_RETURN(*it->second, need_value());
    } else if (a == "--smtp") {
      ASSIGN_OR_RETURN(f.smtp, need_value());
    } else if (a == "--policy") {
      ASSIGN_OR_RETURN(f.policy, need_value());
    } else if (a == "--to") {
      ASSIGN_OR_RETURN(f.to, need_value());
    } else if (a == "--limit") {
      ASSIGN_OR_RETURN(std::string v, need_value());
      if (!absl::SimpleAtoi(v, &f.limit) || f.limit == 0) {
        return absl::InvalidArgumentError("--limit needs a positive number, got \"" + v + "\"");
      }
    } else if (a == "--heartbeat-s") {
      ASSIGN_OR_RETURN(std::string v, need_value());
      if (!absl::SimpleAtoi(v, &f.heartbeat_s) || f.heartbeat_s < 1 || f.heartbeat_s > 3600) {
        return absl::InvalidArgumentError("--heartbeat-s needs 1..3600 seconds, got \"" + v + "\"");
      }
    } else if (a == "--label") {
      ASSIGN_OR_RETURN(std::string v, need_value());
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        return absl::InvalidArgumentError("--label needs KEY=VALUE, got \"" + v + "\"");
      }
      f.labels[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (a == "--insecure") {
      f.insecure = true;
    } else if (a == "--dry-run") {
      f.dry_run = true;
    } else if (a == "--json") {
      f.json = true;
    } else if (a == "-h" || a == "--help") {
      f.command = "help";
    } else if (a.rfind("--", 0) == 0) {
      return absl::InvalidArgumentError("unknown flag " + a);
    } else if (f.command.empty()) {
      f.command = a;
    } else {
      f.positional.push_back(a);
    }
  }
  static const char* kCommands[] = {"apply", "rollback", "history", "diff", "status", "run", "probe",
                                    "help"};
  if (f.command.empty()) return absl::InvalidArgumentError("no command given");
  if (std::find(std::begin(kCommands), std::end(kCommands), f.command) == std::end(kCommands)) {
    return absl::InvalidArgumentError("unknown command \"" + f.command + "\"");
  }
  if (f.mta != "auto" && f.mta != "postfix" && f.mta != "exim" && f.mta != "sendmail") {
    return absl::InvalidArgumentError("--mta " + f.mta +
                                      " is not one of auto, postfix, exim, sendmail");
  }
  if (f.command == "apply" && !f.policy) return absl::InvalidArgumentError("apply needs --policy FILE");
  if (f.command == "run") {
    if (f.controller.empty() || f.host.empty()) {
      return absl::InvalidArgumentError("run needs --controller HOST:PORT and --host NAME");
    }
    if (!f.insecure && (f.ca_file.empty() || f.cert_file.empty() || f.key_file.empty())) {
      return absl::InvalidArgumentError(
          "run needs --ca, --cert and --key (mTLS), or --insecure for local experiments");
    }
  }
  if (f.command == "probe" && !f.smtp) return absl::InvalidArgumentError("probe needs --smtp HOST:PORT");
  if (f.command == "diff" && f.positional.size() != 1) {
    return absl::InvalidArgumentError("diff needs exactly one COMMIT");
  }
  if (f.command != "diff" && !f.positional.empty()) {
    return absl::InvalidArgumentError("unexpected argument \"" + f.positional[0] + "\"");
  }
  for (std::string* dir : {&f.config_dir, &f.bin_dir, &f.state_dir, &f.exim_config,
                           &f.sendmail_cf_dir, &f.m4}) {
    if (dir->empty() && (dir == &f.config_dir || dir == &f.exim_config)) continue;  // per kind
    if (dir->empty() || (*dir)[0] != '/') {
      return absl::InvalidArgumentError("directories must be absolute paths, got \"" + *dir + "\"");
    }
    while (dir->size() > 1 && dir->back() == '/') dir->pop_back();
  }
  return f;
}

// Pauses at a named point when RELAYGUARD_TEST_PAUSE_AT says so, so tests can SIGKILL the agent
// in a known phase.
void TestPausePoint(absl::string_view point) {
  const char* want = std::getenv("RELAYGUARD_TEST_PAUSE_AT");
  if (want == nullptr || point != want) return;
  std::cerr << "relayguard-agent: paused at " << point << " (pid " << getpid() << ")"
            << std::endl;
  std::this_thread::sleep_for(std::chrono::seconds(120));
}

// Everything the commands need, wired once.
struct Agent {
  Flags flags;
  RealFileSystem fs;
  RealProcessRunner runner;
  RealRelayChecker checker;
  RealClock clock;
  std::unique_ptr<MtaDriver> driver;
  std::unique_ptr<GitBackupStore> store;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<StateLock> lock;
  std::unique_ptr<ApplyTransaction> transaction;
};

// The configuration directory for `kind`: the one given, else its usual place.
std::string ConfigDir(const Flags& f, const std::string& kind) {
  if (!f.config_dir.empty()) return f.config_dir;
  if (kind == "exim") return "/etc/exim4";
  if (kind == "sendmail") return "/etc/mail";
  return "/etc/postfix";
}

// The driver for `kind`, with the paths the flags give.
std::unique_ptr<MtaDriver> MakeDriver(Agent& a, const std::string& kind,
                                      const std::optional<SmtpEndpoint>& smtp) {
  const Flags& f = a.flags;
  const std::string dir = ConfigDir(f, kind);
  if (kind == "exim") {
    exim::EximOptions options;
    options.config_file = f.exim_config.empty() ? dir + "/exim4.conf" : f.exim_config;
    options.exim_path = f.bin_dir + "/exim4";
    options.smtp_override = smtp;
    return std::make_unique<exim::EximDriver>(options, a.fs, a.runner, a.clock);
  }
  if (kind == "sendmail") {
    sendmail::SendmailOptions options;
    options.config_dir = dir;
    options.sendmail_path = f.bin_dir + "/sendmail";
    options.makemap_path = f.bin_dir + "/makemap";
    options.m4_path = f.m4;
    options.cf_dir = f.sendmail_cf_dir;
    options.smtp_override = smtp;
    return std::make_unique<sendmail::SendmailDriver>(options, a.fs, a.runner, a.clock);
  }
  postfix::PostfixOptions options;
  options.config_dir = dir;
  options.postconf_path = f.bin_dir + "/postconf";
  options.postfix_path = f.bin_dir + "/postfix";
  options.smtp_override = smtp;
  return std::make_unique<postfix::PostfixDriver>(options, a.fs, a.runner);
}

// --mta auto: what is installed here (binary and configuration), and what runs.
absl::StatusOr<std::string> DetectKind(Agent& a, const std::optional<SmtpEndpoint>& smtp) {
  const Flags& f = a.flags;
  auto exists = [&](const std::string& path) { return a.fs.Stat(path).ok(); };
  std::vector<MtaCandidate> candidates;
  for (const std::string kind : {"postfix", "exim", "sendmail"}) {
    const std::string dir = ConfigDir(f, kind);
    std::vector<std::string> needed;
    if (kind == "postfix") needed = {f.bin_dir + "/postconf", dir + "/main.cf"};
    if (kind == "exim") {
      needed = {f.bin_dir + "/exim4", f.exim_config.empty() ? dir + "/exim4.conf" : f.exim_config};
    }
    if (kind == "sendmail") needed = {f.bin_dir + "/sendmail", dir + "/sendmail.mc"};
    MtaCandidate c;
    c.kind = kind;
    c.where = absl::StrJoin(needed, ", ");
    c.installed = std::all_of(needed.begin(), needed.end(), exists);
    if (c.installed) {
      absl::StatusOr<bool> running = MakeDriver(a, kind, smtp)->IsRunning();
      c.running = running.ok() && *running;
    }
    candidates.push_back(c);
  }
  return DetectMta(candidates);
}

absl::Status Wire(Agent& a) {
  const Flags& f = a.flags;
  std::optional<SmtpEndpoint> smtp;
  if (f.smtp) {
    absl::StatusOr<SmtpEndpoint> endpoint = ParseSmtpEndpoint(*f.smtp);
    if (!endpoint.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--smtp: ", endpoint.status().message()));
    }
    smtp = *endpoint;
  }
  std::string kind = f.mta;
  if (kind == "auto") {
    absl::StatusOr<std::string> detected = DetectKind(a, smtp);
    if (!detected.ok()) {
      return absl::InvalidArgumentError(std::string(detected.status().message()));
    }
    kind = *detected;
  }
  a.driver = MakeDriver(a, kind, smtp);
  if (absl::Status s = a.fs.MakeDirs(f.state_dir); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create state dir ", f.state_dir, ": ", s.message()));
  }
  ASSIGN_OR_RETURN(a.lock, StateLock::Acquire(f.state_dir));
  ASSIGN_OR_RETURN(a.store, GitBackupStore::Open(f.state_dir + "/backup"));
  a.journal = std::make_unique<Journal>(a.fs, f.state_dir + "/journal");
  a.transaction = std::make_unique<ApplyTransaction>(TransactionDeps{
      *a.driver, a.fs, *a.store, *a.journal, a.checker, a.clock, f.state_dir + "/stage",
      TestPausePoint});
  return absl::OkStatus();
}

int ExitFor(const TransactionReport& r) {
  switch (r.outcome) {
    case Outcome::kApplied:
    case Outcome::kDryRun:
    case Outcome::kRestored:
      return kExitOk;
    case Outcome::kUnchanged:
      return r.error.empty() || r.action != "apply" ? kExitOk : kExitNotCompliant;
    case Outcome::kRefused:
      return kExitRefused;
    case Outcome::kRolledBack:
      return kExitRolledBack;
    case Outcome::kRollbackFailed:
      return kExitRestoreFailed;
  }
  return kExitRestoreFailed;
}

int Print(const Agent& a, const TransactionReport& r, std::ostream& out) {
  out << (a.flags.json ? JsonTransaction(r) : HumanTransaction(r));
  return ExitFor(r);
}

int Status(Agent& a, const std::optional<Policy>& policy, std::ostream& out) {
  StatusReport s;
  s.mta = a.driver->Kind();
  s.config_dir = ConfigDir(a.flags, a.driver->Kind());
  ProbeSettings probe = policy ? policy->probe : DefaultProbeSettings();
  if (policy) {
    s.policy = policy->name;
    s.version = policy->version;
  }
  auto fail = [&](const absl::Status& st) {
    s.error = std::string(st.message());
    out << (a.flags.json ? JsonStatus(s) : HumanStatus(s));
    return kExitRefused;
  };
  absl::StatusOr<std::string> version = a.driver->Version();
  if (!version.ok()) return fail(version.status());
  s.mta_version = *version;
  absl::StatusOr<SmtpEndpoint> endpoint = a.driver->Endpoint();
  if (!endpoint.ok()) return fail(endpoint.status());
  s.endpoint = endpoint->ToString();
  absl::StatusOr<bool> running = a.driver->IsRunning();
  s.running = running.ok() && *running;
  auto tests = BasicRelayTests(probe.sender, probe.foreign_recipient);
  ProbeOptions options{probe.untrusted_source, probe.helo_name, probe.timeout};
  s.untrusted_probe = a.checker.Probe(*endpoint, tests, options);
  options.source = probe.trusted_source;
  s.trusted_probe = a.checker.Probe(*endpoint, tests, options);
  s.compliant = s.untrusted_probe->verdict == ProbeVerdict::kRefused;
  if (policy) {
    absl::StatusOr<std::vector<SettingDrift>> drift = a.driver->CheckDrift(*policy);
    if (!drift.ok()) return fail(drift.status());
    s.drift = *drift;
    s.compliant = s.compliant && s.drift.empty();
  }
  if (auto history = a.store->History(1); history.ok() && !history->empty()) {
    s.last_commit = history->front();
  }
  out << (a.flags.json ? JsonStatus(s) : HumanStatus(s));
  return s.compliant ? kExitOk : kExitNotCompliant;
}

// A one-off probe: no MTA driver, no state dir, no lock (works beside a running agent).
int Probe(const Flags& f, const std::optional<Policy>& policy, std::ostream& out,
          std::ostream& err) {
  absl::StatusOr<SmtpEndpoint> endpoint = ParseSmtpEndpoint(*f.smtp);
  if (!endpoint.ok()) {
    err << "relayguard-agent: --smtp: " << endpoint.status().message() << "\n";
    return kExitUsage;
  }
  ProbeSettings settings = policy ? policy->probe : DefaultProbeSettings();
  if (!f.from.empty()) {
    absl::StatusOr<IpAddress> from = ParseIpAddress(f.from);
    if (!from.ok()) {
      err << "relayguard-agent: --from: " << from.status().message() << "\n";
      return kExitUsage;
    }
    settings.untrusted_source = *from;
  }
  ProbeReport report = RunRelayProbe(
      *endpoint, BasicRelayTests(settings.sender, settings.foreign_recipient),
      ProbeOptions{settings.untrusted_source, settings.helo_name, settings.timeout});
  if (f.json) {
    JsonWriter json;
    WriteProbeJson(json, report);
    out << json.str() << "\n";
  } else {
    out << HumanProbe("relay probe from", report);
  }
  switch (report.verdict) {
    case ProbeVerdict::kRefused: return kExitOk;
    case ProbeVerdict::kRelayAccepted: return kExitNotCompliant;
    case ProbeVerdict::kInconclusive: return kExitRefused;
  }
  return kExitRefused;
}

std::atomic<bool> g_stop{false};  // set by SIGTERM/SIGINT; read by the session loop
void OnStopSignal(int) { g_stop = true; }

int RunSession(Agent& a, std::ostream& err) {
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  PushHandler handler(*a.transaction, a.fs, a.flags.state_dir + "/policy.yaml");
  SessionOptions options;
  options.controller = a.flags.controller;
  options.host = a.flags.host;
  options.labels = a.flags.labels;
  options.insecure = a.flags.insecure;
  options.ca_file = a.flags.ca_file;
  options.cert_file = a.flags.cert_file;
  options.key_file = a.flags.key_file;
  options.heartbeat_interval = std::chrono::seconds(a.flags.heartbeat_s);
  ControllerSession session(options, handler, *a.driver, *a.store, a.clock);
  if (absl::Status s = session.Run(g_stop); !s.ok()) {
    err << "relayguard-agent: " << s.message() << "\n";
    return kExitRefused;
  }
  return kExitOk;
}

}  // namespace

int RunAgentCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Flags> flags = ParseFlags(args);
  if (!flags.ok()) {
    err << "relayguard-agent: " << flags.status().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (flags->command == "help") {
    out << kUsage;
    return kExitOk;
  }
  SetLogLevel(flags->log_level);
  // Load the policy first: bad input is reported before anything else happens.
  std::optional<Policy> policy;
  if (flags->policy) {
    absl::StatusOr<Policy> loaded = LoadPolicyFile(*flags->policy);
    if (!loaded.ok()) {
      err << "relayguard-agent: invalid policy: " << loaded.status().message()
          << "\nnothing was changed\n";
      return kExitRefused;
    }
    policy = *loaded;
  }
  if (flags->command == "probe") return Probe(*flags, policy, out, err);
  Agent a;
  a.flags = *flags;
  if (absl::Status s = Wire(a); !s.ok()) {
    err << "relayguard-agent: " << s.message() << "\nnothing was changed\n";
    return kExitRefused;
  }
  ProbeSettings probe = policy ? policy->probe : DefaultProbeSettings();
  // A journal means an earlier agent died mid-change: put its backup back before anything else.
  if (std::optional<TransactionReport> recovered = a.transaction->RecoverInterrupted(probe)) {
    err << HumanTransaction(*recovered);
    if (recovered->outcome != Outcome::kRestored &&
        (a.flags.command == "apply" || a.flags.command == "rollback")) {
      err << "relayguard-agent: refusing to " << a.flags.command
          << " until the interrupted change is recovered\n";
      return kExitRestoreFailed;
    }
  }
  const std::string& cmd = a.flags.command;
  if (cmd == "apply") return Print(a, a.transaction->Apply(*policy, a.flags.dry_run), out);
  if (cmd == "rollback") return Print(a, a.transaction->Rollback(a.flags.to, probe), out);
  if (cmd == "status") return Status(a, policy, out);
  if (cmd == "run") return RunSession(a, err);
  if (cmd == "history") {
    absl::StatusOr<std::vector<CommitInfo>> history = a.store->History(a.flags.limit);
    if (!history.ok()) {
      err << "relayguard-agent: " << history.status().message() << "\n";
      return kExitRefused;
    }
    out << (a.flags.json ? JsonHistory(*history) : HumanHistory(*history));
    return kExitOk;
  }
  // diff
  absl::StatusOr<std::string> diff = a.store->DiffWithParent(a.flags.positional[0]);
  if (!diff.ok()) {
    err << "relayguard-agent: " << diff.status().message() << "\n";
    return kExitRefused;
  }
  out << *diff;
  return kExitOk;
}

}  // namespace relayguard::agent
