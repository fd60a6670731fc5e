// The RE2 patterns of MtaLogParser (private to agent/monitor/mta_log_parser*.cc). Each is
// applied only to a line that passed a cheap substring test. Their line formats, with real
// examples, are the golden cases in tests/data/monitor/.
#ifndef RELAYGUARD_AGENT_MONITOR_LOG_PATTERNS_H_
#define RELAYGUARD_AGENT_MONITOR_LOG_PATTERNS_H_

#include "absl/strings/string_view.h"
#include "agent/monitor/mta_log_parser.h"
#include "re2/re2.h"

namespace relayguard::agent {

struct MtaLogParser::Patterns {
  // "name [ip]", "[ip]", "name (helo) [ip]:port", "[IPv6:2001:db8::1]": name (may be empty or
  // "(helo)"), address.
  RE2 host_address{R"(^(.*?)\s?\[(?:IPv6:)?([^\]\s]+)\])"};

  // Postfix
  RE2 postfix_refused{
      R"(^([0-9A-Za-z]+): reject: RCPT from ([^\[\s]*)\[([^\]\s]*)\](?::\d+)?: ([45]\d\d [45]\.\d+\.\d+ <([^>]*)>: Relay access denied)(?:; from=<([^>]*)>)?)"};
  RE2 postfix_sasl{
      R"(^warning: ([^\[\s]*)\[([^\]\s]*)\](?::\d+)?: SASL (\S+) authentication failed)"};
  RE2 postfix_client{R"(^([0-9A-Za-z]+): client=([^\[\s]*)\[([^\]\s]*)\](?::\d+)?(.*)$)"};
  RE2 postfix_from{R"(^([0-9A-Za-z]+): from=<([^>]*)>)"};
  RE2 postfix_to{
      R"(^([0-9A-Za-z]+): to=<([^>]*)>(?:, orig_to=<([^>]*)>)?, relay=.*, status=(\w+))"};
  RE2 postfix_removed{R"(^([0-9A-Za-z]+): removed$)"};

  // Exim (message ids: 4.96 "1xZnDx-0004ms-1A", 4.97+ "1xZnDx-000000004ms-1A")
  RE2 exim_refused{
      R"((?:^|\s)H=(.*?)\s?\[([^\]\s]+)\](?::\d+)?(?:\s.*?)?\sF=<([^>]*)>.*?\srejected RCPT <([^>]*)>: (.*)$)"};
  RE2 exim_sasl{R"(^(\S+) authenticator failed for (?:H=)?(.*?)\s?\[([^\]\s]+)\](?::\d+)?: (.*)$)"};
  RE2 exim_arrival{R"(^([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) <= (\S+) (.*)$)"};
  RE2 exim_host{R"((?:^|\s)H=(.*?)\s?\[([^\]\s]+)\])"};
  RE2 exim_auth{R"((?:^|\s)A=(\S+))"};
  RE2 exim_delivery{
      R"(^([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) ([=-]>) (\S+)(?: <([^>]*)>)?(.*)$)"};
  RE2 exim_transport{R"(\sT=(\S+))"};
  RE2 exim_completed{R"(^([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) Completed)"};

  // Sendmail
  RE2 sendmail_refused{
      R"(^(?:([0-9A-Za-z]+): )?ruleset=check_rcpt, arg1=<?([^,>]*)>?, relay=(.*?), reject=([45]\d\d [45]\.\d+\.\d+ .*)$)"};
  RE2 sendmail_sasl{R"(^(?:[0-9A-Za-z]+: )?AUTH failure \(([^)]*)\): .*?, relay=(.*)$)"};
  RE2 sendmail_from{R"(^([0-9A-Za-z]+): from=<?([^,>]*)>?, size=.*, relay=(.*)$)"};
  RE2 sendmail_proto{R"(, proto=([A-Z]+),)"};
  RE2 sendmail_to{
      R"(^([0-9A-Za-z]+): to=(.*?), (?:ctladdr=.*?, )?delay=.*?, mailer=([^,]+), .*?stat=(\w+))"};
};

inline absl::string_view View(const re2::StringPiece& piece) {
  return absl::string_view(piece.data(), piece.size());
}
inline re2::StringPiece Piece(absl::string_view text) {
  return re2::StringPiece(text.data(), text.size());
}

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_LOG_PATTERNS_H_
