// Test support: a real systemd-journald of the test's own (tests/support/journal_lab.sh: a
// private mount namespace, its own /run, nothing written to the machine's journal). The test
// process sends entries to it and reads its journal directory.
#ifndef RELAYGUARD_TESTS_SUPPORT_JOURNAL_LAB_H_
#define RELAYGUARD_TESTS_SUPPORT_JOURNAL_LAB_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/daemon.h"

namespace relayguard::testing {

class JournalLab {
 public:
  // Starts journald and waits (10 s at most) for its socket and journal file. On failure,
  // error() says why (with journald's output) and nothing else works.
  JournalLab();
  ~JournalLab();
  JournalLab(const JournalLab&) = delete;
  JournalLab& operator=(const JournalLab&) = delete;

  const std::string& error() const { return error_; }
  // For sd_journal_open_directory: holds MACHINE-ID/system.journal.
  std::string journal_dir() const { return dir_ + "/run/log/journal"; }

  // Sends one entry over journald's native protocol (what sd_journal_send does; values may hold
  // newlines and NUL bytes). False (with error()) when the send failed.
  bool Send(const std::vector<std::pair<std::string, std::string>>& fields);
  bool Send(const std::string& identifier, const std::string& message) {
    return Send({{"SYSLOG_IDENTIFIER", identifier}, {"MESSAGE", message}});
  }
  // Runs `systemd-cat -t IDENTIFIER` inside journald's namespace with `text` on its stdin (one
  // entry per line). Its exit code.
  int SystemdCat(const std::string& identifier, const std::string& text);

  // Waits (10 s at most) until journald wrote an entry with MESSAGE=`message`.
  bool WaitForMessage(const std::string& message);

  std::string Log() const { return daemon_ ? daemon_->Log() : ""; }

 private:
  std::string dir_;
  std::string error_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace relayguard::testing

#endif  // RELAYGUARD_TESTS_SUPPORT_JOURNAL_LAB_H_
