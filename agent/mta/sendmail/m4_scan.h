// How m4 reads a sendmail.mc, as far as relayguard needs it: where the macro calls it cares
// about are (FEATURE, HACK, MAILER, define, RELAY_DOMAIN, DAEMON_OPTIONS, ...), whether m4 would
// evaluate them, their first argument, and m4's quoting state at the start of every line. The
// rules (sendmail_mc.h has the details): `...' quotes nest, '#' starts a comment to the end of
// the line outside quotes, `dnl` discards the rest of its line and the newline, a name directly
// followed by '(' starts an argument list. changequote/changecom and a quote or argument list
// still open at the end of the file are reported as a problem: the file cannot be read safely.
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_M4_SCAN_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_M4_SCAN_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace relayguard::agent::sendmail {

inline bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// m4's reading state between two characters.
struct M4State {
  int quote = 0;  // nesting depth of `...'
  int paren = 0;  // depth of argument-list parentheses (only counted outside quotes)
  bool operator==(const M4State&) const = default;
};

// A call of one of the recorded macros that m4 would evaluate (not in a comment, not after dnl).
struct Call {
  absl::string_view macro;
  std::string name;            // first argument, quotes stripped and trimmed; "" without arguments
  std::string second;          // second argument, the same way ("" without one)
  bool has_arguments = false;  // the macro name is directly followed by '('
  size_t line = 0;             // index of the line holding the macro name
  size_t begin = 0;            // offset of the macro name
  std::optional<size_t> end;   // offset after the closing ')' (or after the name); nullopt
                               // when the argument list never closes
  bool quoted = false;         // inside quotes: evaluated only if the enclosing text is
  bool in_arguments = false;   // evaluated while m4 collects another macro's arguments
};

struct M4Scan {
  std::vector<M4State> line_start;  // state at the start of each line, and at the end of file
  std::vector<Call> calls;
  std::string problem;  // set when the file cannot be read by these rules
  size_t problem_line = 0;
};

// Reads `text` the way m4 does and records the calls of FEATURE, HACK, MAILER,
// MAILER_DEFINITIONS, define, RELAY_DOMAIN, RELAY_DOMAIN_FILE, DAEMON_OPTIONS and
// TRUST_AUTH_MECH that m4 would evaluate (not those in comments or after dnl; those inside quotes with `quoted`).
M4Scan ScanM4(absl::string_view text);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_M4_SCAN_H_
