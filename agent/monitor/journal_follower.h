// Follows the systemd journal (sd-journal) for the MTA's entries: from the tail on the first
// start, from the saved cursor after that.
#ifndef RELAYGUARD_AGENT_MONITOR_JOURNAL_FOLLOWER_H_
#define RELAYGUARD_AGENT_MONITOR_JOURNAL_FOLLOWER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/monitor/log_follower.h"
#include "agent/monitor/wake_fd.h"
#include "agent/os/file_system.h"
#include "spdlog/spdlog.h"

typedef struct sd_journal sd_journal;

namespace relayguard::agent {

struct JournalFollowerOptions {
  // "FIELD=value" matches, ORed: an entry is read when any of them matches. Empty: every entry.
  std::vector<std::string> matches;
  // "" : the local journal (SD_JOURNAL_LOCAL_ONLY); else the journal files in this directory and
  // its machine-id subdirectories (tests, a container's journal).
  std::string directory;
  std::string cursor_file;  // where SavePosition writes; "" keeps no position
  std::string name;         // for Describe(): "journal NAME" ("postfix")
};

// The journal entries an MTA of `mta_kind` ("postfix", "exim", "sendmail") writes on Debian 12:
// its units and its syslog identifiers.
std::vector<std::string> DefaultJournalMatches(const std::string& mta_kind);

class JournalFollower : public LogFollower {
 public:
  // Opens the journal and adds the matches; an error says which. Nothing is read yet.
  static absl::StatusOr<std::unique_ptr<JournalFollower>> Open(JournalFollowerOptions options,
                                                               FileSystem& fs);
  ~JournalFollower() override;
  JournalFollower(const JournalFollower&) = delete;
  JournalFollower& operator=(const JournalFollower&) = delete;

  // The first call seeks to the saved cursor (skipping that entry itself) or, without one, to the
  // tail. Entries become LogEntry{MESSAGE cut at kMaxLogLine, SYSLOG_IDENTIFIER, _PID or
  // SYSLOG_PID, __REALTIME_TIMESTAMP}.
  absl::Status Read(std::vector<LogEntry>& out, size_t max) override;
  // poll() on the journal's fd with sd_journal_get_timeout, then sd_journal_process.
  void Wait(std::chrono::milliseconds timeout) override;
  void Wake() override { wake_.Signal(); }
  absl::Status SavePosition() override;
  std::string Describe() const override { return "journal " + options_.name; }

 private:
  JournalFollower(JournalFollowerOptions options, FileSystem& fs, sd_journal* journal);
  void Start();
  LogEntry ToEntry();

  JournalFollowerOptions options_;
  FileSystem& fs_;
  sd_journal* journal_;
  std::shared_ptr<spdlog::logger> log_;
  bool started_ = false;
  bool pending_current_ = false;  // the seek landed on an entry not read yet
  std::string cursor_;            // of the last entry handed out ("" none yet)
  WakeFd wake_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_JOURNAL_FOLLOWER_H_
