// The relay probe: a real SMTP client (connect from a chosen source address, banner, EHLO, MAIL,
// RCPT, RSET, QUIT; DATA only in the opt-in DATA mode, and never a message body) that runs relay
// tests and reports a verdict with every reply.
#ifndef RELAYGUARD_AGENT_PROBE_RELAY_PROBE_H_
#define RELAYGUARD_AGENT_PROBE_RELAY_PROBE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/cidr.h"

namespace relayguard::agent {

struct SmtpEndpoint {
  IpAddress host;
  uint16_t port = 25;
  std::string ToString() const;  // "127.0.0.1:25", "[::1]:25"
};

// Parses "HOST:PORT" / "[V6]:PORT" where HOST is an IP literal.
absl::StatusOr<SmtpEndpoint> ParseSmtpEndpoint(const std::string& text);

enum class ProbeVerdict { kRelayAccepted, kRefused, kInconclusive };
const char* ProbeVerdictName(ProbeVerdict v);  // "relay-accepted", "refused", "inconclusive"

struct SmtpExchange {
  std::string command;  // as sent without CRLF; "(connect)" for the greeting
  std::string reply;    // all reply lines joined by '\n' without CRLF; "(timeout)", "(closed)"
  int code = 0;         // 0 when no reply
};

struct RelayTest {
  std::string name;       // "plain-third-party", "null-sender"
  std::string mail_from;  // address inside <>, empty for the null sender
  std::string rcpt_to;
};

struct RelayTestResult {
  RelayTest test;
  ProbeVerdict verdict = ProbeVerdict::kInconclusive;
  std::vector<SmtpExchange> exchanges;
  std::string detail;  // why, in words
};

struct ProbeOptions {
  IpAddress source;  // bound before connecting
  std::string helo_name = "relayguard-probe.invalid";
  std::chrono::milliseconds timeout{10000};  // connect and each reply
  // For MTAs that accept RCPT and refuse only at DATA: after an accepted RCPT, send DATA. 354
  // means relaying (the connection is then dropped, which aborts the transaction before any
  // body); 5xx means refused. Off by default: RCPT decides.
  bool data_mode = false;
};

struct ProbeReport {
  SmtpEndpoint endpoint;
  IpAddress source;
  ProbeVerdict verdict = ProbeVerdict::kInconclusive;  // accepted if any test relayed,
                                                       // refused if all were refused
  std::vector<RelayTestResult> tests;
};

// The tests the agent runs after every change: plain third party and null sender.
std::vector<RelayTest> BasicRelayTests(const std::string& sender, const std::string& recipient);

// Runs `tests` on one connection (reconnecting when the server drops it), RSET between tests.
// Never fails: connection problems make the verdict inconclusive with the reason in `detail`.
ProbeReport RunRelayProbe(const SmtpEndpoint& endpoint, const std::vector<RelayTest>& tests,
                          const ProbeOptions& options);

// Connects and reads the greeting only: OK when a 220 arrives within the timeout.
absl::Status CheckSmtpGreeting(const SmtpEndpoint& endpoint, const ProbeOptions& options);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_RELAY_PROBE_H_
