// The SMTP AUTH extension as an EHLO reply lists it (RFC 4954 "250-AUTH PLAIN LOGIN", and the
// pre-standard "250-AUTH=PLAIN LOGIN" some servers add for old Outlook clients). Pure.
#ifndef RELAYGUARD_AGENT_AUTH_EHLO_AUTH_H_
#define RELAYGUARD_AGENT_AUTH_EHLO_AUTH_H_

#include <string>
#include <vector>

namespace relayguard::agent {

// The mechanisms of every AUTH line of `ehlo_reply` (lines joined by '\n', as SmtpReply::text),
// upper-cased, each once, in order of appearance. Empty when AUTH is not advertised. The first
// line (the server's greeting name) never counts.
std::vector<std::string> AuthMechanismsOf(const std::string& ehlo_reply);

// Whether EHLO lists the keyword (case-insensitive), e.g. "STARTTLS".
bool EhloHasKeyword(const std::string& ehlo_reply, const std::string& keyword);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_AUTH_EHLO_AUTH_H_
