// What the controller takes from an agent's attempt report: bounded sizes, so that one agent
// (buggy, or a host taken over) cannot fill the store. A report over a bound is refused whole
// and not acked; the agent keeps a bounded queue, so refusing costs it nothing but that report.
#ifndef RELAYGUARD_CONTROLLER_MONITOR_ATTEMPT_REPORT_LIMITS_H_
#define RELAYGUARD_CONTROLLER_MONITOR_ATTEMPT_REPORT_LIMITS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "controller/store/records.h"

namespace relayguard::controller {

struct AttemptReportLimits {
  size_t sources = 200;        // sources listed in one report
  size_t samples = 10;         // sample lines per source
  size_t sample_bytes = 8192;  // one sample line (journald allows 48 KiB; a sample is a hint)
  size_t source_bytes = 64;    // an IP address, with room for a zone
  size_t warnings = 50;
  size_t warning_bytes = 2048;
  size_t log_source_bytes = 1024;
};

// OK, or InvalidArgument naming the report (host and seq), what is over which bound or
// inconsistent (a period that ends before it starts, a source without an address).
absl::Status CheckAttemptReport(const AttemptReportRecord& report,
                                const AttemptReportLimits& limits = AttemptReportLimits());

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_MONITOR_ATTEMPT_REPORT_LIMITS_H_
