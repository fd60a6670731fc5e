#include "controller/monitor/attempt_tracker.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace relayguard::controller {

absl::StatusOr<bool> AttemptTracker::Record(AttemptReportRecord report) {
  auto log = Logger("controller.monitor");
  RETURN_IF_ERROR(CheckAttemptReport(report, limits_));
  report.received_at = clock_.WallSeconds();
  absl::StatusOr<bool> added =
      store_.WithStore([&](Store& store) { return store.AddAttemptReport(report); });
  if (!added.ok()) return added.status();
  if (!*added) {
    log->debug("{}: attempt report {} again (a re-send), stored already", report.host, report.seq);
    return false;
  }
  store_.Changed(ChangeTopic::kAttempts);
  events_.AttemptsReported(report.refused, report.sasl_failures);
  for (const SourceAttemptsRecord& s : report.sources) {
    if (s.over_threshold) {
      log->warn(
          "{}: {} relay attempts refused from {} ({} recipients, {} failed logins) "
          "between {} and {}",
          report.host, s.refused, s.source, s.recipients, s.sasl_failures, s.first_seen,
          s.last_seen);
    }
  }
  for (const std::string& w : report.warnings) {
    log->warn("{}: log monitor: {}", report.host, w);
  }
  return true;
}

void AttemptTracker::RelaySeen(const std::string& host, const std::string& client,
                               const std::string& sender, const std::string& queue_id) {
  events_.RelaySeen();
  Logger("controller.monitor")
      ->error(
          "{}: the mail log shows a message relayed for untrusted client {} (sender <{}>, "
          "queue id {}): the host is an open relay",
          host, client, sender, queue_id);
}

absl::StatusOr<AttemptView> AttemptTracker::View(const AttemptQuery& query) {
  AttemptView view;
  view.now = clock_.WallSeconds();
  view.since = query.since != 0 ? query.since : view.now - kDefaultAttemptWindowS;
  if (view.since > view.now) {
    return absl::InvalidArgumentError(
        absl::StrCat("since ", view.since, " is in the future (now is ", view.now, ")"));
  }
  return store_.WithStore([&](Store& store) -> absl::StatusOr<AttemptView> {
    if (!query.host.empty()) {
      ASSIGN_OR_RETURN(std::optional<HostRecord> host, store.Host(query.host));
      if (!host) {
        return absl::NotFoundError(
            absl::StrCat("unknown host \"", query.host, "\" (it has never connected)"));
      }
    }
    ASSIGN_OR_RETURN(view.sources, store.AttemptsSince(query.host, view.since, query.limit));
    ASSIGN_OR_RETURN(view.hosts, store.AttemptTotalsSince(query.host, view.since));
    return std::move(view);
  });
}

absl::StatusOr<std::map<std::string, uint64_t>> AttemptTracker::RefusedPerHost(int64_t window_s) {
  const int64_t since = clock_.WallSeconds() - window_s;
  ASSIGN_OR_RETURN(std::vector<HostAttemptTotals> totals, store_.WithStore([&](Store& store) {
    return store.AttemptTotalsSince("", since);
  }));
  std::map<std::string, uint64_t> out;
  for (const HostAttemptTotals& t : totals) out[t.host] = t.refused;
  return out;
}

}  // namespace relayguard::controller
