// SMTP AUTH as a client sees it, from the untrusted source: is AUTH advertised (before and after
// STARTTLS), does the smoke credential authenticate and then relay to a foreign recipient (RCPT
// only, never DATA), and is every bogus AUTH refused with relaying still refused afterwards. A
// server whose AUTH accepts anything is an open relay (the Nessus 10262 idea).
#ifndef RELAYGUARD_AGENT_AUTH_SMTP_AUTH_PROBE_H_
#define RELAYGUARD_AGENT_AUTH_SMTP_AUTH_PROBE_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/auth/smoke_credential.h"
#include "agent/policy/policy.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::agent {

// A bogus AUTH attempt. kWrongPassword needs the credential's user; the others need nothing.
enum class BogusAuth {
  kWrongPassword,    // the smoke user with a wrong password
  kUnknownUser,      // PLAIN for a random user and password
  kRandomPlainBlob,  // PLAIN with random bytes as the initial response
  kMalformedPlain,   // PLAIN with text that is not base64
  kUnsupportedMech,  // CRAM-MD5 / a made-up mechanism
};
const char* BogusAuthName(BogusAuth kind);  // "wrong-password", "unknown-user", ...

struct AuthAttempt {
  std::string name;                   // "smoke-PLAIN", "wrong-password", ...
  std::vector<SmtpExchange> exchanges;  // commands as sent, with AUTH payloads as "<secret>"
  bool authenticated = false;         // the server answered 235
  bool relayed = false;               // RCPT to the foreign recipient got 2xx afterwards
  bool tls = false;                   // ran after STARTTLS (or on an implicit-TLS listener)
  std::string detail;                 // in words, never the secret
  // The attempt proves nothing: no session (connect, greeting, EHLO, STARTTLS failed) or no
  // answer to AUTH. `detail` says why.
  bool inconclusive = false;
  std::chrono::milliseconds elapsed{0};  // connect to QUIT (Dovecot's failure delay shows here)
};

struct AuthProbeReport {
  SmtpEndpoint endpoint;
  // The EHLO's AUTH mechanisms on plaintext (empty when AUTH is not offered before TLS) and after
  // STARTTLS (empty when not offered or STARTTLS failed; for implicit TLS: the one session).
  std::vector<std::string> mechanisms_plain;
  std::vector<std::string> mechanisms_tls;
  bool starttls_offered = false;
  bool tls_on_connect = false;        // the listener speaks TLS from the first byte (ProbeOptions)
  std::string tls_failure;            // why an offered STARTTLS could not be negotiated
  // The first session, which learns what is advertised: greeting, EHLO, STARTTLS, EHLO, QUIT.
  std::vector<SmtpExchange> exchanges;
  std::optional<AuthAttempt> smoke;   // set when a credential was given
  std::vector<AuthAttempt> bogus;     // in the order asked for
  bool inconclusive = false;          // could not talk to the server (why in `error`)
  std::string error;
};

struct AuthProbeRequest {
  std::string sender;
  std::string foreign_recipient;
  std::optional<SmokeCredential> credential;  // unset: no smoke AUTH, no wrong-password test
  // false: only the bogus attempts run (the credential still names the wrong-password user).
  // The apply's verification asks for the smoke AUTH on every listener first, then for every
  // bogus attempt, so no failure precedes a good AUTH from the same source.
  bool run_smoke = true;
  AuthMechanism smoke_mechanism = AuthMechanism::kPlain;
  std::vector<BogusAuth> bogus;  // each on its own connection, all at once (Dovecot's per-IP
                                 // penalty and failure delay are paid once, not per attempt)
  bool prefer_tls = true;  // run AUTH after STARTTLS when offered
};

// One session to learn the AUTH mechanisms before and after STARTTLS, then the smoke attempt, then
// every bogus attempt at once, each on its own connection from options.source. An attempt runs
// after STARTTLS when prefer_tls and the server offers it (always over TLS with
// options.tls_on_connect). After AUTH (accepted or not): MAIL, RCPT to the foreign recipient,
// RSET, QUIT; never DATA. Never fails: when the first session cannot be had, `inconclusive`.
AuthProbeReport RunAuthProbe(const SmtpEndpoint& endpoint, const AuthProbeRequest& request,
                             const ProbeOptions& options);

// Every way `report` breaks `auth` on this listener, one line each (empty: healthy): AUTH not
// advertised where it must be; advertised on plaintext with tls_only; the smoke credential
// refused or not relaying; a bogus AUTH accepted or relaying after it.
std::vector<std::string> AuthProblems(const AuthSettings& auth, const AuthProbeReport& report);
// Whether a problem of AuthProblems means strangers can relay: a bogus AUTH got 235, or the
// foreign RCPT was accepted after one was refused.
bool AcceptsBogusAuth(const AuthProbeReport& report);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_AUTH_SMTP_AUTH_PROBE_H_
