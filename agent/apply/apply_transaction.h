// The transaction of DESIGN.md: backup, render, validate, activate, reload, verify, and roll
// back on any failure, with a journal so an agent killed in any phase is recovered at its next
// start. Knows nothing MTA-specific (MtaDriver) and nothing of the CLI or gRPC.
#ifndef RELAYGUARD_AGENT_APPLY_APPLY_TRANSACTION_H_
#define RELAYGUARD_AGENT_APPLY_APPLY_TRANSACTION_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "agent/apply/commit_record.h"
#include "agent/apply/fault_points.h"
#include "agent/apply/journal.h"
#include "agent/auth/smoke_credential.h"
#include "agent/apply/transaction_report.h"
#include "agent/backup/git_backup_store.h"
#include "agent/mta/mta_driver.h"
#include "agent/os/file_system.h"
#include "agent/probe/relay_checker.h"
#include "common/clock.h"

namespace relayguard::agent {

struct TransactionDeps {
  MtaDriver& driver;
  FileSystem& fs;
  GitBackupStore& store;
  Journal& journal;
  RelayChecker& checker;
  Clock& clock;
  std::string stage_dir;  // scratch dir for staged validation
  // Reached at every point fault_points.h names, in apply, rollback, restore and recovery.
  FaultPoints& faults;
};

class ApplyTransaction {
 public:
  explicit ApplyTransaction(TransactionDeps deps) : d_(std::move(deps)) {}

  // Makes `policy` hold on the MTA and proves it: the untrusted probe must be refused and the
  // trusted smoke test accepted (unless the policy requires AUTH). Any failure after the first
  // write restores every file byte for byte and reloads. `dry_run` computes the diff only.
  TransactionReport Apply(const Policy& policy, bool dry_run);

  // Restores the files of `target` (default: the backup taken before the newest apply),
  // reloads, and checks that the MTA answers; on failure the files from before the rollback
  // are put back. `probe` gives the addresses for the checks.
  TransactionReport Rollback(const std::optional<std::string>& target, const ProbeSettings& probe);

  // If a journal shows an interrupted change, restores its backup commit, reloads and records a
  // recovery commit. nullopt when there was nothing to recover.
  std::optional<TransactionReport> RecoverInterrupted(const ProbeSettings& probe);

  // Where staged configurations are validated (the compliance check's AUTH preflight uses it).
  const std::string& stage_dir() const { return d_.stage_dir; }

 private:
  // The phases of Apply, in order. Each records its timing in `report`.
  // preflight and reach: the files as they are, the MTA running, every listener answering.
  absl::StatusOr<std::vector<FileSnapshot>> PreflightApply(const Policy& policy, bool dry_run,
                                                           TransactionReport& report);
  // render: the new files, and the diff, changed settings and warnings into `report`.
  absl::StatusOr<RenderedChange> RenderChange(const Policy& policy,
                                              const std::vector<FileSnapshot>& before,
                                              TransactionReport& report);
  // auth-preflight (policy.auth): the smoke credential and the SASL backend, checked against the
  // rendered files before anything is written; keeps the credential for verify.
  absl::Status PreflightAuth(const Policy& policy, const RenderedChange& change,
                             TransactionReport& report);
  // Nothing to change: whether the relay is closed right now, said in report.error.
  void VerifyUnchanged(const Policy& policy, TransactionReport& report);
  // validate, backup, then GoLive, then commit the result.
  void ApplyChange(const Policy& policy, const std::vector<FileSnapshot>& before,
                   const RenderedChange& change, TransactionReport& report);
  // activate, reload (or restart) and verify, with the backup restored when one fails. True when
  // the change is live and verified.
  bool GoLive(const Policy& policy, const std::vector<FileSnapshot>& before,
              const RenderedChange& change, const CommitRecord& record,
              TransactionReport& report);

  // The phases of Rollback: preflight (the target and both sets of files, the diff in `report`).
  struct RollbackPlan {
    std::string target_id;
    std::vector<FileSnapshot> wanted;
    std::vector<FileSnapshot> before;
  };
  absl::StatusOr<RollbackPlan> PlanRollback(const std::optional<std::string>& target,
                                            TransactionReport& report);
  // activate and reload: writes `wanted`, reloads (restarting if need be) and checks that every
  // listener answers; sets report.reloaded and report.restarted.
  // `journal` (the rollback's) is advanced to phase reload and verify as they begin.
  absl::Status ActivateTarget(const std::vector<FileSnapshot>& wanted, const ProbeSettings& probe,
                              const JournalEntry& journal, TransactionReport& report);
  // The backup commit taken before the newest apply; its summary becomes report.policy.
  absl::StatusOr<std::string> LastApplyBackup(TransactionReport& report);
  // Restores the backup named by the journal `entry` of an agent that was stopped mid-change.
  void RestoreInterrupted(const JournalEntry& entry, const ProbeSettings& probe,
                          TransactionReport& report);

  // Shared steps.
  // backup: commits `files` as the "before" commit of `record` and writes the journal (`entry`,
  // phase activate) naming it; sets report.backup_commit.
  absl::Status BackUp(const std::vector<FileSnapshot>& files, const std::string& summary,
                      CommitRecord record, JournalEntry entry, TransactionReport& report);
  // Writes the journal: `entry` in `phase`, by this process, now.
  absl::Status WriteJournal(JournalEntry entry, absl::string_view phase);
  // What ReloadAndVerify did, for a rollback's report.
  struct ReloadSteps {
    bool reloaded = false;   // the first reload (or start) succeeded
    bool restarted = false;  // a restart was needed and succeeded
  };
  // Reloads (starts the MTA when it is not running) and checks that every listener answers;
  // when that fails and `restart` was not asked for, restarts and checks again: restored files
  // may change a start-time parameter, and a reload may not bring back a listener a restart does.
  // `step` prefixes the fault points it reaches (fault_points.h); a rollback's `journal` is
  // advanced to phase reload and verify (nullptr: left as it is).
  absl::Status ReloadAndVerify(bool restart, const ProbeSettings& probe,
                               TransactionReport& report, absl::string_view step,
                               ReloadSteps* steps = nullptr,
                               const JournalEntry* journal = nullptr);
  // Commits the managed files as they are now with `record` (report.result_commit, or a warning
  // when that fails: the change itself stands), then clears the journal when `clear_journal`
  // (it is kept when a restore failed, so the next start retries it).
  void RecordResult(const CommitRecord& record, const std::string& summary, bool clear_journal,
                    TransactionReport& report);
  // Restores `backup` after a failed change and records it as `record` rolled back; sets
  // report.outcome accordingly.
  void RestoreAfterFailure(const std::vector<FileSnapshot>& backup, bool restart,
                           const ProbeSettings& probe, CommitRecord record,
                           TransactionReport& report);

  absl::StatusOr<std::vector<FileSnapshot>> ReadManagedFiles();
  absl::Status Preflight(TransactionReport& report);
  // Writes `files` to their live paths (removing absent ones), skipping identical ones; reaches
  // STEP "after-write:N" after each file written and STEP "after-activate" at the end.
  absl::Status WriteFiles(const std::vector<FileSnapshot>& files, absl::string_view step);
  // Marks the internal listeners of report.listeners and checks that every other one greets
  // the untrusted source before anything changes: one that cannot be reached could not be
  // proven closed afterwards.
  absl::Status CheckListenersAnswer(const ProbeSettings& probe, TransactionReport& report);
  // Probes every non-internal listener until the untrusted probe is refused (stable), then the
  // trusted smoke test on every relay listener (unless the policy requires AUTH), then the
  // settings; fills report.listeners.
  // `in_flight`: a change is live and journaled (reaches "during-verify").
  absl::Status VerifyClosed(const Policy& policy, TransactionReport& report, bool in_flight);
  absl::Status PollUntilRefused(const ProbeSettings& probe,
                                std::chrono::steady_clock::time_point deadline, ListenerResult& r);
  absl::Status PollUntilTrustedRelays(const ProbeSettings& probe,
                                      std::chrono::steady_clock::time_point deadline,
                                      ListenerResult& r);
  // After a restore: every listener of the restored configuration greets; for the record, what
  // an untrusted client sees on each non-internal one.
  // Reaches STEP "during-verify" once the first listener greets.
  absl::Status VerifyAnswers(const ProbeSettings& probe, TransactionReport& report,
                             absl::string_view step);
  void Fail(TransactionReport& report, absl::string_view phase, const absl::Status& status);

  TransactionDeps d_;
  // The smoke credential of the apply in progress (policy.auth), read in auth-preflight.
  std::optional<SmokeCredential> credential_;
  // Each listener's role (by endpoint) in the configuration before the change: verification
  // judges a listener by the role Render gave it, though the change may make it read otherwise
  // (require_auth removes the trusted networks' permit from a custom port's own rules).
  std::map<std::string, ListenerRole> roles_before_;
};

// The managed files of `driver` as they are now. NotFound naming a missing file;
// FailedPrecondition for one that is not a regular file.
absl::StatusOr<std::vector<FileSnapshot>> ReadLiveFiles(MtaDriver& driver, FileSystem& fs);

// The diff between two sets of files (each file's UnifiedDiff, in path order).
std::string DiffFiles(const std::vector<FileSnapshot>& before, const FileContents& after);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_APPLY_APPLY_TRANSACTION_H_
