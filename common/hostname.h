// The one rule for host names: agent names (the hello's host and its certificate CN), HELO names,
// relay domains and SMTP endpoints.
#ifndef RELAYGUARD_COMMON_HOSTNAME_H_
#define RELAYGUARD_COMMON_HOSTNAME_H_

#include "absl/strings/string_view.h"

namespace relayguard {

// A host name as RFC 952/1123 spell it: dot-separated labels of letters, digits and '-', no label
// empty, longer than 63 or starting or ending with '-', at most 253 characters in all.
//
// '_' is refused: it is not valid in a host name (hostname(7), RFC 1123), mail domains cannot
// carry it (RFC 5321), and public CAs no longer issue certificates with it (CA/B Forum ballot
// SC12), so an agent named with one could not match its certificate once that is renewed. One
// rule for the agent names the controller accepts and the names a policy may use keeps a host
// that a policy can name from being refused by the controller, and the other way round.
bool ValidHostName(absl::string_view name);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_HOSTNAME_H_
