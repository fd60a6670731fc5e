// What one transaction (apply, rollback or recovery) did, for human output, --json and the
// controller. Plain data.
#ifndef RELAYGUARD_AGENT_APPLY_TRANSACTION_REPORT_H_
#define RELAYGUARD_AGENT_APPLY_TRANSACTION_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/mta/listener.h"
#include "agent/probe/relay_probe.h"
#include "common/apply_outcome.h"

namespace relayguard::agent {

// The transaction outcome is the one vocabulary the agent, the controller and the operator API
// share (common/apply_outcome.h).
using Outcome = ::relayguard::ApplyOutcome;

// `text` on one line (line breaks become "; "), for commit trailers and one-line details.
std::string OneLine(const std::string& text);

// Adds `warning` to report.warnings unless it is there already.
struct TransactionReport;
void AddWarning(TransactionReport& report, std::string warning);

struct PhaseTiming {
  std::string phase;
  double milliseconds = 0;
};

struct TransactionReport {
  std::string action;  // "apply", "rollback", "recovery"
  Outcome outcome = Outcome::kRefused;
  std::string failed_phase;  // phase that failed, empty on success
  std::string error;         // what failed, in words
  std::string policy;        // policy name (apply) or target commit (rollback)
  uint64_t version = 0;
  std::string mta;
  std::string mta_version;
  std::string diff;  // unified diff of the files changed (or that would change)
  std::vector<std::string> changed_settings;
  std::vector<std::string> warnings;
  std::vector<std::string> kept;  // the admin's relay grants kept (RenderedChange::kept)
  std::string backup_commit;  // files as they were before
  std::string result_commit;  // commit recording the outcome
  bool reloaded = false;
  bool restarted = false;
  // Every listener and what its probes found: after an apply each non-internal one must refuse
  // the untrusted probe, and each relay listener must pass the trusted smoke test.
  std::vector<ListenerResult> listeners;
  // policy.auth: what the SASL backend answered in the preflight ("" without an auth section).
  std::string auth_backend;
  std::vector<PhaseTiming> timings;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_APPLY_TRANSACTION_REPORT_H_
