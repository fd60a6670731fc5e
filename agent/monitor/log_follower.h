// A source of new mail-log lines: a log file followed across rotations (file_follower.h) or the
// journal (journal_follower.h). The monitor loop reads, parses, waits, and saves the position.
#ifndef RELAYGUARD_AGENT_MONITOR_LOG_FOLLOWER_H_
#define RELAYGUARD_AGENT_MONITOR_LOG_FOLLOWER_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/monitor/log_entry.h"

namespace relayguard::agent {

class LogFollower {
 public:
  virtual ~LogFollower() = default;

  // Appends up to `max` new entries to `out` (complete lines only: a partial last line waits for
  // its newline); never blocks. An error (the file vanished and nothing replaced it yet, the
  // journal cannot be read) says what and where; the follower keeps trying on the next call, so
  // the caller logs it and goes on.
  virtual absl::Status Read(std::vector<LogEntry>& out, size_t max) = 0;

  // Waits up to `timeout` for more to read; returns early when something may have arrived or when
  // Wake() is called. A spurious return is harmless: Read then returns nothing.
  virtual void Wait(std::chrono::milliseconds timeout) = 0;

  // From any thread: ends the current (or the next) Wait now, e.g. at shutdown.
  virtual void Wake() = 0;

  // Persists the position just after the last entry Read returned (an atomic write in the state
  // dir), so that a new follower for the same source resumes exactly there. Safe to retry.
  virtual absl::Status SavePosition() = 0;

  // What is followed, for logs and messages: "file /var/log/mail.log", "journal postfix".
  virtual std::string Describe() const = 0;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_LOG_FOLLOWER_H_
