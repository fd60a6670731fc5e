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

struct ScanOptions {
  ProbeOptions probe;                // source address, HELO name, per-command timeout
  RelayTrickDomains domains;         // target_host/target_ip are filled in per target when empty
  int concurrency = 32;              // connections open at once
  int tricks_per_connection = 5;     // below Postfix's soft error limit (10)
};

struct ScanResult {
  SmtpEndpoint endpoint;
  ProbeVerdict verdict = ProbeVerdict::kInconclusive;  // relay-accepted if any trick relayed
  std::vector<RelayTestResult> tests;                   // in trick order
  std::chrono::milliseconds elapsed{0};
};

// Scans `targets`; `progress(done, total)` is called (from worker threads, one at a time) after
// each target finishes. Never fails: unreachable targets come back inconclusive with the reason.
std::vector<ScanResult> RunRelayScan(const std::vector<SmtpEndpoint>& targets,
                                     const ScanOptions& options,
                                     const std::function<void(size_t, size_t)>& progress = {});

// Output for people and scripts.
std::string ScanTable(const std::vector<ScanResult>& results);
std::string ScanJson(const std::vector<ScanResult>& results);
// One row per target and trick: target,verdict,trick,mail_from,rcpt_to,trick_verdict,rcpt_reply.
std::string ScanCsv(const std::vector<ScanResult>& results);

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_PROBE_RELAY_SCAN_H_
