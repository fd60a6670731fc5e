// What the policy's auth part (AuthSettings) means for Postfix, and the smallest edits that make
// it hold, where each setting is written (main.cf, or the service's -o override in master.cf):
//  - Postfix talks to Dovecot's auth socket only (smtpd_sasl_type = dovecot); another backend is
//    refused.
//  - smtpd_sasl_path: relative to the queue directory ("private/auth") when the socket lies
//    under it, so one value works for chrooted and non-chrooted smtpd (both chdir there); an
//    absolute path otherwise, refused when an smtpd that offers AUTH runs chrooted.
//  - smtpd_sasl_security_options = noanonymous, smtpd_tls_auth_only = yes/no (auth.tls_only),
//    smtpd_sasl_mechanism_filter = the policy's mechanisms (Postfix 3.6 and later; before, the
//    preflight refuses a Dovecot that offers more than the policy wants).
//  - smtpd_sasl_auth_enable: `yes` in main.cf when every smtpd service offers AUTH; otherwise
//    `no` in main.cf (only changed when it said yes) and `-o smtpd_sasl_auth_enable=yes` on the
//    services that offer AUTH, `=no` where an override enables it against the policy.
// AUTH only after STARTTLS needs usable STARTTLS (a security level of may or encrypt and a
// certificate): without it AUTH would never be offered, and the change is refused. Internal
// listeners (listeners.internal) are never edited. A missing, unreadable or stale socket makes
// every smtpd fatal ("no SASL authentication mechanisms"): PostfixDriver::PreflightAuth checks
// the socket before any of this is written.
#ifndef RELAYGUARD_AGENT_MTA_POSTFIX_SMTP_AUTH_H_
#define RELAYGUARD_AGENT_MTA_POSTFIX_SMTP_AUTH_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/mta/mta_driver.h"
#include "agent/mta/postfix/postfix_config.h"
#include "agent/mta/postfix/postfix_listeners.h"
#include "agent/policy/policy.h"

namespace relayguard::agent::postfix {

// One smtpd service as the AUTH settings see it: the one that speaks SMTP to the listener's
// clients (the pass service behind postscreen), named by master.cf name/type because lines move
// while master.cf is edited.
struct AuthService {
  std::string id;             // "submission/inet", MasterCf::Service::Id()
  bool offers = false;        // the policy wants AUTH on one of its listeners (OffersAuth)
  bool internal = false;      // all its listeners are internal: left alone
  bool implicit_tls = false;  // smtpd_tls_wrappermode: TLS before any SMTP
  std::string listener;       // Listener::Name() of its first listener, for messages
};

// The services of `listeners` in master.cf order. A service whose listeners the policy selects
// only in part (an endpoint of a wildcard bind) offers AUTH on all of them: one warning each.
std::vector<AuthService> AuthServices(const PostfixConfig& config,
                                      const std::vector<PostfixListener>& listeners,
                                      const AuthSettings& auth, std::vector<std::string>* warnings);

// OK when Postfix can use `auth.backend` (dovecot); InvalidArgument naming auth.backend otherwise.
absl::Status PostfixCanUse(const AuthSettings& auth);

// Postfix 3.6 added smtpd_sasl_mechanism_filter (3.7's `postconf -d` lists it).
bool HasMechanismFilter(const PostfixVersion& version);

// The value smtpd_sasl_mechanism_filter gets: "plain, login".
std::string MechanismFilter(const AuthSettings& auth);

struct AuthFix {
  // "main.cf:40 smtpd_sasl_type", "main.cf smtpd_sasl_path (added)",
  // "master.cf:17 submission/inet -o smtpd_sasl_auth_enable" (each once, in edit order).
  std::vector<std::string> changed;
  // What differed before the edits: per listener where a service's override decides, host-wide
  // (listener "") where main.cf or a default does.
  std::vector<SettingDrift> drift;
};

// Edits config.main_cf and config.master_cf in place so that `auth` holds. Values are judged
// on the current text (defaults and $name from the expanded values in `config`). InvalidArgument
// naming the field, file and line when it cannot hold: a backend other than dovecot, a socket
// outside the queue directory with a chrooted AUTH service, tls_only without usable STARTTLS.
// Idempotent: fixing a fixed configuration changes nothing.
absl::StatusOr<AuthFix> FixSmtpAuth(PostfixConfig& config, const std::vector<AuthService>& services,
                                    const AuthSettings& auth);

// What FixSmtpAuth would change, as drift (a refusal becomes one entry with its reason).
std::vector<SettingDrift> SmtpAuthFindings(const PostfixConfig& config,
                                           const std::vector<AuthService>& services,
                                           const AuthSettings& auth);

// The socket smtpd will connect to with `config`'s global smtpd_sasl_path (a relative path is
// under queue_directory), "" when smtpd_sasl_type is not dovecot or the path is not a file
// (inet:host:port).
std::string SaslSocketPath(const PostfixConfig& config);

}  // namespace relayguard::agent::postfix

#endif  // RELAYGUARD_AGENT_MTA_POSTFIX_SMTP_AUTH_H_
