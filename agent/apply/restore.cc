// The restoring half of ApplyTransaction: putting a backup commit back after a failed apply,
// on `rollback`, and after an agent was killed mid-change.
#include <unistd.h>

#include "absl/strings/str_cat.h"
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
                                             TransactionReport& report, absl::string_view step) {
  ASSIGN_OR_RETURN(std::vector<Listener> listeners, d_.driver.Listeners());
  for (std::string& w : MarkInternalListeners(probe, listeners)) AddWarning(report, std::move(w));
  report.listeners = Unprobed(std::move(listeners));
  auto deadline = d_.clock.Now() + probe.settle_timeout;
  for (ListenerResult& r : report.listeners) {
    ProbeOptions trusted = ListenerProbeOptions(probe, ProbeSource::kTrusted, r.listener);
    for (;;) {
      absl::Status s = d_.checker.Greeting(r.listener.endpoint, trusted);
      if (s.ok()) {
        if (&r == &report.listeners.front()) {
          d_.faults.Reached(absl::StrCat(step, "during-verify"));
        }
        break;
      }
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

absl::Status ApplyTransaction::WriteJournal(JournalEntry entry, absl::string_view phase) {
  entry.phase = std::string(phase);
  entry.pid = getpid();
  entry.started = d_.clock.WallSeconds();
  return d_.journal.Write(entry);
}

absl::Status ApplyTransaction::BackUp(const std::vector<FileSnapshot>& files,
                                      const std::string& summary, CommitRecord record,
                                      JournalEntry entry, TransactionReport& report) {
  PhaseTimer timer(d_.clock, report, "backup");
  record.phase = CommitPhase::kBefore;
  ASSIGN_OR_RETURN(entry.backup_commit, d_.store.Commit(files, summary, record.ToTrailers()));
  RETURN_IF_ERROR(WriteJournal(entry, "activate"));
  report.backup_commit = entry.backup_commit;
  return absl::OkStatus();
}

absl::Status ApplyTransaction::ReloadAndVerify(bool restart, const ProbeSettings& probe,
                                               TransactionReport& report, absl::string_view step,
                                               ReloadSteps* steps, const JournalEntry* journal) {
  if (journal != nullptr) RETURN_IF_ERROR(WriteJournal(*journal, "reload"));
  absl::Status s = ReloadOrStart(d_.driver, restart);
  if (steps != nullptr) steps->reloaded = s.ok();
  if (s.ok()) {
    d_.faults.Reached(absl::StrCat(step, "after-reload"));
    if (journal != nullptr) RETURN_IF_ERROR(WriteJournal(*journal, "verify"));
    s = VerifyAnswers(probe, report, step);
  }
  // A failed reload, like a reload that did not bring a listener back, is followed by a restart.
  if (s.ok() || restart) return s;
  Logger("agent.apply")->warn("{}: reload did not bring {} back ({}); restarting", report.action,
                              report.mta, s.message());
  s = d_.driver.Reload(true);
  if (steps != nullptr) steps->restarted = s.ok();
  if (s.ok()) s = VerifyAnswers(probe, report, step);
  return s;
}

void ApplyTransaction::RecordResult(const CommitRecord& record, const std::string& summary,
                                    bool clear_journal, TransactionReport& report) {
  absl::StatusOr<std::vector<FileSnapshot>> now = ReadManagedFiles();
  absl::StatusOr<std::string> id =
      now.ok() ? d_.store.Commit(*now, summary, record.ToTrailers())
               : absl::StatusOr<std::string>(now.status());
  if (id.ok()) {
    report.result_commit = *id;
  } else {
    // The files are as the outcome says and the backup is safe; only the record is missing.
    AddWarning(report,
               absl::StrCat("could not record the result commit: ", id.status().message()));
  }
  if (!clear_journal) return;
  if (absl::Status c = d_.journal.Clear(); !c.ok()) {
    AddWarning(report, absl::StrCat("could not remove the journal: ", c.message()));
  }
}

void ApplyTransaction::RestoreAfterFailure(const std::vector<FileSnapshot>& backup, bool restart,
                                           const ProbeSettings& probe, CommitRecord record,
                                           TransactionReport& report) {
  PhaseTimer timer(d_.clock, report, "restore");
  const JournalEntry journal{report.action, "", report.backup_commit, report.policy,
                             report.version, restart, 0, 0};
  // The journal already names the backup (written before the first live file was touched):
  // failing to mark it "restore" (a full state dir) must not stop the restore itself.
  if (absl::Status j = WriteJournal(journal, "restore"); !j.ok()) {
    AddWarning(report, absl::StrCat("could not mark the journal as restoring (", j.message(),
                                    "); restoring anyway"));
  }
  absl::Status s = WriteFiles(backup, kFaultStepRestore);
  if (s.ok()) s = ReloadAndVerify(restart, probe, report, kFaultStepRestore);
  const bool restored = s.ok();
  record.phase = CommitPhase::kRolledBack;
  record.failed_phase = report.failed_phase;
  record.reason = OneLine(report.error);
  record.outcome = restored ? CommitOutcome::kRolledBack : CommitOutcome::kRollbackFailed;
  report.outcome = restored ? Outcome::kRolledBack : Outcome::kRollbackFailed;
  RecordResult(record,
               absl::StrCat(restored ? "Rolled back " : "FAILED to roll back ", report.action,
                            " of ", report.policy, ": ", report.failed_phase, " failed"),
               /*clear_journal=*/restored, report);
  if (restored) {
    Logger("agent.apply")->warn("{} of {} rolled back after {} failed; files restored from {}",
                                report.action, report.policy, report.failed_phase,
                                ShortId(report.backup_commit));
    return;
  }
  absl::StrAppend(&report.error, "; restoring the backup ", ShortId(report.backup_commit),
                  " failed too: ", s.message(),
                  " — the journal is kept, the next agent start retries the restore");
  Logger("agent.apply")->error("{}", report.error);
}

TransactionReport ApplyTransaction::Rollback(const std::optional<std::string>& target,
                                             const ProbeSettings& probe) {
  TransactionReport report;
  report.action = "rollback";
  absl::StatusOr<RollbackPlan> plan = PlanRollback(target, report);
  if (!plan.ok()) {
    Fail(report, "preflight", plan.status());
    return report;
  }
  if (report.diff.empty()) {
    report.outcome = Outcome::kUnchanged;
    report.error = absl::StrCat("the files already match ", ShortId(plan->target_id));
    // The state asked for is in place: a journal left by a change that could not be recovered
    // (one that cannot be read) has nothing more to say.
    if (absl::Status c = d_.journal.Clear(); !c.ok()) {
      AddWarning(report, absl::StrCat("could not remove the journal: ", c.message()));
    }
    return report;
  }
  CommitRecord record;
  record.action = CommitAction::kRollback;
  record.target = plan->target_id;
  const JournalEntry journal{"rollback", "", "", plan->target_id, 0, false, 0, 0};
  const std::string summary = absl::StrCat("Backup before rollback to ", ShortId(plan->target_id));
  if (absl::Status s = BackUp(plan->before, summary, record, journal, report); !s.ok()) {
    Fail(report, "backup", s);
    return report;
  }
  d_.faults.Reached("after-backup");
  record.backup = report.backup_commit;
  JournalEntry in_flight = journal;
  in_flight.backup_commit = report.backup_commit;
  if (absl::Status s = ActivateTarget(plan->wanted, probe, in_flight, report); !s.ok()) {
    Fail(report, report.reloaded ? "verify" : "activate", s);
    RestoreAfterFailure(plan->before, false, probe, record, report);
    return report;
  }
  record.phase = CommitPhase::kAfter;
  record.outcome = CommitOutcome::kRestored;
  RecordResult(record,
               absl::StrCat("Rolled back to ", ShortId(plan->target_id), " (", report.policy,
                            ")"),
               /*clear_journal=*/true, report);
  report.outcome = Outcome::kRestored;
  Logger("agent.apply")->info("rolled back to {}", ShortId(plan->target_id));
  return report;
}

absl::Status ApplyTransaction::ActivateTarget(const std::vector<FileSnapshot>& wanted,
                                              const ProbeSettings& probe,
                                              const JournalEntry& journal,
                                              TransactionReport& report) {
  absl::Status s;
  {
    PhaseTimer timer(d_.clock, report, "activate");
    s = WriteFiles(wanted, kFaultStepChange);
  }
  if (!s.ok()) return s;
  PhaseTimer timer(d_.clock, report, "reload");
  ReloadSteps steps;
  s = ReloadAndVerify(/*restart=*/false, probe, report, kFaultStepChange, &steps, &journal);
  report.reloaded = steps.reloaded;
  report.restarted = steps.restarted;
  return s;
}

absl::StatusOr<ApplyTransaction::RollbackPlan> ApplyTransaction::PlanRollback(
    const std::optional<std::string>& target, TransactionReport& report) {
  RETURN_IF_ERROR(Preflight(report));
  RollbackPlan plan;
  if (target) {
    ASSIGN_OR_RETURN(plan.target_id, d_.store.Resolve(*target));
  } else {
    ASSIGN_OR_RETURN(plan.target_id, LastApplyBackup(report));
  }
  if (report.policy.empty()) report.policy = ShortId(plan.target_id);
  ASSIGN_OR_RETURN(plan.wanted, d_.store.ReadCommit(plan.target_id));
  ASSIGN_OR_RETURN(plan.before, ReadManagedFiles());
  FileContents wanted_text;
  for (const FileSnapshot& f : plan.wanted) wanted_text[f.path] = f.present ? f.contents : "";
  report.diff = DiffFiles(plan.before, wanted_text);
  return plan;
}

absl::StatusOr<std::string> ApplyTransaction::LastApplyBackup(TransactionReport& report) {
  ASSIGN_OR_RETURN(std::vector<CommitInfo> history, d_.store.History(100000));
  for (const CommitInfo& c : history) {
    // A commit without trailers was made by hand in the backup repository: not an apply.
    if (c.trailers.empty()) continue;
    absl::StatusOr<CommitRecord> record = CommitRecord::FromTrailers(c.id, c.trailers);
    if (!record.ok()) {
      Logger("agent.apply")->warn("{}; looking further back", record.status().message());
      continue;
    }
    if (record->action == CommitAction::kApply && record->phase == CommitPhase::kBefore) {
      report.policy = c.summary;
      return c.id;
    }
  }
  return absl::NotFoundError(
      "there is no apply to roll back (no backup commit taken before an apply) — nothing was "
      "changed");
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
                                 " — nothing was restored; put a known state back with "
                                 "`relayguard-agent rollback --to COMMIT` (a backup commit from "
                                 "`relayguard-agent history`), which replaces the journal")));
    return report;
  }
  RestoreInterrupted(**journal, probe, report);
  return report;
}

void ApplyTransaction::RestoreInterrupted(const JournalEntry& entry, const ProbeSettings& probe,
                                          TransactionReport& report) {
  report.policy = entry.policy;
  report.version = entry.version;
  report.backup_commit = entry.backup_commit;
  report.failed_phase = entry.phase;
  report.error = absl::StrCat("an earlier agent (pid ", entry.pid, ") was stopped during the ",
                              entry.phase, " phase of ", entry.action, " ", entry.policy);
  Logger("agent.apply")->warn("{}; restoring {}", report.error, ShortId(entry.backup_commit));
  absl::StatusOr<std::vector<FileSnapshot>> files = d_.store.ReadCommit(entry.backup_commit);
  absl::Status s = files.ok() ? WriteFiles(*files, kFaultStepRecovery) : files.status();
  if (s.ok()) s = ReloadAndVerify(entry.restart, probe, report, kFaultStepRecovery);
  CommitRecord record;
  record.action = CommitAction::kRecovery;
  record.policy = entry.policy;
  record.backup = entry.backup_commit;
  record.outcome = s.ok() ? CommitOutcome::kRestored : CommitOutcome::kRecoveryFailed;
  record.interrupted_action = entry.action;
  record.interrupted_phase = entry.phase;
  RecordResult(record,
               absl::StrCat(s.ok() ? "Recovered" : "FAILED to recover", " after interrupted ",
                            entry.action, " of ", entry.policy, " (stopped during ", entry.phase,
                            ")"),
               /*clear_journal=*/s.ok(), report);
  if (!s.ok()) {
    report.outcome = Outcome::kRollbackFailed;
    absl::StrAppend(&report.error, "; restoring ", ShortId(entry.backup_commit),
                    " failed: ", s.message(), " — the journal is kept");
    return;
  }
  report.outcome = Outcome::kRestored;
}

}  // namespace relayguard::agent
