// The relay probe: a real SMTP client (connect from a chosen source address, banner, EHLO, MAIL,
// RCPT, RSET, QUIT; DATA only in the opt-in DATA mode, and never a message body; STARTTLS when
// the server offers it) that runs relay tests and reports a verdict with every reply.
#ifndef RELAYGUARD_AGENT_PROBE_RELAY_PROBE_H_
#define RELAYGUARD_AGENT_PROBE_RELAY_PROBE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/cidr.h"
#include "common/endpoint.h"

namespace relayguard::agent {

using ::relayguard::ParseSmtpEndpoint;
using ::relayguard::SmtpEndpoint;

enum class ProbeVerdict { kRelayAccepted, kRefused, kInconclusive };
const char* ProbeVerdictName(ProbeVerdict v);  // "relay-accepted", "refused", "inconclusive"

struct SmtpExchange {
  std::string command;  // as sent without CRLF; "(connect)" for the greeting, "(tls-handshake)"
                        // after STARTTLS (reply: the TlsSessionInfo text or "(why it failed)")
  std::string reply;    // all reply lines joined by '\n' without CRLF; "(timeout)", "(closed)"
  int code = 0;         // 0 when no reply
};

struct RelayTest {
  std::string name;       // "plain-third-party", "null-sender"
  std::string mail_from;  // address inside <>, empty for the null sender
  std::string rcpt_to;
};

// What STARTTLS negotiated. Recorded for the report, never verified: the probe tests relaying,
// not the server's identity.
struct TlsSessionInfo {
  std::string protocol;      // "TLSv1.3"; empty when no TLS session was negotiated
  std::string cipher;        // "TLS_AES_256_GCM_SHA384"
  std::string peer_subject;  // RFC 2253 "CN=mx.example.org"; empty without a certificate
  std::string ToString() const;  // "TLSv1.3 TLS_AES_256_GCM_SHA384, peer CN=mx.example.org"
};

struct RelayTestResult {
  RelayTest test;
  ProbeVerdict verdict = ProbeVerdict::kInconclusive;
  std::vector<SmtpExchange> exchanges;
  std::string detail;  // why, in words
  // The test belongs to the pass over TLS: it ran after STARTTLS on a session described by
  // `tls_session`, or (empty `tls_session.protocol`, verdict inconclusive, `detail` says why)
  // STARTTLS was offered but could not be negotiated, so it did not run.
  bool tls = false;
  TlsSessionInfo tls_session;
};

// When the probe upgrades with STARTTLS (RFC 3207). A server may relay differently after TLS
// (an Exim ACL "accept encrypted = *" meant for submission opens the relay to anyone who says
// STARTTLS), so the default tests both ways.
enum class StartTls {
  kOff,          // never: every test in plaintext (the behaviour before STARTTLS support)
  kWhenOffered,  // like an opportunistic-TLS MTA: upgrade when EHLO offers STARTTLS and run
                 // the tests over TLS only; plaintext when not offered or when STARTTLS fails
  kBoth,         // every test in plaintext, then, when EHLO offered STARTTLS, every test again
                 // on new connections after STARTTLS. Costs nothing extra when not offered.
};
const char* StartTlsName(StartTls mode);  // "off", "when-offered", "both"
// Parses StartTlsName's output; InvalidArgument naming the accepted values otherwise.
absl::StatusOr<StartTls> ParseStartTls(const std::string& text);

struct ProbeOptions {
  IpAddress source;  // bound before connecting
  std::string helo_name = "relayguard-probe.invalid";
  std::chrono::milliseconds timeout{10000};  // connect and each reply
  // For MTAs that accept RCPT and refuse only at DATA: after an accepted RCPT, send DATA. 354
  // means relaying (the connection is then dropped, which aborts the transaction before any
  // body); 5xx means refused. Off by default: RCPT decides.
  bool data_mode = false;
  // kBoth by default, for the agent's own verification as for scans: an apply must not call a
  // relay closed that still relays after STARTTLS. Servers that do not offer STARTTLS (the lab
  // instances, hence the apply bench) see exactly the plaintext probe as before; servers that
  // do get one more connection and TLS handshake per probe.
  StartTls starttls = StartTls::kBoth;
  // The server speaks TLS from the first byte (port 465, "submissions"/"smtps"): every
  // connection starts with the TLS handshake, before the greeting; `starttls` is then ignored.
  // A handshake that fails leaves the tests inconclusive.
  bool tls_on_connect = false;
};

struct ProbeReport {
  SmtpEndpoint endpoint;
  IpAddress source;
  // Accepted if any test relayed (in either pass); refused if every plaintext test was refused
  // and every test over TLS was refused or could not run because STARTTLS failed (then no
  // client gets a TLS session to relay over); inconclusive otherwise.
  ProbeVerdict verdict = ProbeVerdict::kInconclusive;
  // The plaintext tests in order, then (kBoth, STARTTLS offered) the same tests over TLS.
  std::vector<RelayTestResult> tests;
  bool starttls_offered = false;  // an EHLO reply listed STARTTLS
  bool tls_on_connect = false;    // the probe used TLS on connect (ProbeOptions)
  std::string tls_failure;        // why an offered STARTTLS could not be negotiated; "" if it was
                                  // (or was never tried)
};

// The tests the agent runs after every change: plain third party and null sender.
std::vector<RelayTest> BasicRelayTests(const std::string& sender, const std::string& recipient);

// Runs `tests` on one connection (reconnecting when the server drops it), RSET between tests;
// with StartTls::kBoth and STARTTLS offered, once more on a connection upgraded with STARTTLS
// (EHLO again after it, RFC 3207). Never fails: connection problems make the verdict
// inconclusive with the reason in `detail`; a failed STARTTLS only the tests over TLS.
ProbeReport RunRelayProbe(const SmtpEndpoint& endpoint, const std::vector<RelayTest>& tests,
                          const ProbeOptions& options);

// Connects and reads the greeting only: OK when a 220 arrives within the timeout.
absl::Status CheckSmtpGreeting(const SmtpEndpoint& endpoint, const ProbeOptions& options);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_RELAY_PROBE_H_
