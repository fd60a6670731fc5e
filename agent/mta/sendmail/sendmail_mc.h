// Sendmail sendmail.mc (m4 source of sendmail.cf): a pure editor that makes the access map the
// only source of relay grants. It adds FEATURE(`access_db') when missing and deletes the
// FEATUREs that open relaying, and keeps every other byte of the file.
//
// The file is read the way m4 reads it: `...' quotes nest, '#' starts a comment to the end of
// the line (outside quotes), `dnl` discards the rest of its line and the newline, a name
// directly followed by '(' starts an argument list. From that:
//  - A FEATURE mentioned in a comment or after dnl is inactive and ignored.
//  - divert(-1) only discards output; m4 still expands macros there, so a FEATURE inside a
//    divert(-1) block is active and treated like any other.
//  - A FEATURE inside quotes (an ifdef/ifelse branch, a define body) may be active: relayguard
//    cannot evaluate the condition, so it is treated as active. Such a line is deleted like a
//    top-level one (with a warning) when deleting it cannot change the surrounding quoting.
//  - A FEATURE evaluated while m4 collects another macro's arguments (unquoted inside ifdef(...))
//    shares its line with that call, so it is an error like any other shared line.
// changequote/changecom, and a quote or argument list still open at the end of the file, make
// the file unreadable by these rules: InvalidArgument, nothing changed.
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_MC_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_MC_H_

#include <array>
#include <cstddef>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace relayguard::agent::sendmail {

// The result of an editor: the whole new file and what changed.
struct SendmailEdit {
  std::string text;                   // whole new file; == input when nothing changes
  std::vector<std::string> changed;   // e.g. "FEATURE(access_db)", "-FEATURE(promiscuous_relay)",
                                      // "access Connect:10.0.0 RELAY", "-access 10 RELAY"
  std::vector<std::string> warnings;  // things the operator should know; nothing was done about
};

// FEATUREs that make Sendmail relay for clients or recipients beyond the access map and class
// {R} (cf/README, "FEATURE"s). relay_hosts_only only narrows relaying (names then match hosts,
// not whole domains) and is kept.
inline constexpr std::array<absl::string_view, 6> kOpenRelayFeatures = {
    "promiscuous_relay",    // relay for everyone
    "relay_entire_domain",  // relay for any host in $=m (the local domain)
    "loose_relay_check",    // relay user%site@othersite on to site (othersite in {R})
    "relay_based_on_MX",    // relay for any domain that lists this host as MX
    "relay_local_from",     // relay when MAIL FROM claims a local domain (forgeable)
    "relay_mail_from",      // relay when MAIL FROM matches From:... RELAY (forgeable)
};

// Ensures FEATURE(`access_db') and removes the kOpenRelayFeatures.
//  - access_db counts as present when any active FEATURE(`access_db', ...) exists, whatever its
//    arguments (Debian writes FEATURE(`access_db', , `skip')dnl); when it is only inside quotes,
//    a warning says so. When missing, "FEATURE(`access_db')dnl" is inserted on a line of its own
//    before the first statement that needs it: a MAILER(...) or MAILER_DEFINITIONS line, or a
//    FEATURE/HACK that reads the access map when m4 includes it (greet_pause, conncontrol,
//    ratecontrol, bcc, blocklist_recipients, blacklist_recipients, compat_check,
//    lookupdotdomain, queuegroup, dnsblaccess, xconnect) or defines the mailers (nullclient);
//    at the end of the file when there is none. The line ending is the file's.
//  - A relay-opening FEATURE line is deleted ("-FEATURE(name)") only when the whole line is
//    that call with optional blanks and an optional trailing `dnl ...` or `# ...`. Otherwise
//    InvalidArgument "PATH:LINE: ... — nothing was changed" (a call spanning lines, or sharing
//    its line with other m4).
//  - FEATURE(`msp') marks a submission (submit.mc) configuration: InvalidArgument.
//  - Warnings, nothing changed: define(`_PROMISCUOUS_RELAY_') and the other macros the relay
//    FEATUREs define, RELAY_DOMAIN(...)/RELAY_DOMAIN_FILE(...) (class {R} relays to and from
//    its names), confUSE_COMPRESSED_IPV6_ADDRESSES (breaks AccessKeysFor's IPv6 keys).
// Every other byte is kept; CRLF stays CRLF; a file without a final newline keeps lacking one.
// Editing the result again gives the same text and an empty `changed`.
absl::StatusOr<SendmailEdit> EditSendmailMc(absl::string_view text, absl::string_view path);

// The active relay-opening FEATUREs (names from kOpenRelayFeatures), one per call, in file order.
// For drift checks; never fails (an unreadable file gives what could be read).
std::vector<std::string> OpenRelayFeatures(absl::string_view text);

// The same, each with the 1-based line of its call.
struct FeatureCall {
  std::string name;
  size_t line = 0;
};
std::vector<FeatureCall> OpenRelayFeatureCalls(absl::string_view text);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_MC_H_
