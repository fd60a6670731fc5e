// One line of the MTA's log as a follower read it (agent/monitor/log_follower.h), and what the
// parsers (agent/monitor/mta_log_parser.h) make of it. Shared by the log monitor's parts.
#ifndef RELAYGUARD_AGENT_MONITOR_LOG_ENTRY_H_
#define RELAYGUARD_AGENT_MONITOR_LOG_ENTRY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace relayguard::agent {

// The longest line the monitor keeps whole (journald's LineMax default is 48 KiB); a longer line
// is cut there and counted as malformed by the parsers.
inline constexpr size_t kMaxLogLine = 64 * 1024;

struct LogEntry {
  // A log file's line without its newline, whole: the parser reads the timestamp (traditional
  // syslog "Dec  5 10:00:01", RFC 3339, or Exim's "2026-12-05 10:00:01") and the program from it.
  // From the journal: the MESSAGE field only; identifier, pid and time come from the entry.
  std::string text;
  bool from_journal = false;
  std::string identifier;  // journal: SYSLOG_IDENTIFIER ("postfix/smtpd", "exim", "sm-mta")
  int64_t pid = 0;         // journal: _PID or SYSLOG_PID (0 if absent)
  int64_t time_us = 0;     // journal: __REALTIME_TIMESTAMP (microseconds since the epoch)
};

enum class MonitorEventKind {
  kRefusedRelay,  // the MTA refused a recipient because relaying was denied
  kRelayed,       // a message from an untrusted, unauthenticated client sent to a foreign domain
  kSaslFailure,   // a failed SMTP AUTH attempt
};

// "refused-relay", "relayed", "sasl-failure".
inline const char* MonitorEventKindName(MonitorEventKind kind) {
  switch (kind) {
    case MonitorEventKind::kRefusedRelay: return "refused-relay";
    case MonitorEventKind::kRelayed: return "relayed";
    case MonitorEventKind::kSaslFailure: return "sasl-failure";
  }
  return "unknown";
}

struct MonitorEvent {
  MonitorEventKind kind = MonitorEventKind::kRefusedRelay;
  int64_t time_s = 0;              // seconds since the epoch, from the line (or the journal)
  std::string client_address;      // the client's IP address as text ("127.0.0.9", "2001:db8::1")
  std::string client_name;         // what the MTA logged for it ("unknown" if nothing)
  std::string sender;              // envelope sender when logged ("" if unknown or null)
  std::vector<std::string> recipients;  // refused: the one recipient; relayed: the foreign ones
  std::string queue_id;            // the MTA's queue id ("" for NOQUEUE)
  std::string detail;              // refused: the reply ("554 5.7.1 ..."); sasl: the mechanism
  std::vector<std::string> lines;  // the log lines that prove it (at most 4, each <= 1 KiB)
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_LOG_ENTRY_H_
