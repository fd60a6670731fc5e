// Splits one mail log line into its time, program, pid and message, whatever wrote it: a
// traditional syslog daemon ("Dec  5 10:00:01 host postfix/smtpd[123]: ..."), rsyslog's RFC 3339
// format (Debian 12's default, "2026-12-05T10:00:01.123456+01:00 host ..."), Postfix's own
// maillog_file ("Dec 05 10:00:01 host postfix/smtpd[123]: ..."), Exim's mainlog
// ("2026-12-05 10:00:01 [123] 1abcDE-000123-AB <= ...", the [pid] and a "+0100" zone optional),
// or the journal (the entry's fields are already split).
#ifndef RELAYGUARD_AGENT_MONITOR_LOG_LINE_H_
#define RELAYGUARD_AGENT_MONITOR_LOG_LINE_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "agent/monitor/log_entry.h"
#include "common/clock.h"

namespace relayguard::agent {

struct LogLine {
  int64_t time_s = 0;         // seconds since the epoch
  absl::string_view program;  // "postfix/smtpd", "exim", "sm-mta"; Exim's own log: "exim"
  int64_t pid = 0;            // 0 when the line has none
  absl::string_view message;  // what follows "program[pid]: " (Exim's log: after the time/pid)
};

class LogLineSplitter {
 public:
  // `clock` gives the year of syslog timestamps, which have none: the current year, or the
  // previous one when that would put the line more than a day in the future. Times without a
  // zone are the host's local time.
  explicit LogLineSplitter(Clock& clock) : clock_(clock) {}

  // Fills `out` (views into entry.text) and returns true; false when the line has no
  // timestamp or header this knows (the caller counts it as malformed). Never throws.
  bool Split(const LogEntry& entry, LogLine& out) const;

 private:
  bool SplitSyslog(absl::string_view text, LogLine& out) const;
  bool SplitIsoTime(absl::string_view text, LogLine& out) const;

  Clock& clock_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_LOG_LINE_H_
