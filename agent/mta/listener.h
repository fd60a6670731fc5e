// The SMTP listeners of an MTA (DESIGN.md "A real mail host has many doors"): every address and
// port its configuration makes it accept SMTP on, how a client talks to it (plaintext with
// STARTTLS when offered, or TLS on connect), who is meant to relay through it, and where the
// configuration declares it. A host relays if any listener relays, so relayguard probes every
// listener other hosts can reach.
//
// Internal listeners: a listener that only the host itself can reach (a content filter's
// re-injection port such as 127.0.0.1:10025 behind amavis) is not a door to the outside, and its
// own rules (usually "everything from localhost relays") are left alone. Because the tests and
// the demo run every listener on loopback, relayguard never guesses this from the address: a
// listener is internal only when the policy names it under `listeners.internal` AND it binds
// loopback addresses only (127.0.0.0/8, ::1). A named listener that binds anything else (a
// wildcard, a public address) is probed like any other, with a warning.
#ifndef RELAYGUARD_AGENT_MTA_LISTENER_H_
#define RELAYGUARD_AGENT_MTA_LISTENER_H_

#include <optional>
#include <string>
#include <vector>

#include "agent/auth/smtp_auth_probe.h"
#include "agent/policy/policy.h"
#include "agent/probe/relay_probe.h"

namespace relayguard::agent {

enum class ListenerTls {
  kPlain,     // plaintext SMTP; STARTTLS when the server offers it (port 25, 587)
  kImplicit,  // TLS from the first byte (port 465: Postfix smtpd_tls_wrappermode, Exim
              // tls_on_connect_ports, Sendmail M=s)
};
const char* ListenerTlsName(ListenerTls tls);  // "plain", "implicit-tls"

enum class ListenerRole {
  kRelay,       // an MTA port: the policy's trusted networks relay through it (smoke-tested)
  kSubmission,  // a submission port (587, 465, Sendmail M=a): only authenticated users relay
};
const char* ListenerRoleName(ListenerRole role);  // "relay", "submission"

struct Listener {
  SmtpEndpoint endpoint;       // where the probe connects (a wildcard bind is probed on loopback)
  std::string bind;            // the address as declared: "127.0.0.1", "0.0.0.0", "all", "::"
  bool loopback_only = false;  // binds loopback addresses only: no other host can reach it
  ListenerTls tls = ListenerTls::kPlain;
  ListenerRole role = ListenerRole::kRelay;
  std::string service;      // as the MTA names it: "smtp", "submission", "MTA-v4", "2525"
  std::string declared_at;  // "PATH:LINE" of the declaration
  bool internal = false;    // set by MarkInternalListeners, never by a driver

  // "127.0.0.1:2525 (smtp, /etc/postfix/master.cf:12)", plus ", implicit TLS" / ", internal".
  std::string Name() const;
};

// Marks the listeners the policy declares internal (probe.internal_listeners, matched by address
// and port) and returns what the operator should know: a declared listener that binds more than
// loopback is NOT marked (it is probed), and a declaration no listener matches.
std::vector<std::string> MarkInternalListeners(const ProbeSettings& probe,
                                               std::vector<Listener>& listeners);

// Adds `extra` (the operator's --smtp: an endpoint the configuration does not declare, such as
// a port forward) to `listeners` as a relay listener "declared" on the command line, unless a
// listener is there already. It is never loopback_only, so never internal.
void AddExtraListener(const std::optional<SmtpEndpoint>& extra, std::vector<Listener>& listeners);

// The listener a client of `endpoint` reaches, or nullptr.
const Listener* FindListener(const std::vector<Listener>& listeners, const SmtpEndpoint& endpoint);

// Whether the policy's auth section wants AUTH offered on `listener` (by role or by address).
bool OffersAuth(const AuthSettings& auth, const Listener& listener);

enum class ProbeSource { kUntrusted, kTrusted };

// Options for probing `listener` from the untrusted or trusted source of `probe` (the IPv6 one
// for an IPv6 listener): TLS on connect for an implicit-TLS listener, STARTTLS both ways
// otherwise.
ProbeOptions ListenerProbeOptions(const ProbeSettings& probe, ProbeSource from,
                                  const Listener& listener);

// Why `listener` cannot be probed from `from` ("" when it can): an IPv6 listener without
// probe.untrusted_source_v6. Says what to configure.
std::string MissingProbeSource(const ProbeSettings& probe, ProbeSource from,
                               const Listener& listener);

// Why `listener` is not probed from the untrusted source, for ListenerResult::note ("" when it
// is): it is internal, or there is no untrusted source of its address family (then it cannot be
// proven closed).
std::string WhyNotProbed(const ProbeSettings& probe, const Listener& listener);

// What relayguard found out about one listener: the untrusted probe (never for an internal
// listener) and, for a relay listener after a change, the trusted smoke test.
struct ListenerResult {
  Listener listener;
  // Of the untrusted probe; kRefused for an internal listener (nothing to prove: other hosts
  // cannot connect) only when `note` says so.
  ProbeVerdict verdict = ProbeVerdict::kInconclusive;
  std::optional<ProbeReport> untrusted;
  std::optional<ProbeReport> trusted;
  // SMTP AUTH as the untrusted source sees it (policy.auth, listeners that offer AUTH).
  std::optional<AuthProbeReport> auth;
  std::string note;  // "internal: not probed", why it is inconclusive, ...
};

// One result per listener, nothing probed yet.
std::vector<ListenerResult> Unprobed(std::vector<Listener> listeners);

// The verdict of a whole host from its listeners' results: relay-accepted if any non-internal
// listener relays, refused if every non-internal listener refused (and there is at least one),
// inconclusive otherwise.
ProbeVerdict HostVerdict(const std::vector<ListenerResult>& results);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MTA_LISTENER_H_
