#include "agent/cli/agent_cli.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/cli/agent_context.h"
#include "agent/cli/agent_flags.h"
#include "agent/cli/report_output.h"
#include "agent/cli/run_program.h"
#include "agent/mta/detect.h"
#include "agent/mta/exim/exim_driver.h"
#include "agent/mta/postfix/postfix_driver.h"
#include "agent/mta/sendmail/sendmail_driver.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace relayguard::agent {

// The configuration directory for `kind`: the one given, else its usual place.
std::string ConfigDir(const MtaFlags& f, const std::string& kind) {
  if (!f.config_dir.empty()) return f.config_dir;
  if (kind == "exim") return "/etc/exim4";
  if (kind == "sendmail") return "/etc/mail";
  return "/etc/postfix";
}

namespace {

// The driver for `kind`, with the paths the flags give.
std::unique_ptr<MtaDriver> MakeDriver(Agent& a, const std::string& kind,
                                      const std::optional<SmtpEndpoint>& smtp) {
  const MtaFlags& f = a.flags.mta;
  const std::string dir = ConfigDir(f, kind);
  if (kind == "exim") {
    exim::EximOptions options;
    options.config_file = f.exim_config.empty() ? dir + "/exim4.conf" : f.exim_config;
    options.exim_path = f.bin_dir + "/exim4";
    options.update_exim4_conf_path = f.bin_dir + "/update-exim4.conf";
    // Debian's split configuration when there is no monolithic file.
    if (f.exim_config.empty() && !a.fs.Stat(options.config_file).ok() &&
        a.fs.Stat(dir + "/update-exim4.conf.conf").ok()) {
      options.debian = true;
      options.debian_dir = dir;
      options.generated_config = f.exim_generated;
    }
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
  const MtaFlags& f = a.flags.mta;
  auto exists = [&](const std::string& path) { return a.fs.Stat(path).ok(); };
  std::vector<MtaCandidate> candidates;
  for (const std::string kind : {"postfix", "exim", "sendmail"}) {
    const std::string dir = ConfigDir(f, kind);
    std::vector<std::string> needed;
    if (kind == "postfix") needed = {f.bin_dir + "/postconf", dir + "/main.cf"};
    if (kind == "exim") {
      std::string config = f.exim_config.empty() ? dir + "/exim4.conf" : f.exim_config;
      if (f.exim_config.empty() && !exists(config) && exists(dir + "/update-exim4.conf.conf")) {
        config = dir + "/update-exim4.conf.conf";
      }
      needed = {f.bin_dir + "/exim4", config};
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
  const AgentFlags& f = a.flags;
  std::optional<SmtpEndpoint> smtp;
  if (f.smtp) {
    absl::StatusOr<SmtpEndpoint> endpoint = ParseSmtpEndpoint(*f.smtp);
    if (!endpoint.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--smtp: ", endpoint.status().message()));
    }
    smtp = *endpoint;
  }
  std::string kind = f.mta.mta;
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
      *a.faults});
  return absl::OkStatus();
}

}  // namespace

int RunAgentCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                FaultPoints& faults, const RunCommand& run_command) {
  ParsedAgentFlags parsed = ParseAgentFlags(args, out, err);
  if (parsed.exit_code) return *parsed.exit_code;
  const AgentFlags& flags = parsed.flags;
  // Before anything else: relayguard-agent-run parses the same arguments and does it all again.
  if (flags.command == AgentCommand::kRun && run_command.in_process == nullptr) {
    if (run_command.program.empty()) {
      err << "relayguard-agent: this program cannot run the agent's stream (no `run`)\n";
      return kExitUsage;
    }
    return ExecRunProgram(run_command.program, args, out, err);
  }
  SetLogLevel(flags.log_level);
  // Load the policy first: bad input is reported before anything else happens.
  std::optional<Policy> policy;
  if (flags.policy) {
    absl::StatusOr<Policy> loaded = LoadPolicyFile(*flags.policy);
    if (!loaded.ok()) {
      err << "relayguard-agent: invalid policy: " << loaded.status().message()
          << "\nnothing was changed\n";
      return kExitRefused;
    }
    policy = *loaded;
  }
  if (flags.command == AgentCommand::kProbe) return RunProbe(flags, policy, out, err);
  if (flags.command == AgentCommand::kConfigCheck) return RunConfigCheck(parsed, out, err);
  Agent a;
  a.flags = flags;
  a.faults = &faults;
  if (absl::Status s = Wire(a); !s.ok()) {
    err << "relayguard-agent: " << s.message() << "\nnothing was changed\n";
    return kExitRefused;
  }
  ProbeSettings probe = policy ? policy->probe : DefaultProbeSettings();
  const AgentCommand cmd = a.flags.command;
  // A journal means an earlier agent died mid-change: put its backup back before anything else.
  if (std::optional<TransactionReport> recovered = a.transaction->RecoverInterrupted(probe)) {
    err << HumanTransaction(*recovered);
    // `rollback --to COMMIT` is how an operator puts a known state back when the recovery
    // cannot (an unreadable journal, a backup that cannot be restored): it is let through.
    const bool chosen_target = cmd == AgentCommand::kRollback && a.flags.rollback.to.has_value();
    if (recovered->outcome != Outcome::kRestored && !chosen_target &&
        (cmd == AgentCommand::kApply || cmd == AgentCommand::kRollback)) {
      err << "relayguard-agent: refusing to "
          << (cmd == AgentCommand::kApply ? "apply" : "rollback")
          << " until the interrupted change is recovered (`relayguard-agent rollback --to "
             "COMMIT` puts a known state back) — nothing was changed\n";
      return kExitRestoreFailed;
    }
  }
  switch (cmd) {
    case AgentCommand::kApply: return RunApply(a, *policy, out);
    case AgentCommand::kRollback: return RunRollback(a, probe, out);
    case AgentCommand::kStatus: return RunStatus(a, policy, out);
    case AgentCommand::kCheck: return RunCheck(a, policy, out, err);
    case AgentCommand::kRun: return run_command.in_process(a, err);
    case AgentCommand::kProbe:
    case AgentCommand::kConfigCheck: break;  // handled above
    case AgentCommand::kHistory: {
      absl::StatusOr<std::vector<CommitInfo>> history = a.store->History(a.flags.history.limit);
      if (!history.ok()) {
        err << "relayguard-agent: " << history.status().message() << "\n";
        return kExitRefused;
      }
      out << (a.flags.json ? JsonHistory(*history) : HumanHistory(*history));
      return kExitOk;
    }
    case AgentCommand::kDiff: {
      absl::StatusOr<std::string> diff = a.store->DiffWithParent(a.flags.diff.commit);
      if (!diff.ok()) {
        err << "relayguard-agent: " << diff.status().message() << "\n";
        return kExitRefused;
      }
      out << *diff;
      return kExitOk;
    }
  }
  return kExitUsage;
}

}  // namespace relayguard::agent
