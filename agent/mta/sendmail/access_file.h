// Sendmail's access map source (/etc/mail/access, compiled by `makemap hash`): a pure editor that
// makes RELAY hold for the policy's relay clients and relay domains, removes the grants that
// let strangers relay (access_grants.h), keeps the admin's narrow grants, and keeps every other
// byte of the file.
//
// The format, as makemap(8) reads it: a line starting with '#' is a comment, an empty line is
// skipped, a line starting with whitespace is a syntax error; otherwise the key runs up to the
// first whitespace and the value is the rest of the line. Keys are folded to lower case. A key
// may carry a tag: "Connect:" (the client's address or name), "To:" (the recipient's domain),
// "From:", "Spam:", "GreetPause:", ...; an untagged key is the fallback for every lookup.
// Client addresses are matched by prefix (access_keys.h).
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_FILE_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_FILE_H_

#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/sendmail/access_grants.h"
#include "agent/mta/sendmail/access_keys.h"

namespace relayguard::agent::sendmail {

// A RELAY entry EditAccessFile removes (or retags) because it lets strangers relay.
struct RemovedGrant {
  size_t line = 0;          // 1-based
  std::string key;          // as written
  std::string grants;       // "lets clients in 127.0.0.0/8 relay"
  std::string reason;       // "it contains the untrusted probe source 127.0.0.9"
  std::string replacement;  // "Connect:NAME RELAY" when the line was retagged, else ""
};

struct AccessEdit {
  std::string text;                   // whole new file; == input when nothing changes
  std::vector<std::string> changed;   // "-access Connect:127 RELAY", "access Connect:10 RELAY"
  std::vector<std::string> warnings;  // "PATH:LINE: ...": kept, but the operator should know
  std::vector<std::string> kept;      // "PATH:LINE: KEY RELAY lets ... relay": admin grants kept
  std::vector<RemovedGrant> removed;  // what let strangers relay, in file order
};

// Makes the access map hold `want` (a value counts as RELAY when it is that word, any case,
// blanks around it ignored):
//  - an entry that is one of the wanted keys (AccessKeysFor of each relay network, with the
//    "Connect:" tag or untagged, and "To:<domain>" for each relay domain, ignoring case) stays;
//  - every other RELAY entry is judged by JudgeRelayEntry: deleted ("-access KEY RELAY"),
//    kept (an admin grant is reported in `kept`), or retagged in place ("-access NAME RELAY",
//    "access Connect:NAME RELAY"; deleted instead when "Connect:NAME" exists already);
//  - non-RELAY entries, comments and malformed lines are kept byte for byte; From: RELAY
//    entries too (they act only with FEATURE(`relay_mail_from'), which the .mc editor
//    removes), with a warning;
//  - then the missing wanted keys ("access Connect:10.1.2 RELAY", policy order) and
//    "To:<domain> RELAY" for each missing relay domain are appended, as "KEY<TAB>RELAY".
// A wanted key that already exists with another value (say "Connect:10.1.2 REJECT") cannot get
// a second entry (makemap refuses duplicate keys): InvalidArgument "PATH:LINE: ... — nothing was
// changed", as for a relay domain that cannot be a key or a network with too many keys.
// Lines makemap refuses (leading whitespace, which includes a blank line of a CRLF file, or a
// key without a value) are kept, with a warning. CRLF stays CRLF (makemap then keeps the '\r'
// in every value); a file without a final newline keeps lacking one. Idempotent.
absl::StatusOr<AccessEdit> EditAccessFile(absl::string_view text, const AccessPolicy& want,
                                          absl::string_view path);

// The keys of the RELAY entries, as written, in file order (for drift checks).
std::vector<std::string> AccessRelayKeys(absl::string_view text);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_FILE_H_
