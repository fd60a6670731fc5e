// How Sendmail matches a client address against address keys (the access map's "Connect:" and
// untagged keys, and the address prefixes of class {R}), in both directions: the keys that
// cover a network, and the network a key covers.
//
// Sendmail writes a client address as a dotted quad ("192.0.2.7"), or as "IPv6:" and eight
// groups in lower-case hex without leading zeros, uncompressed ("IPv6:2001:db8:0:0:0:0:0:1";
// the default unless UseCompressedIPv6Addresses is set); IPv4-mapped clients (::ffff:a.b.c.d)
// are dotted quads. Ruleset LookUpAddress (cf/m4/proto.m4) looks the address up, then strips
// the last component and tries again: "10.1.2" covers 10.1.2.0/24, "IPv6:2001:db8" covers
// 2001:db8::/32, "IPv6" covers ::/0. There is no IPv4 key shorter than one octet. A client
// without a reverse name is also looked up by name as "[192.0.2.7]" (LookUpDomain), which is
// stripped the same way, so "[10.1]" covers 10.1.0.0/16 for such clients.
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_KEYS_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_KEYS_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "common/cidr.h"

namespace relayguard::agent::sendmail {

// The "Connect:" access keys that together cover exactly `network`, ascending. IPv4 keys have
// whole octets ("Connect:10" = 10/8, "Connect:10.1.2.3" = /32), IPv6 keys whole 16-bit groups
// ("Connect:IPv6:2001:db8" = /32, "Connect:IPv6:0:0:0:0:0:0:0:1" = ::1/128, "Connect:IPv6" =
// ::/0). A prefix between boundaries expands to the keys of the next boundary (/23 -> two /24
// keys). Host bits are ignored. Networks inside ::ffff:0:0/96 get the keys of their IPv4 network.
// More than 256 keys: InvalidArgument naming the network.
absl::StatusOr<std::vector<std::string>> AccessKeysFor(const Cidr& network);

// The network of client addresses an address key matches, from the key without its tag, in
// any case: "127" -> 127.0.0.0/8, "10.1.2.3" -> 10.1.2.3/32, "IPv6:2001:DB8" -> 2001:db8::/32,
// "IPv6" -> ::/0, "[10.1]" -> 10.1.0.0/16. A compressed IPv6 key ("IPv6:2001:db8::1") matches
// only that address (with UseCompressedIPv6Addresses): /128. nullopt when the key is not an
// address key (a host or domain name), or can never match a client (a leading zero, an octet
// above 255, more than four octets).
std::optional<Cidr> AccessKeyNetwork(absl::string_view key);

// Whether the key looks like an address key (digits and dots, "IPv6", "IPv6:...", or either
// in brackets), matching a client or not.
bool IsAddressKey(absl::string_view key);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_ACCESS_KEYS_H_
