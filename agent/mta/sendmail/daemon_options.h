// Sendmail's SMTP daemons as its configuration declares them: the "O DaemonPortOptions=" lines
// of sendmail.cf (what the daemon reads: one daemon per line), and the DAEMON_OPTIONS(`...')
// calls of sendmail.mc that m4 turns into them (cf/m4/cfhead.m4 writes each call's argument
// after "O DaemonPortOptions="; proto.m4 writes "O DaemonPortOptions=Name=MTA" when the .mc has
// none, and "Port=587, Name=MSA, M=E" unless FEATURE(`no_default_msa')).
//
// A value is read as sendmail's daemon.c (setsockaddroptions) reads it: comma-separated
// fields, each "key=value" (a field without '=' is skipped), the key known by its first letter
// (A/a Addr, F/f Family, M/m Modifiers, N/n Name, P/p Port; c, D, d, I/i, L/l, q, R, r, S/s, T
// are other settings; any other letter is an error sendmail logs and ignores), blanks after
// '=' skipped. Modifiers are single letters, blanks ignored: a = require authentication,
// s = SMTP over TLS (TLS on connect), A = offer no AUTH, S = offer no STARTTLS, E = no ETRN,
// O = optional (a failed bind is ignored), b, c, C, f, h, r, u, ... (cf/README).
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_DAEMON_OPTIONS_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_DAEMON_OPTIONS_H_

#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace relayguard::agent::sendmail {

struct DaemonPortOptions {
  size_t line = 0;        // 1-based line of sendmail.cf (0: not from a line)
  std::string value;      // as written after "DaemonPortOptions=", blanks around it trimmed
  std::string name;       // Name=, trimmed ("" when absent: sendmail calls it "Daemon<N>")
  std::string family;     // Family=, lower case, trimmed ("" when absent: inet)
  std::string addr;       // Addr=, trimmed ("" when absent: every interface)
  std::string port;       // Port=, trimmed ("" when absent: the smtp service)
  std::string modifiers;  // M= letters, blanks removed
  std::vector<std::string> unknown;  // fields sendmail does not know, as written

  bool Has(char modifier) const;
};

// One value ("Port=smtp, Addr=127.0.0.1, Name=MTA, M=Ea").
DaemonPortOptions ParseDaemonPortOptions(absl::string_view value);

// Every DaemonPortOptions option of a sendmail.cf, in order: "O DaemonPortOptions=..." (the
// long name in any case, blanks around '=' allowed) and the old one-letter form "OO...".
// Comment lines are skipped; a line starting with a blank or tab continues the previous one.
std::vector<DaemonPortOptions> CfDaemonPortOptions(absl::string_view cf);

// A DAEMON_OPTIONS call of a sendmail.mc that m4 evaluates (not in a comment or after dnl).
struct McDaemonOptions {
  std::string argument;      // the first argument, quotes stripped, blanks trimmed
  size_t line = 0;           // 1-based
  bool conditional = false;  // inside quotes or another macro's arguments
};
std::vector<McDaemonOptions> McDaemonOptionsCalls(absl::string_view mc);

// The 1-based .mc line of the DAEMON_OPTIONS call that produced each cf daemon (the first
// unused call whose argument equals the value), 0 where there is none (m4's defaults, a
// hand-edited cf), in the order of `daemons`.
std::vector<size_t> MatchMcDaemonOptions(const std::vector<DaemonPortOptions>& daemons,
                                         const std::vector<McDaemonOptions>& calls);

// ${daemon_flags} as sendmail sets it for a connection to a daemon with these modifiers:
// letters separated by blanks, upper-case ones doubled ("Ea" -> "EE a").
std::string DaemonFlagsMacro(absl::string_view modifiers);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_DAEMON_OPTIONS_H_
