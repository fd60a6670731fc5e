// A desired relay policy, as loaded and validated from a playbook (playbooks/README.md).
#ifndef RELAYGUARD_AGENT_POLICY_POLICY_H_
#define RELAYGUARD_AGENT_POLICY_POLICY_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/cidr.h"
#include "common/compliance_states.h"
#include "common/endpoint.h"

namespace relayguard::agent {

enum class TlsLevel { kNone, kMay, kEncrypt };
const char* TlsLevelName(TlsLevel level);  // "none", "may", "encrypt"

struct ProbeSettings {
  IpAddress untrusted_source{IpFamily::kV4, {127, 0, 0, 9}};
  IpAddress trusted_source{IpFamily::kV4, {127, 0, 0, 1}};
  std::string sender = "relayguard-probe@example.org";
  std::string foreign_recipient = "relay-test@example.net";
  std::string helo_name = "relayguard-probe.invalid";
  std::chrono::milliseconds timeout{10000};       // per SMTP command
  std::chrono::milliseconds settle_timeout{10000};  // how long to wait for a reload to take
  // Sources for listeners on IPv6 addresses (probe.untrusted_source_v6 / trusted_source_v6):
  // the untrusted one has no default (::1 is the only IPv6 loopback address and usually
  // trusted), so an IPv6 listener cannot be proven closed until one is given or the listener is
  // declared internal.
  std::optional<IpAddress> untrusted_source_v6;
  IpAddress trusted_source_v6{IpFamily::kV6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  // The playbook's `listeners.internal`: listeners only this host uses (a content filter's
  // re-injection port), by address and port, each on loopback; never probed, their rules left
  // alone (agent/mta/listener.h).
  std::vector<SmtpEndpoint> internal_listeners;
};

// ProbeSettings with the documented default addresses (127.0.0.9 untrusted, 127.0.0.1 trusted).
ProbeSettings DefaultProbeSettings();

// The playbook's `compliance:` section: when the agent checks the host for drift from the
// cached policy, and whether it re-applies the policy when it finds some.
struct ComplianceSettings {
  std::string schedule;   // a Schedule expression (common/schedule.h), validated at load
  std::string time_zone = "UTC";
  ComplianceMode mode = ComplianceMode::kAudit;
  int64_t splay_s = 0;    // each host checks up to this much after the scheduled time
  std::vector<std::string> maintenance_windows;  // MaintenanceWindow texts; empty: any time
  // Enforcement of this policy version halts fleet-wide (audit only) once more than this many
  // hosts failed to enforce it (the transaction rolled back), as a rollout wave halts.
  int failure_budget = 0;
};

// The playbook's `auth:` section (playbooks/README.md "SMTP AUTH"): the SASL backend that checks
// passwords, the mechanisms offered, whether AUTH is offered only after STARTTLS, on which
// listeners, and the root-only file with the credential the agent proves AUTH with. The secret
// itself is never in a playbook (agent/auth/smoke_credential.h).
enum class SaslBackend {
  kDovecot,       // Dovecot's auth-client socket (Postfix smtpd_sasl_type=dovecot, Exim heavy)
  kSaslauthd,     // Cyrus saslauthd's mux socket (Sendmail; pwcheck_method: saslauthd)
  kSasldb,        // a Cyrus sasldb2 file (Sendmail; auxprop sasldb)
  kPasswordFile,  // "user:crypt-hash" lines, Exim's own plaintext authenticator with crypteq
};
const char* SaslBackendName(SaslBackend backend);  // "dovecot", "saslauthd", "sasldb", "password-file"

enum class AuthMechanism { kPlain, kLogin };
const char* AuthMechanismName(AuthMechanism mechanism);  // "PLAIN", "LOGIN"

// Which listeners offer AUTH: by role (agent/mta/listener.h ListenerRole) and by address.
struct AuthListeners {
  bool relay = true;       // listeners of role relay (port 25 style)
  bool submission = true;  // listeners of role submission (587, 465, Sendmail M=a)
  std::vector<SmtpEndpoint> endpoints;  // listeners named by address and port
};

struct AuthSettings {
  SaslBackend backend = SaslBackend::kDovecot;
  // dovecot: the auth-client socket; saslauthd: its mux socket; sasldb: the sasldb2 file;
  // password-file: the "user:crypt-hash" file. Absolute.
  std::string path;
  std::vector<AuthMechanism> mechanisms{AuthMechanism::kPlain, AuthMechanism::kLogin};
  bool tls_only = true;  // AUTH only after STARTTLS (or on an implicit-TLS listener)
  AuthListeners listeners;
  std::string smoke_credential;  // absolute path of a root-only file "USER:PASSWORD"
  // Key positions for messages about the section ("FILE:LINE:COL: auth.path"), "" when unknown.
  std::string path_at;
  std::string smoke_credential_at;
};

struct Policy {
  std::string name;       // [a-z0-9][a-z0-9._-]*
  uint64_t version = 0;   // >= 1
  std::string description;
  std::vector<Cidr> trusted_networks;      // at least one
  // Other organisations' relays (a partner's outbound MX) that may relay through this host on
  // purpose: listed in the MTA's relay clients beside the trusted networks, and an admin rule
  // that grants one of them is kept even where it is wider than a single partner would need.
  // Not smoke-tested (the agent cannot send from their addresses). Like the trusted networks,
  // they lose relaying under require_auth.
  std::vector<Cidr> partners;
  std::vector<std::string> relay_domains;  // hostnames, may be empty
  bool require_auth = false;  // relaying only for SMTP AUTH users (trusted networks lose it)
  // How AUTH is offered and proven. Required with require_auth (without a backend no one could
  // relay); alone it offers AUTH while the trusted networks keep relaying.
  std::optional<AuthSettings> auth;
  std::optional<TlsLevel> tls;  // unset: relayguard does not touch TLS settings
  ProbeSettings probe;
  std::optional<ComplianceSettings> compliance;  // unset: no scheduled checks
  std::string source;  // file the policy came from, for messages
};

// The clients the MTA's own relay list should name (Postfix mynetworks, Exim relay_from_hosts,
// Sendmail Connect: RELAY): the trusted networks, then the partners.
std::vector<Cidr> RelayClients(const Policy& policy);

// Whether an admin's rule that lets `network` relay (a table entry, an override, a host list
// item) lets strangers relay, i.e. must go: the network contains the probe's untrusted source,
// or it is wider than kWidestPartnerV4 / kWidestPartnerV6 (a whole provider, not one partner) —
// unless it lies inside a trusted network or a named partner, which the policy allows on
// purpose. A narrower grant is an admin's partner rule and is kept.
inline constexpr int kWidestPartnerV4 = 16;
inline constexpr int kWidestPartnerV6 = 32;
bool GrantsStrangers(const Policy& policy, const Cidr& network);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_POLICY_POLICY_H_
