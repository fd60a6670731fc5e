// SMTP AUTH in an Exim runtime configuration (spec 33-35): the server authenticators relayguard
// writes for a policy's auth section, read back and compared for a compliance check. Pure: no
// files, no processes.
//
// relayguard owns the authenticators it names "relayguard_<mechanism>" (relayguard_plain,
// relayguard_login) and the marker comment above them; it never edits an admin's authenticator.
// Exim refuses a configuration with two server authenticators of one public_name, so an admin's
// server authenticator offering a mechanism the policy wants is a refusal naming its file:line.
//
// Backends: auth.backend dovecot -> `driver = dovecot` with `server_socket = PATH` (only on an
// Exim built with it: exim4-daemon-heavy); password-file -> `driver = plaintext` with crypteq over
// an lsearch of PATH ("user:crypt-hash" lines), as verified in the SASL lab. Exim has no
// relayguard support for saslauthd or sasldb.
#ifndef RELAYGUARD_AGENT_MTA_EXIM_EXIM_AUTHENTICATORS_H_
#define RELAYGUARD_AGENT_MTA_EXIM_EXIM_AUTHENTICATORS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/mta/exim/exim_edit.h"
#include "agent/mta/listener.h"
#include "agent/policy/policy.h"

namespace relayguard::agent::exim {

// The comment line relayguard writes above its authenticators.
inline constexpr absl::string_view kAuthMarker =
    "# relayguard: SMTP AUTH of the relay policy (edit the policy, not these lines)";

// What the policy's auth section asks of Exim's authenticators.
struct EximAuthWant {
  SaslBackend backend = SaslBackend::kPasswordFile;
  std::string path;  // Dovecot's auth-client socket, or the password file
  std::vector<AuthMechanism> mechanisms;
  bool tls_only = true;
  // The listeners that offer AUTH (OffersAuth) and those that do not; when `others` is empty
  // AUTH is offered on every listener and no port condition is written.
  std::vector<Listener> offering;
  std::vector<Listener> others;
};

// The want for `auth` on a daemon with `listeners` (internal ones included: OffersAuth decides).
EximAuthWant AuthWantFor(const AuthSettings& auth, const std::vector<Listener>& listeners);

// Why Exim cannot use `backend` ("" when it can): saslauthd and sasldb are Cyrus SASL backends
// relayguard configures for Sendmail only. Says which backends Exim supports.
std::string UnsupportedEximBackend(SaslBackend backend);

// The Exim driver a backend needs: "dovecot" or "plaintext".
const char* EximDriverFor(SaslBackend backend);

// "relayguard_plain", "relayguard_login".
std::string AuthenticatorName(AuthMechanism mechanism);

// The server_advertise_condition relayguard writes: AUTH only once TLS is on ($tls_in_cipher)
// when tls_only, only on the offering listeners ($received_port, plus $received_ip_address where
// another listener shares the port) when not all offer it; "" when neither applies; "no" when no
// listener offers AUTH.
std::string AdvertiseCondition(const EximAuthWant& want);

// The options of relayguard's authenticator for `mechanism`, in the order they are written.
std::vector<std::pair<std::string, std::string>> AuthenticatorOptions(const EximAuthWant& want,
                                                                      AuthMechanism mechanism);

// One authenticator instance as a configuration defines it.
struct EximAuthenticator {
  std::string name;
  std::string public_name;  // as Exim uses it: the public_name option, else the instance name
  std::vector<std::pair<std::string, std::string>> options;  // in file order
  std::vector<size_t> option_lines;  // physical index of each option's first line
  size_t first = 0;                  // physical index of "NAME:"
  size_t last = 0;                   // physical index of its last option line
  bool server = false;               // has a server_* option (Exim's server side)
  bool conditional = false;          // inside an .ifdef branch
  std::string where;                 // "PATH:LINE" of "NAME:"

  // The value of option `name`, nullopt when unset.
  std::optional<std::string> Option(absl::string_view name) const;
};

// Every authenticator of `text`: those after "begin authenticators", or, in a file without any
// "begin" line (Debian's conf.d/auth fragments), all of it. InvalidArgument ("PATH:LINE: ...") for
// an option line before the first instance name.
absl::StatusOr<std::vector<EximAuthenticator>> ReadAuthenticators(absl::string_view text,
                                                                  absl::string_view path);

// Edits `text` (a whole configuration, or a conf.d/auth fragment) so that relayguard's
// authenticators are exactly those `want` describes, after the marker comment, at the place the
// old ones were or at the end of the authenticators part (which is appended, "begin
// authenticators", when the file has none). Every other byte is kept. `changed` gets
// "authenticators". Idempotent. InvalidArgument ("PATH:LINE: ... — nothing was changed") when an
// admin's server authenticator already offers one of the mechanisms, or the path cannot be written
// into an Exim expansion.
absl::StatusOr<EximEdit> EditAuthenticators(absl::string_view text, const EximAuthWant& want,
                                            absl::string_view path);

// Edits the RCPT ACL `acl_name` of `text` (in part "acl", or all of a fragment) so that an
// authenticated client relays: `accept authenticated = *` right before the first relay check,
// unless such an accept already comes before it (Debian's stock ACL has one) or the relay check
// lets authenticated clients through (`!authenticated = *`) to such an accept. `changed` gets
// "NAME accept authenticated". NotFound when the ACL is missing; InvalidArgument when it cannot
// be read or has no relay check.
absl::StatusOr<EximEdit> EditAuthenticatedAccept(absl::string_view text, absl::string_view acl_name,
                                                 absl::string_view path);

// Where the RCPT ACL `acl_name` of `text` lacks the accept EditAuthenticatedAccept would add: the
// physical index of its relay check; nullopt when authenticated clients already relay through
// it. Errors as EditAuthenticatedAccept's (without "nothing was changed").
absl::StatusOr<std::optional<size_t>> MissingAuthenticatedAccept(absl::string_view text,
                                                                 absl::string_view acl_name,
                                                                 absl::string_view path);

// One way a configuration differs from what the policy's auth section asks.
struct AuthFinding {
  std::string setting;  // "authenticator relayguard_plain", "AUTH on plaintext", ...
  std::string effective;
  std::string desired;
  std::string where;  // "PATH:LINE"
};

// Where `text` differs from `want`: a mechanism no server authenticator offers, or offered by an
// admin's authenticator relayguard would have to replace; an option of a relayguard
// authenticator that differs; with tls_only, any server authenticator advertised without TLS
// (its server_advertise_condition does not test $tls_in_cipher, nor does auth_advertise_hosts);
// auth_advertise_hosts set empty. `rcpt_acls` are the ACLs acl_smtp_rcpt names: each must
// accept authenticated clients before its relay check.
absl::StatusOr<std::vector<AuthFinding>> AuthDrift(absl::string_view text, const EximAuthWant& want,
                                                   const std::vector<std::string>& rcpt_acls,
                                                   absl::string_view path);

}  // namespace relayguard::agent::exim

#endif  // RELAYGUARD_AGENT_MTA_EXIM_EXIM_AUTHENTICATORS_H_
