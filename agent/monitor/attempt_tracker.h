// Counts the log monitor's events per client address for one report period: refused relay
// attempts, distinct recipients, failed AUTH, relayed messages, first/last seen, sample lines.
// Bounded whatever the input: at most max_sources sources (a new one evicts the least active),
// at most max_recipients distinct recipients remembered per source, 3 samples of <= 1 KiB.
// Thresholds: refused_per_source or sasl_failures_per_source events from one source within a
// threshold window yield one warning for that source and window. A window starts at the
// source's first event after the previous window ended (by the events' own times).
#ifndef RELAYGUARD_AGENT_MONITOR_ATTEMPT_TRACKER_H_
#define RELAYGUARD_AGENT_MONITOR_ATTEMPT_TRACKER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "agent/monitor/log_entry.h"
#include "common/clock.h"
#include "relayguard/v1/agent_stream.pb.h"

namespace relayguard::agent {

struct AttemptTrackerOptions {
  size_t max_sources = 1000;
  size_t max_recipients = 64;    // distinct recipients counted per source
  size_t report_sources = 50;    // top sources by refused in a report
  int64_t idle_expiry_s = 3600;  // a source quiet this long (wall clock) is forgotten
  int64_t threshold_window_s = 600;
  uint64_t refused_per_source = 20;  // 0: no threshold
  uint64_t sasl_failures_per_source = 10;
};

struct ThresholdWarning {
  std::string source;   // the client address
  std::string counter;  // "refused" | "sasl_failures"
  uint64_t count = 0;   // events in the window when it was passed
  int64_t window_s = 0;
  std::string text;  // "127.0.0.9: 20 refused relay attempts within 600 s"
};

class AttemptTracker {
 public:
  static constexpr size_t kMaxSamples = 3;
  static constexpr size_t kMaxSampleBytes = 1024;

  // `clock` stamps the periods and the idle expiry. The first period starts now.
  AttemptTracker(AttemptTrackerOptions options, Clock& clock);

  // Counts one event. Returns a warning the first time the event's source passes a threshold
  // in the current window, nothing otherwise.
  std::optional<ThresholdWarning> Record(const MonitorEvent& event);

  // Lines read (and of those, lines no rule knew) since the last call: the report's totals.
  void CountLines(uint64_t lines, uint64_t unknown_lines);

  // The period's report (sources by refused, at most report_sources, totals over all) and a
  // new period from `now` (seconds since the epoch). seq and log_source are the caller's.
  relayguard::v1::AttemptReport TakeReport(int64_t now);

  size_t sources() const { return sources_.size(); }
  uint64_t evicted_sources() const { return evicted_total_; }

 private:
  struct Source {
    // This period
    uint64_t refused = 0, sasl_failures = 0, relayed = 0;
    std::unordered_set<std::string> recipients;
    bool recipients_overflow = false;
    int64_t first_seen = 0, last_seen = 0;
    std::vector<std::string> samples;
    bool over_threshold = false;
    std::string last_relayed_queue_id;
    // Across periods
    int64_t window_start = 0;
    uint64_t window_refused = 0, window_sasl = 0;
    bool warned_refused = false, warned_sasl = false;
    int64_t last_activity = 0;  // wall clock
  };

  Source& SourceFor(const std::string& address);
  void ExpireIdle(int64_t now);
  void EvictOne();
  std::optional<ThresholdWarning> CheckThresholds(const std::string& address, Source& source);
  static bool ActiveInPeriod(const Source& source);

  AttemptTrackerOptions options_;
  Clock& clock_;
  std::unordered_map<std::string, Source> sources_;
  int64_t period_start_;
  uint64_t refused_ = 0, sasl_failures_ = 0, relayed_ = 0, lines_ = 0, unknown_lines_ = 0;
  uint64_t evicted_in_period_ = 0, evicted_total_ = 0;
  std::vector<std::string> warnings_;  // this period's, bounded
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_ATTEMPT_TRACKER_H_
