#include "agent/apply/journal.h"

#include <unistd.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace relayguard::agent {

std::string SerializeJournal(const JournalEntry& e) {
  return absl::StrCat("action=", e.action, "\nphase=", e.phase, "\nbackup_commit=",
                      e.backup_commit, "\npolicy=", e.policy, "\nversion=", e.version,
                      "\nrestart=", e.restart ? "1" : "0", "\npid=", e.pid,
                      "\nstarted=", e.started, "\nend=1\n");
}

absl::StatusOr<JournalEntry> ParseJournal(const std::string& text) {
  JournalEntry e;
  bool complete = false;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++line_no;
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    absl::string_view key = kv.first, value = kv.second;
    bool ok = true;
    if (key == "action") e.action = std::string(value);
    else if (key == "phase") e.phase = std::string(value);
    else if (key == "backup_commit") e.backup_commit = std::string(value);
    else if (key == "policy") e.policy = std::string(value);
    else if (key == "version") ok = absl::SimpleAtoi(value, &e.version);
    else if (key == "restart") e.restart = value == "1";
    else if (key == "pid") ok = absl::SimpleAtoi(value, &e.pid);
    else if (key == "started") ok = absl::SimpleAtoi(value, &e.started);
    else if (key == "end") complete = true;
    else ok = false;
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("journal line ", line_no, " is not understood: \"",
                       absl::CHexEscape(line), "\""));
    }
  }
  if (!complete || e.backup_commit.empty()) {
    return absl::InvalidArgumentError("journal is incomplete (no end marker or backup commit)");
  }
  return e;
}

absl::Status Journal::Write(const JournalEntry& entry) {
  return fs_.WriteFileAtomic(path_, SerializeJournal(entry),
                             FileInfo{0600, getuid(), getgid(), true});
}

absl::StatusOr<std::optional<JournalEntry>> Journal::Read() {
  absl::StatusOr<std::string> text = fs_.ReadFile(path_);
  if (absl::IsNotFound(text.status())) return std::nullopt;
  if (!text.ok()) return text.status();
  absl::StatusOr<JournalEntry> entry = ParseJournal(*text);
  if (!entry.ok()) {
    return absl::DataLossError(absl::StrCat(path_, ": ", entry.status().message()));
  }
  return std::optional<JournalEntry>(*entry);
}

absl::Status Journal::Clear() { return fs_.RemoveFile(path_); }

}  // namespace relayguard::agent
