// Where an MTA's log is on a Debian host, when agent.yaml does not say: its log file where
// Debian's packages (or rsyslog) write it, else the journal.
#ifndef RELAYGUARD_AGENT_MONITOR_LOG_SOURCE_DETECT_H_
#define RELAYGUARD_AGENT_MONITOR_LOG_SOURCE_DETECT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/os/file_system.h"

namespace relayguard::agent {

struct LogSource {
  enum class Kind { kFile, kJournal };
  Kind kind = Kind::kFile;
  std::string path;                  // kFile: the log file
  std::vector<std::string> matches;  // kJournal: DefaultJournalMatches(mta_kind)
  std::string why;                   // what was chosen and why, for the log and `status`
};

// `mta_kind`: "postfix", "exim" or "sendmail". `postfix_maillog_file`: Postfix's maillog_file
// (`postconf -h maillog_file`, "" when unset); it wins when set. Then the MTA's usual file when
// it exists (/var/log/mail.log from rsyslog; Exim's /var/log/exim4/mainlog), else the journal when
// /run/systemd/journal or /var/log/journal exists. NotFound (listing what was looked at, saying
// to set monitor.source in agent.yaml) when none is there; InvalidArgument for another kind.
absl::StatusOr<LogSource> DetectLogSource(const std::string& mta_kind, FileSystem& fs,
                                          const std::string& postfix_maillog_file = "");

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_LOG_SOURCE_DETECT_H_
