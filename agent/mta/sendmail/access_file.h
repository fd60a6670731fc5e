// Sendmail's access map source (/etc/mail/access, compiled by `makemap hash`): a pure editor that
// makes RELAY hold exactly for the policy's networks and relay domains, and keeps every other
// byte of the file.
//
// The format, as makemap(8) reads it: a line starting with '#' is a comment, an empty line is
// skipped, a line starting with whitespace is a syntax error; otherwise the key runs up to the
// first whitespace and the value is the rest of the line. Keys are folded to lower case. A key
// may carry a tag: "Connect:" (the client's address or name), "To:" (the recipient's domain),
// "From:", "Spam:", "GreetPause:", ...; an untagged key is the fallback for every lookup.
//
// How Sendmail matches client addresses (cf/m4/proto.m4, ruleset LookUpAddress): it looks up
// "Connect:" + ${client_addr}, then strips the last component and tries again. An IPv4 client
// address is a dotted quad, so "10.1.2" covers 10.1.2.0/24. An IPv6 client address is "IPv6:"
// and eight groups in lower-case hex without leading zeros, uncompressed
// ("IPv6:2001:db8:0:0:0:0:0:1"; the default unless UseCompressedIPv6Addresses is set), so
// "IPv6:2001:db8" covers 2001:db8::/32. IPv4-mapped clients (::ffff:a.b.c.d) are dotted quads.
// Relaying from 127.0.0.1 and ::1 is always allowed (ruleset Relay_ok), access map or not.
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_FILE_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_FILE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/mta/sendmail/sendmail_mc.h"
#include "common/cidr.h"

namespace relayguard::agent::sendmail {

struct AccessPolicy {
  std::vector<Cidr> relay_networks;        // clients that may relay
  std::vector<std::string> relay_domains;  // recipient domains anyone may relay to
};

// The "Connect:" access keys that together cover exactly `network`, ascending. IPv4 keys have
// whole octets ("Connect:10" = 10/8, "Connect:10.1.2.3" = /32), IPv6 keys whole 16-bit groups
// ("Connect:IPv6:2001:db8" = /32, "Connect:IPv6:0:0:0:0:0:0:0:1" = ::1/128, "Connect:IPv6" =
// ::/0). A prefix between boundaries expands to the keys of the next boundary (/23 -> two /24
// keys). Host bits are ignored. Networks inside ::ffff:0:0/96 get the keys of their IPv4 network.
// More than 256 keys: InvalidArgument naming the network.
absl::StatusOr<std::vector<std::string>> AccessKeysFor(const Cidr& network);

// Makes RELAY hold exactly for `want` (a value counts as RELAY when it is that word, any case,
// blanks around it ignored):
//  - a RELAY entry keyed by an address or network ("10.1.2", "Connect:10.1", "IPv6:2001:db8",
//    "Connect:IPv6:...") whose key is not one of the wanted keys (AccessKeysFor, with the
//    "Connect:" tag, compared ignoring case) is deleted ("-access KEY RELAY");
//  - a RELAY entry keyed by a name ("example.com", "To:example.com", "Connect:host",
//    "To:user@example.com", "[192.0.2.1]") whose name is not a relay domain is deleted likewise;
//    one that is a relay domain but not "To:" is kept, with a warning when it is "Connect:";
//  - entries that only name 127.0.0.1, ::1 or localhost[.*] are kept (Sendmail trusts them
//    anyway); other RELAY entries (From:, Spam:, ...) and every non-RELAY entry, comment and
//    malformed line are kept byte for byte;
//  - then the missing wanted keys ("access Connect:10.1.2 RELAY", policy order) and
//    "To:<domain> RELAY" for each missing relay domain are appended, as "KEY<TAB>RELAY".
// A wanted key that already exists with another value (say "Connect:10.1.2 REJECT") cannot get
// a second entry (makemap refuses duplicate keys): InvalidArgument "PATH:LINE: ... — nothing was
// changed", as for a relay domain that cannot be a key or a network with too many keys.
// Lines makemap refuses (leading whitespace, which includes a blank line of a CRLF file, or a
// key without a value) are kept, with a warning. CRLF stays CRLF (makemap then keeps the '\r'
// in every value); a file without a final newline keeps lacking one. Idempotent.
absl::StatusOr<SendmailEdit> EditAccessFile(std::string_view text, const AccessPolicy& want,
                                            std::string_view path);

// The keys of the RELAY entries, as written, in file order (for drift checks).
std::vector<std::string> AccessRelayKeys(std::string_view text);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_FILE_H_
