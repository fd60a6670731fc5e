// What a backup commit records: the typed form of its "Relayguard-<Key>: <value>" trailers.
// Every commit relayguard makes (before and after an apply or a rollback, after a failed change,
// after a recovery, a compliance baseline) is written from a CommitRecord and read back into one,
// so the keys and their values are spelled in one place. The trailer names and values are a
// stored format: commits written by earlier agents must keep parsing.
#ifndef RELAYGUARD_AGENT_APPLY_COMMIT_RECORD_H_
#define RELAYGUARD_AGENT_APPLY_COMMIT_RECORD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace relayguard::agent {

enum class CommitAction { kApply, kRollback, kRecovery, kBaseline };
// "apply", "rollback", "recovery", "baseline"
const char* CommitActionName(CommitAction action);
std::optional<CommitAction> ParseCommitAction(absl::string_view name);

// Where in an apply or a rollback the commit was made.
enum class CommitPhase {
  kBefore,      // the backup, taken before anything changed
  kAfter,       // the result of a change that was verified
  kRolledBack,  // the result of restoring the backup after the change failed
};
// "before", "after", "rolled-back"
const char* CommitPhaseName(CommitPhase phase);
std::optional<CommitPhase> ParseCommitPhase(absl::string_view name);

enum class CommitOutcome {
  kApplied,         // an apply verified
  kRolledBack,      // a failed change, its backup restored
  kRollbackFailed,  // a failed change, restoring its backup failed too
  kRestored,        // a rollback or a recovery put the earlier files back
  kRecoveryFailed,  // restoring after an interrupted change failed
};
// "applied", "rolled-back", "rollback-failed", "restored", "recovery-failed"
const char* CommitOutcomeName(CommitOutcome outcome);
std::optional<CommitOutcome> ParseCommitOutcome(absl::string_view name);

// Which fields a commit carries depends on its action and phase:
//   apply:     Phase, Policy, Version, Mta; rollback: Phase, Target;
//     phase after or rolled-back also Backup and Outcome; after an apply also Settings;
//     rolled-back also FailedPhase and Reason.
//   recovery:  Backup, InterruptedAction, InterruptedPhase, Policy, Outcome.
//   baseline:  Policy, Version.
// Fields an action does not carry are left empty and not written.
struct CommitRecord {
  CommitAction action = CommitAction::kApply;
  CommitPhase phase = CommitPhase::kBefore;  // apply and rollback only
  std::string policy;                // policy name (recovery: the interrupted change's policy)
  uint64_t version = 0;
  std::string mta;                   // "postfix 3.7.11"
  std::string target;                // rollback: the commit whose files were restored
  std::string backup;                // the backup commit of the change
  CommitOutcome outcome = CommitOutcome::kApplied;
  // apply after: the settings changed, joined by spaces as written to the trailer (it is not
  // split back: a setting's description holds spaces itself, "main.cf:12 mynetworks").
  std::string settings;
  std::string failed_phase;           // rolled-back: the phase that failed
  std::string reason;                 // rolled-back: why, on one line
  std::string interrupted_action;     // recovery: the journal's action and phase
  std::string interrupted_phase;

  // True for the commits that end a change (after, rolled-back, recovery): they name the backup
  // and carry an outcome.
  bool HasOutcome() const;

  // The trailers GitBackupStore::Commit writes ("Action" -> "apply", ...).
  std::map<std::string, std::string> ToTrailers() const;

  // The record of commit `commit_id` from its trailers. InvalidArgument naming the commit and the
  // key when a key the action needs is missing or a value is not one relayguard writes. Keys
  // relayguard does not know are ignored (a newer agent may add some).
  static absl::StatusOr<CommitRecord> FromTrailers(
      absl::string_view commit_id, const std::map<std::string, std::string>& trailers);

  bool operator==(const CommitRecord&) const = default;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_APPLY_COMMIT_RECORD_H_
