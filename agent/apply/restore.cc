// The restoring half of ApplyTransaction: putting a backup commit back after a failed apply,
// on `rollback`, and after an agent was killed mid-change.
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/apply/apply_transaction.h"
#include "agent/apply/phase_timer.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace relayguard::agent {
namespace {

std::string ShortId(const std::string& id) { return id.substr(0, 10); }

// Reloads, or starts the MTA when it is not running (after a crash or a reboot).
absl::Status ReloadOrStart(MtaDriver& driver, bool restart) {
  ASSIGN_OR_RETURN(bool running, driver.IsRunning());
  return driver.Reload(restart || !running);
}

}  // namespace

absl::Status ApplyTransaction::VerifyAnswers(const ProbeSettings& probe,
                                             TransactionReport& report) {
  ASSIGN_OR_RETURN(std::vector<Listener> listeners, d_.driver.Listeners());
  for (std::string& w : MarkInternalListeners(probe, listeners)) AddWarning(report, std::move(w));
  report.listeners = Unprobed(std::move(listeners));
  auto deadline = d_.clock.Now() + probe.settle_timeout;
  for (ListenerResult& r : report.listeners) {
    ProbeOptions trusted = ListenerProbeOptions(probe, ProbeSource::kTrusted, r.listener);
    for (;;) {
      absl::Status s = d_.checker.Greeting(r.listener.endpoint, trusted);
      if (s.ok()) break;
      if (d_.clock.Now() >= deadline) {
        return absl::UnavailableError(absl::StrCat(report.mta, " does not answer on listener ",
                                                   r.listener.Name(), ": ", s.message()));
      }
      d_.clock.SleepFor(std::chrono::milliseconds(200));
    }
  }
  // For the record: what an untrusted client sees now.
  for (ListenerResult& r : report.listeners) {
    r.note = WhyNotProbed(probe, r.listener);
    if (!r.note.empty()) continue;
    r.untrusted = d_.checker.Probe(
        r.listener.endpoint, BasicRelayTests(probe.sender, probe.foreign_recipient),
        ListenerProbeOptions(probe, ProbeSource::kUntrusted, r.listener));
    r.verdict = r.untrusted->verdict;
  }
  return absl::OkStatus();
}

void ApplyTransaction::RestoreAfterFailure(const std::vector<FileSnapshot>& backup, bool restart,
                                           const ProbeSettings& probe, TransactionReport& report,
                                           std::map<std::string, std::string> trailers) {
  auto log = Logger("agent.apply");
  PhaseTimer timer(d_.clock, report, "restore");
  JournalEntry entry{report.action, "restore", report.backup_commit, report.policy,
                     report.version, restart, getpid(), d_.clock.WallSeconds()};
  absl::Status s = d_.journal.Write(entry);
  if (s.ok()) s = WriteFiles(backup);
  if (s.ok()) s = ReloadOrStart(d_.driver, restart);
  if (s.ok()) s = VerifyAnswers(probe, report);
  if (!s.ok() && !restart) {
    // A reload may not bring back a listener the failed change took away; a restart does.
    log->warn("restore: reload did not bring {} back ({}); restarting", report.mta, s.message());
    s = d_.driver.Reload(true);
    if (s.ok()) s = VerifyAnswers(probe, report);
  }
  trailers["Phase"] = "rolled-back";
  trailers["FailedPhase"] = report.failed_phase;
  trailers["Reason"] = OneLine(report.error);
  if (!s.ok()) {
    report.outcome = Outcome::kRollbackFailed;
    absl::StrAppend(&report.error, "; restoring the backup ", ShortId(report.backup_commit),
                    " failed too: ", s.message(),
                    " — the journal is kept, the next agent start retries the restore");
    trailers["Outcome"] = "rollback-failed";
  } else {
    report.outcome = Outcome::kRolledBack;
    trailers["Outcome"] = "rolled-back";
  }
  absl::StatusOr<std::vector<FileSnapshot>> now = ReadManagedFiles();
  absl::StatusOr<std::string> id =
      now.ok() ? d_.store.Commit(*now,
                                 absl::StrCat(report.outcome == Outcome::kRolledBack
                                                  ? "Rolled back "
                                                  : "FAILED to roll back ",
                                              report.action, " of ", report.policy, ": ",
                                              report.failed_phase, " failed"),
                                 trailers)
               : absl::StatusOr<std::string>(now.status());
  if (id.ok()) report.result_commit = *id;
  if (report.outcome == Outcome::kRolledBack) {
    if (absl::Status c = d_.journal.Clear(); !c.ok()) {
      report.warnings.push_back(absl::StrCat("could not remove the journal: ", c.message()));
    }
    log->warn("{} of {} rolled back after {} failed; files restored from {}", report.action,
              report.policy, report.failed_phase, ShortId(report.backup_commit));
  } else {
    log->error("{}", report.error);
  }
}

TransactionReport ApplyTransaction::Rollback(const std::optional<std::string>& target,
                                             const ProbeSettings& probe) {
  TransactionReport report;
  report.action = "rollback";
  if (absl::Status s = Preflight(report); !s.ok()) {
    Fail(report, "preflight", s);
    return report;
  }
  std::string target_id;
  if (target) {
    absl::StatusOr<std::string> id = d_.store.Resolve(*target);
    if (!id.ok()) {
      Fail(report, "preflight", id.status());
      return report;
    }
    target_id = *id;
  } else {
    absl::StatusOr<std::vector<CommitInfo>> history = d_.store.History(100000);
    if (!history.ok()) {
      Fail(report, "preflight", history.status());
      return report;
    }
    for (const CommitInfo& c : *history) {
      auto action = c.trailers.find("Action");
      auto phase = c.trailers.find("Phase");
      if (action != c.trailers.end() && action->second == "apply" &&
          phase != c.trailers.end() && phase->second == "before") {
        target_id = c.id;
        report.policy = c.summary;
        break;
      }
    }
    if (target_id.empty()) {
      Fail(report, "preflight", absl::NotFoundError(
                                    "there is no apply to roll back (no backup commit taken "
                                    "before an apply) — nothing was changed"));
      return report;
    }
  }
  if (report.policy.empty()) report.policy = ShortId(target_id);
  absl::StatusOr<std::vector<FileSnapshot>> wanted = d_.store.ReadCommit(target_id);
  absl::StatusOr<std::vector<FileSnapshot>> before = ReadManagedFiles();
  if (!wanted.ok() || !before.ok()) {
    Fail(report, "preflight", wanted.ok() ? before.status() : wanted.status());
    return report;
  }
  FileContents wanted_text;
  for (const FileSnapshot& f : *wanted) wanted_text[f.path] = f.present ? f.contents : "";
  report.diff = DiffFiles(*before, wanted_text);
  if (report.diff.empty()) {
    report.outcome = Outcome::kUnchanged;
    report.error = absl::StrCat("the files already match ", ShortId(target_id));
    return report;
  }
  std::map<std::string, std::string> trailers = {{"Action", "rollback"}, {"Target", target_id}};
  {
    PhaseTimer timer(d_.clock, report, "backup");
    auto backup_trailers = trailers;
    backup_trailers["Phase"] = "before";
    absl::StatusOr<std::string> id = d_.store.Commit(
        *before, absl::StrCat("Backup before rollback to ", ShortId(target_id)), backup_trailers);
    JournalEntry entry{"rollback", "activate", id.ok() ? *id : "", target_id, 0, false,
                       getpid(), d_.clock.WallSeconds()};
    absl::Status s = id.ok() ? d_.journal.Write(entry) : id.status();
    if (!s.ok()) {
      Fail(report, "backup", s);
      return report;
    }
    report.backup_commit = *id;
  }
  trailers["Backup"] = report.backup_commit;
  absl::Status s;
  {
    PhaseTimer timer(d_.clock, report, "activate");
    s = WriteFiles(*wanted);
  }
  d_.fault_point("after-activate");
  if (s.ok()) {
    PhaseTimer timer(d_.clock, report, "reload");
    s = ReloadOrStart(d_.driver, false);
    report.reloaded = s.ok();
    if (s.ok()) s = VerifyAnswers(probe, report);
    if (!s.ok()) {
      // The restored files may change a start-time parameter: a restart settles it.
      s = d_.driver.Reload(true);
      report.restarted = s.ok();
      if (s.ok()) s = VerifyAnswers(probe, report);
    }
  }
  if (!s.ok()) {
    Fail(report, report.reloaded ? "verify" : "activate", s);
    RestoreAfterFailure(*before, false, probe, report, trailers);
    return report;
  }
  trailers["Phase"] = "after";
  trailers["Outcome"] = "restored";
  absl::StatusOr<std::vector<FileSnapshot>> after = ReadManagedFiles();
  absl::StatusOr<std::string> id =
      after.ok() ? d_.store.Commit(*after,
                                   absl::StrCat("Rolled back to ", ShortId(target_id), " (",
                                                report.policy, ")"),
                                   trailers)
                 : absl::StatusOr<std::string>(after.status());
  if (id.ok()) report.result_commit = *id;
  else report.warnings.push_back(absl::StrCat("could not record the result commit: ",
                                              id.status().message()));
  if (absl::Status c = d_.journal.Clear(); !c.ok()) {
    report.warnings.push_back(absl::StrCat("could not remove the journal: ", c.message()));
  }
  report.outcome = Outcome::kRestored;
  Logger("agent.apply")->info("rolled back to {}", ShortId(target_id));
  return report;
}

std::optional<TransactionReport> ApplyTransaction::RecoverInterrupted(
    const ProbeSettings& probe) {
  absl::StatusOr<std::optional<JournalEntry>> journal = d_.journal.Read();
  if (journal.ok() && !journal->has_value()) return std::nullopt;
  TransactionReport report;
  report.action = "recovery";
  report.mta = d_.driver.Kind();
  if (!journal.ok()) {
    report.outcome = Outcome::kRollbackFailed;
    Fail(report, "recovery", absl::DataLossError(absl::StrCat(
                                 journal.status().message(),
                                 " — inspect `relayguard-agent history` and run `rollback --to`")));
    return report;
  }
  const JournalEntry& entry = **journal;
  report.policy = entry.policy;
  report.version = entry.version;
  report.backup_commit = entry.backup_commit;
  report.failed_phase = entry.phase;
  report.error = absl::StrCat("an earlier agent (pid ", entry.pid, ") was stopped during the ",
                              entry.phase, " phase of ", entry.action, " ", entry.policy);
  Logger("agent.apply")->warn("{}; restoring {}", report.error, ShortId(entry.backup_commit));
  absl::StatusOr<std::vector<FileSnapshot>> files = d_.store.ReadCommit(entry.backup_commit);
  absl::Status s = files.ok() ? WriteFiles(*files) : files.status();
  if (s.ok()) s = ReloadOrStart(d_.driver, entry.restart);
  if (s.ok()) s = VerifyAnswers(probe, report);
  if (!s.ok() && !entry.restart) {
    s = d_.driver.Reload(true);
    if (s.ok()) s = VerifyAnswers(probe, report);
  }
  std::map<std::string, std::string> trailers = {
      {"Action", "recovery"}, {"Backup", entry.backup_commit},
      {"InterruptedAction", entry.action}, {"InterruptedPhase", entry.phase},
      {"Policy", entry.policy}, {"Outcome", s.ok() ? "restored" : "recovery-failed"}};
  absl::StatusOr<std::vector<FileSnapshot>> now = ReadManagedFiles();
  if (now.ok()) {
    absl::StatusOr<std::string> id = d_.store.Commit(
        *now,
        absl::StrCat(s.ok() ? "Recovered" : "FAILED to recover", " after interrupted ",
                     entry.action, " of ", entry.policy, " (stopped during ", entry.phase, ")"),
        trailers);
    if (id.ok()) report.result_commit = *id;
  }
  if (!s.ok()) {
    report.outcome = Outcome::kRollbackFailed;
    absl::StrAppend(&report.error, "; restoring ", ShortId(entry.backup_commit),
                    " failed: ", s.message(), " — the journal is kept");
    return report;
  }
  if (absl::Status c = d_.journal.Clear(); !c.ok()) {
    report.warnings.push_back(absl::StrCat("could not remove the journal: ", c.message()));
  }
  report.outcome = Outcome::kRestored;
  return report;
}

}  // namespace relayguard::agent
