// The apply journal: a small key=value file in the state dir that exists only while a change is
// in flight (files being written, MTA reloading, verification running). If the agent dies, the
// next start finds it and restores the backup commit it names (see RecoverInterrupted).
#ifndef RELAYGUARD_AGENT_APPLY_JOURNAL_H_
#define RELAYGUARD_AGENT_APPLY_JOURNAL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/os/file_system.h"

namespace relayguard::agent {

struct JournalEntry {
  std::string action;         // "apply", "rollback"
  std::string phase;          // the phase in progress: "activate", "reload", "verify", ...
  std::string backup_commit;  // the commit holding the files as they were before the change
  std::string policy;         // policy name, or the rollback target
  uint64_t version = 0;
  bool restart = false;       // the change needed a restart rather than a reload
  int64_t pid = 0;
  int64_t started = 0;        // seconds since the epoch

  bool operator==(const JournalEntry&) const = default;
};

// "key=value" lines. Values never contain newlines (commit ids, policy names, phase names).
std::string SerializeJournal(const JournalEntry& entry);
// InvalidArgument naming the line when the text is not a journal (e.g. torn by a crash).
absl::StatusOr<JournalEntry> ParseJournal(const std::string& text);

class Journal {
 public:
  Journal(FileSystem& fs, std::string path) : fs_(fs), path_(std::move(path)) {}

  // Replaces the journal atomically (fsynced). Safe to retry.
  absl::Status Write(const JournalEntry& entry);
  // nullopt when there is no journal.
  absl::StatusOr<std::optional<JournalEntry>> Read();
  // Removes the journal; OK when there is none.
  absl::Status Clear();
  const std::string& path() const { return path_; }

 private:
  FileSystem& fs_;
  std::string path_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_APPLY_JOURNAL_H_
