// The transaction of DESIGN.md: backup, render, validate, activate, reload, verify, and roll
// back on any failure, with a journal so an agent killed in any phase is recovered at its next
// start. Knows nothing MTA-specific (MtaDriver) and nothing of the CLI or gRPC.
#ifndef RELAYGUARD_AGENT_APPLY_APPLY_TRANSACTION_H_
#define RELAYGUARD_AGENT_APPLY_APPLY_TRANSACTION_H_

#include <functional>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "agent/apply/journal.h"
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
  // Called at "after-backup", "after-activate", "after-reload"; tests kill the agent there.
  std::function<void(absl::string_view point)> fault_point = [](absl::string_view) {};
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

 private:
  absl::StatusOr<std::vector<FileSnapshot>> ReadManagedFiles();
  absl::Status Preflight(TransactionReport& report);
  // Writes `files` to their live paths (removing absent ones), skipping identical ones.
  absl::Status WriteFiles(const std::vector<FileSnapshot>& files);
  // Marks the internal listeners of report.listeners and checks that every other one greets
  // the untrusted source before anything changes: one that cannot be reached could not be
  // proven closed afterwards.
  absl::Status CheckListenersAnswer(const ProbeSettings& probe, TransactionReport& report);
  // Probes every non-internal listener until the untrusted probe is refused (stable), then the
  // trusted smoke test on every relay listener (unless the policy requires AUTH), then the
  // settings; fills report.listeners.
  absl::Status VerifyClosed(const Policy& policy, TransactionReport& report);
  absl::Status PollUntilRefused(const ProbeSettings& probe,
                                std::chrono::steady_clock::time_point deadline, ListenerResult& r);
  absl::Status PollUntilTrustedRelays(const ProbeSettings& probe,
                                      std::chrono::steady_clock::time_point deadline,
                                      ListenerResult& r);
  // After a restore: every listener of the restored configuration greets; for the record, what
  // an untrusted client sees on each non-internal one.
  absl::Status VerifyAnswers(const ProbeSettings& probe, TransactionReport& report);
  // Restores `backup` after a failed change and records it; sets outcome accordingly.
  void RestoreAfterFailure(const std::vector<FileSnapshot>& backup, bool restart,
                           const ProbeSettings& probe, TransactionReport& report,
                           std::map<std::string, std::string> trailers);
  void Fail(TransactionReport& report, absl::string_view phase, const absl::Status& status);

  TransactionDeps d_;
};

// The managed files of `driver` as they are now. NotFound naming a missing file;
// FailedPrecondition for one that is not a regular file.
absl::StatusOr<std::vector<FileSnapshot>> ReadLiveFiles(MtaDriver& driver, FileSystem& fs);

// The diff between two sets of files (each file's UnifiedDiff, in path order).
std::string DiffFiles(const std::vector<FileSnapshot>& before, const FileContents& after);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_APPLY_APPLY_TRANSACTION_H_
