// The SMTP AUTH part of a sendmail.mc (the policy's auth section, agent/policy/policy.h),
// edited minimally like the relay FEATUREs (sendmail_mc.h: same m4 reading rules, every other
// byte kept):
//  - define(`confAUTH_MECHANISMS', `PLAIN LOGIN'): the mechanisms offered (O AuthMechanisms).
//    The last unconditional define is the one in effect; its second argument is replaced when it
//    names another set of mechanisms (case and order do not matter).
//  - TRUST_AUTH_MECH(`PLAIN LOGIN'): the mechanisms whose users may relay (class
//    {TrustAuthMech}; every call adds to it). A line with the missing ones is added.
//  - define(`confAUTH_OPTIONS', `p,y') when AUTH is offered only after STARTTLS (tls_only):
//    p = no mechanism open to a simple passive attack (PLAIN, LOGIN) without a security layer,
//    y = no anonymous mechanisms. Sendmail reads the first letter of each comma- or
//    blank-separated word. An existing define gets `p' added (tls_only) or removed (not).
//    tls_only needs STARTTLS, checked on the built sendmail.cf (MissingStarttlsOptions): the .mc
//    may configure it through an include (Debian's /etc/mail/tls/starttls.m4).
//  - M=A (offer no AUTH) in the Modifiers of the DAEMON_OPTIONS of each daemon that must not
//    offer AUTH, and not in those that must.
// New lines go on lines of their own before the first MAILER(...) statement (at the end of the
// file when there is none), "...dnl" with the file's line ending.
#ifndef RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_MC_AUTH_H_
#define RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_MC_AUTH_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/mta/sendmail/sendmail_mc.h"

namespace relayguard::agent::sendmail {

struct McAuthWant {
  std::vector<std::string> mechanisms;  // "PLAIN", "LOGIN", in the policy's order
  bool tls_only = true;
  // By the 1-based .mc line of its DAEMON_OPTIONS call: whether that daemon offers AUTH.
  std::map<size_t, bool> daemon_offers_auth;
};

// Edits `text` so that it says `want` (see the header comment). InvalidArgument "PATH:LINE:
// ... — nothing was changed" when the file cannot be read by m4's rules or when a daemon's
// line holds no DAEMON_OPTIONS call. Editing the
// result again gives the same text and an empty `changed`.
absl::StatusOr<SendmailEdit> EditSendmailMcAuth(absl::string_view text, absl::string_view path,
                                                const McAuthWant& want);

// The options Sendmail's STARTTLS server needs that `cf` (a sendmail.cf) leaves unset, of
// ServerCertFile, ServerKeyFile, CACertFile and CACertPath (without the CA ones Sendmail 8.17
// answers STARTTLS with "454 4.3.3 TLS not available after start"; seen in the lab).
std::vector<std::string> MissingStarttlsOptions(absl::string_view cf);

// The letters of an AuthOptions value as Sendmail reads them: the first character of each word
// ("A,p y" -> "Apy").
std::string AuthOptionLetters(absl::string_view value);

// `argument` (a DAEMON_OPTIONS value) with M=A added (`offer_auth` false) or every A removed
// from its Modifiers (true); the same text when it already says so. Other fields and blanks
// are kept; a Modifiers field left empty is removed with its comma.
std::string WithAuthModifier(absl::string_view argument, bool offer_auth);

}  // namespace relayguard::agent::sendmail

#endif  // RELAYGUARD_AGENT_MTA_SENDMAIL_SENDMAIL_MC_AUTH_H_
