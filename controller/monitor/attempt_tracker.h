// The controller's side of the agents' log monitors: stores each attempt report (once per host
// and seq, as agents re-send what was not acked), refuses reports over the bounds
// (attempt_report_limits.h), counts them for the metrics, logs a relay the monitor saw, and
// answers the operator's view of the attempts over a time range. Thread-safe: the store is used
// through the StoreFacade's lock.
#ifndef RELAYGUARD_CONTROLLER_MONITOR_ATTEMPT_TRACKER_H_
#define RELAYGUARD_CONTROLLER_MONITOR_ATTEMPT_TRACKER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "controller/metrics/controller_events.h"
#include "controller/monitor/attempt_report_limits.h"
#include "controller/store/records.h"
#include "controller/store/store_facade.h"

namespace relayguard::controller {

// How far back a view looks when the operator gives no start: 24 hours.
inline constexpr int64_t kDefaultAttemptWindowS = 24 * 3600;

struct AttemptQuery {
  std::string host;    // empty: every host
  int64_t since = 0;   // seconds since the epoch; 0: kDefaultAttemptWindowS before now
  size_t limit = 100;  // source rows
};

struct AttemptView {
  int64_t since = 0;  // the start used
  int64_t now = 0;
  std::vector<SourceAttemptsSummary> sources;  // most refused first
  std::vector<HostAttemptTotals> hosts;        // by name
};

class AttemptTracker {
 public:
  // `events` hears of every new report (metrics) and of relays seen.
  AttemptTracker(StoreFacade& store, Clock& clock, ControllerEvents& events = NoControllerEvents(),
                 AttemptReportLimits limits = AttemptReportLimits())
      : store_(store), clock_(clock), events_(events), limits_(limits) {}

  // Checks and stores `report` (received_at is set here). True when it was new, false for a
  // re-send (then nothing else happens). InvalidArgument when it is over a bound: not stored,
  // and it never will be. Any other error: not stored, the agent may send it again. Do not ack
  // on an error.
  absl::StatusOr<bool> Record(AttemptReportRecord report);

  // A host's log monitor proved a relay for an untrusted client (its compliance report, stored
  // by the ComplianceTracker, carries the evidence): logged as an error and counted.
  void RelaySeen(const std::string& host, const std::string& client, const std::string& sender,
                 const std::string& queue_id);

  // The attempts of `query.host` (every host when empty) since `query.since`. NotFound for a
  // host that never connected; InvalidArgument for a start in the future.
  absl::StatusOr<AttemptView> View(const AttemptQuery& query);

  // Refused attempts per host (hosts with reports only) over the last `window_s` seconds.
  absl::StatusOr<std::map<std::string, uint64_t>> RefusedPerHost(
      int64_t window_s = kDefaultAttemptWindowS);

 private:
  StoreFacade& store_;
  Clock& clock_;
  ControllerEvents& events_;
  AttemptReportLimits limits_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_MONITOR_ATTEMPT_TRACKER_H_
