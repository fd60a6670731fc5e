// Reads an MTA's log lines and says what they show about relaying: refused relay attempts,
// messages relayed for untrusted and unauthenticated clients, failed SMTP AUTH. One parser per
// MTA kind (Postfix 3.7, Exim 4.96, Sendmail 8.17, as Debian 12 packages them); RE2 only (linear
// time on any line), each rule behind a cheap substring test. Lines no rule knows are counted,
// never errors. Memory is bounded: the queue-id correlation keeps at most kMaxOpenMessages.
#ifndef RELAYGUARD_AGENT_MONITOR_MTA_LOG_PARSER_H_
#define RELAYGUARD_AGENT_MONITOR_MTA_LOG_PARSER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/monitor/log_entry.h"
#include "agent/monitor/log_line.h"
#include "agent/monitor/open_messages.h"
#include "common/cidr.h"
#include "common/clock.h"

namespace relayguard::agent {

enum class LogMta { kPostfix, kExim, kSendmail };

// "postfix" | "exim" | "sendmail"; anything else is an error naming the value.
absl::StatusOr<LogMta> ParseLogMta(absl::string_view name);

// What makes a delivery a relay: the client's address and the recipient's domain.
struct RelayContext {
  std::vector<Cidr> trusted;               // trusted networks and partners (policy)
  std::vector<std::string> local_domains;  // mydestination, relay_domains, local-host-names...
};

struct ParserCounters {
  uint64_t lines = 0;          // every line fed
  uint64_t refused = 0;        // refused relay attempts (events)
  uint64_t relayed = 0;        // relayed recipients (events)
  uint64_t sasl_failures = 0;  // failed AUTH (events)
  uint64_t unknown = 0;        // well-formed lines no rule used
  uint64_t malformed = 0;      // no timestamp/header, or cut at kMaxLogLine
};

class MtaLogParser {
 public:
  static constexpr size_t kMaxOpenMessages = 10000;
  static constexpr int64_t kOpenMessageExpiryS = 3600;

  // `clock` only dates syslog lines (they have no year).
  MtaLogParser(LogMta mta, RelayContext context, Clock& clock);
  // The parser for "postfix" | "exim" | "sendmail" (agent.yaml's names); an error names others.
  static absl::StatusOr<std::unique_ptr<MtaLogParser>> Create(absl::string_view mta,
                                                              RelayContext context, Clock& clock);
  ~MtaLogParser();

  // Replaces the trusted networks and local domains (a policy change); open messages keep the
  // judgement made when their client was seen.
  void SetContext(RelayContext context);

  // Reads one line; appends the events it completes to `out`. Never fails.
  void Feed(const LogEntry& entry, std::vector<MonitorEvent>& out);

  const ParserCounters& counters() const { return counters_; }
  size_t open_messages() const { return open_.size(); }
  uint64_t dropped_messages() const { return open_.dropped(); }

 private:
  struct Patterns;

  // Each returns whether a rule used the line.
  bool FeedPostfix(const LogLine& line, absl::string_view text, std::vector<MonitorEvent>& out);
  bool FeedExim(const LogLine& line, absl::string_view text, std::vector<MonitorEvent>& out);
  bool FeedSendmail(const LogLine& line, absl::string_view text, std::vector<MonitorEvent>& out);

  bool IsTrusted(absl::string_view address) const;
  bool IsLocalDomain(absl::string_view address) const;  // the domain of user@domain
  // Emits a kRelayed event for `recipient` of `message` unless it was reported already.
  void EmitRelayed(OpenMessage& message, int64_t time_s, absl::string_view recipient,
                   absl::string_view text, std::vector<MonitorEvent>& out);
  void Emit(MonitorEvent event, std::vector<MonitorEvent>& out);

  LogMta mta_;
  RelayContext context_;
  LogLineSplitter splitter_;
  std::unique_ptr<Patterns> patterns_;
  OpenMessages open_;
  ParserCounters counters_;
};

// "refused 2026-12-05T10:00:01Z client=127.0.0.9 name=unknown from=a@b rcpt=x@y qid=- detail=..."
// A stable one-line text of an event (golden tests, logs).
std::string EventText(const MonitorEvent& event);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_MTA_LOG_PARSER_H_
