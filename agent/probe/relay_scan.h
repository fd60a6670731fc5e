// A relay scan of many SMTP servers at once: every known relay trick against every target,
// concurrently with a bound, spread over several connections per target (servers slow down and
// drop clients after a few refused commands). Uses the agent's own relay probe.
#ifndef RELAYGUARD_AGENT_PROBE_RELAY_SCAN_H_
#define RELAYGUARD_AGENT_PROBE_RELAY_SCAN_H_

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "agent/probe/relay_probe.h"
#include "agent/probe/relay_tricks.h"

namespace relayguard::agent {

// A test the relay tricks cannot express (relayguardctl scan --auth: a bogus SMTP AUTH), run once
// per target by ScanOptions::extra_tests. A relay-accepted result makes the target relaying
// with `reason` ("accepts bogus AUTH (unknown-user)").
struct ScanExtraTest {
  RelayTestResult result;
  std::string reason;
};
using ScanExtraTests =
    std::function<std::vector<ScanExtraTest>(const SmtpEndpoint&, const ProbeOptions&)>;

struct ScanOptions {
  // Source address, HELO name, per-command timeout, DATA mode, and STARTTLS: by default
  // (StartTls::kBoth) every trick in plaintext and, where EHLO offers STARTTLS, again over TLS,
  // so that a relay that only opens after STARTTLS is found.
  ProbeOptions probe;
  RelayTrickDomains domains;         // target_host/target_ip are filled in per target when empty
  int concurrency = 32;              // connections open at once
  int tricks_per_connection = 5;     // below Postfix's soft error limit (10)
  // Targets on these ports speak TLS from the first byte (465): probed with TLS on connect.
  std::vector<uint16_t> tls_on_connect_ports;
  // Unset: tricks only. Set: called once per target (on its own connections, concurrently with
  // the tricks); the results follow the tricks in ScanResult::tests.
  ScanExtraTests extra_tests;
};

struct ScanResult {
  SmtpEndpoint endpoint;
  bool tls_on_connect = false;  // probed with TLS on connect (ScanOptions::tls_on_connect_ports)
  // Relay-accepted if any trick relayed (either way); refused if every probe was (see
  // ProbeReport::verdict: tricks that could not run because STARTTLS failed do not count).
  ProbeVerdict verdict = ProbeVerdict::kInconclusive;
  // Every trick in plaintext in trick order, then those that ran (or were to run) after
  // STARTTLS (tls = true) in trick order.
  std::vector<RelayTestResult> tests;
  std::chrono::milliseconds elapsed{0};
  // Why it counts as relaying, in words, when the first test that relayed was an extra test
  // ("accepts bogus AUTH (unknown-user)"); empty otherwise.
  std::string reason;
};

// Scans `targets`; `progress(done, total)` is called (from worker threads, one at a time) after
// each target finishes. Never fails: unreachable targets come back inconclusive with the reason.
std::vector<ScanResult> RunRelayScan(const std::vector<SmtpEndpoint>& targets,
                                     const ScanOptions& options,
                                     const std::function<void(size_t, size_t)>& progress = {});

// Output for people and scripts. New columns and fields are only ever appended.
// Table: one row per target; the last column TLS is the protocol negotiated after STARTTLS,
// "failed" when it was offered but could not be negotiated, "-" when not tried; a trick that
// relayed only over TLS is named with " (TLS)"; an extra test by its reason.
std::string ScanTable(const std::vector<ScanResult>& results);
// Each trick has "tls" (bool), and "tls_protocol", "tls_cipher", "tls_peer_subject" when it ran
// over TLS; each target "tls_on_connect" (bool) and "reason" (ScanResult::reason) when set.
std::string ScanJson(const std::vector<ScanResult>& results);
// One row per target and trick: target,verdict,trick,mail_from,rcpt_to,trick_verdict,rcpt_reply,
// tls,tls_protocol (tls: "yes" for the pass after STARTTLS, "no" in plaintext; tls_protocol
// empty when STARTTLS failed).
std::string ScanCsv(const std::vector<ScanResult>& results);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_RELAY_SCAN_H_
