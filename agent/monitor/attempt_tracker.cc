#include "agent/monitor/attempt_tracker.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace relayguard::agent {
namespace {

constexpr size_t kMaxWarnings = 100;

const char* KindWords(const std::string& counter) {
  return counter == "refused" ? "refused relay attempts" : "failed SMTP AUTH attempts";
}

}  // namespace

AttemptTracker::AttemptTracker(AttemptTrackerOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock), period_start_(clock.WallSeconds()) {
  if (options_.max_sources == 0) options_.max_sources = 1;
}

bool AttemptTracker::ActiveInPeriod(const Source& source) {
  return source.refused + source.sasl_failures + source.relayed > 0;
}

AttemptTracker::Source& AttemptTracker::SourceFor(const std::string& address) {
  auto found = sources_.find(address);
  if (found != sources_.end()) return found->second;
  if (sources_.size() >= options_.max_sources) ExpireIdle(clock_.WallSeconds());
  if (sources_.size() >= options_.max_sources) EvictOne();
  return sources_[address];
}

void AttemptTracker::ExpireIdle(int64_t now) {
  for (auto it = sources_.begin(); it != sources_.end();) {
    // A source with counts not yet reported stays until TakeReport.
    if (!ActiveInPeriod(it->second) && it->second.last_activity + options_.idle_expiry_s < now) {
      it = sources_.erase(it);
    } else {
      ++it;
    }
  }
}

void AttemptTracker::EvictOne() {
  // The least active goes (a relayed message outweighs any number of attempts); among equals,
  // the one quiet for longest.
  auto score = [](const Source& s) { return s.refused + s.sasl_failures + 1000000 * s.relayed; };
  auto victim = sources_.begin();
  for (auto it = sources_.begin(); it != sources_.end(); ++it) {
    const uint64_t a = score(it->second), b = score(victim->second);
    if (a < b || (a == b && it->second.last_activity < victim->second.last_activity)) victim = it;
  }
  if (victim == sources_.end()) return;
  if (ActiveInPeriod(victim->second)) ++evicted_in_period_;
  ++evicted_total_;
  sources_.erase(victim);
}

std::optional<ThresholdWarning> AttemptTracker::Record(const MonitorEvent& event) {
  const int64_t now = clock_.WallSeconds();
  const std::string address = event.client_address.empty() ? "unknown" : event.client_address;
  Source& source = SourceFor(address);
  const int64_t t = event.time_s != 0 ? event.time_s : now;
  if (source.first_seen == 0 || t < source.first_seen) source.first_seen = t;
  source.last_seen = std::max(source.last_seen, t);
  source.last_activity = now;
  if (source.window_start == 0 || t >= source.window_start + options_.threshold_window_s) {
    source.window_start = t;
    source.window_refused = source.window_sasl = 0;
    source.warned_refused = source.warned_sasl = false;
  }
  switch (event.kind) {
    case MonitorEventKind::kRefusedRelay:
      ++source.refused;
      ++refused_;
      ++source.window_refused;
      for (const std::string& rcpt : event.recipients) {
        std::string key = absl::AsciiStrToLower(rcpt);
        if (source.recipients.size() < options_.max_recipients) {
          source.recipients.insert(std::move(key));
        } else if (!source.recipients.contains(key)) {
          source.recipients_overflow = true;
        }
      }
      break;
    case MonitorEventKind::kSaslFailure:
      ++source.sasl_failures;
      ++sasl_failures_;
      ++source.window_sasl;
      break;
    case MonitorEventKind::kRelayed:
      // One message relayed to several recipients is one event per recipient: count it once.
      if (event.queue_id.empty() || event.queue_id != source.last_relayed_queue_id) {
        ++source.relayed;
        ++relayed_;
      }
      source.last_relayed_queue_id = event.queue_id;
      break;
  }
  if (source.samples.size() < kMaxSamples && !event.lines.empty()) {
    source.samples.push_back(event.lines.back().substr(0, kMaxSampleBytes));
  }
  return CheckThresholds(address, source);
}

std::optional<ThresholdWarning> AttemptTracker::CheckThresholds(const std::string& address,
                                                                Source& source) {
  ThresholdWarning warning;
  if (options_.refused_per_source > 0 && !source.warned_refused &&
      source.window_refused >= options_.refused_per_source) {
    source.warned_refused = true;
    warning.counter = "refused";
    warning.count = source.window_refused;
  } else if (options_.sasl_failures_per_source > 0 && !source.warned_sasl &&
             source.window_sasl >= options_.sasl_failures_per_source) {
    source.warned_sasl = true;
    warning.counter = "sasl_failures";
    warning.count = source.window_sasl;
  } else {
    return std::nullopt;
  }
  source.over_threshold = true;
  warning.source = address;
  warning.window_s = options_.threshold_window_s;
  warning.text = absl::StrCat(address, ": ", warning.count, " ", KindWords(warning.counter),
                              " within ", warning.window_s, " s");
  if (warnings_.size() < kMaxWarnings) warnings_.push_back(warning.text);
  return warning;
}

void AttemptTracker::CountLines(uint64_t lines, uint64_t unknown_lines) {
  lines_ += lines;
  unknown_lines_ += unknown_lines;
}

relayguard::v1::AttemptReport AttemptTracker::TakeReport(int64_t now) {
  relayguard::v1::AttemptReport report;
  report.set_period_start(period_start_);
  report.set_period_end(now);
  std::vector<std::pair<const std::string*, Source*>> active;
  for (auto& [address, source] : sources_) {
    if (ActiveInPeriod(source)) active.emplace_back(&address, &source);
  }
  // Sources that were relayed for first, then by refused attempts.
  std::sort(active.begin(), active.end(), [](const auto& a, const auto& b) {
    const Source& x = *a.second;
    const Source& y = *b.second;
    if ((x.relayed > 0) != (y.relayed > 0)) return x.relayed > 0;
    if (x.refused != y.refused) return x.refused > y.refused;
    if (x.sasl_failures != y.sasl_failures) return x.sasl_failures > y.sasl_failures;
    return *a.first < *b.first;
  });
  const size_t listed = std::min(active.size(), options_.report_sources);
  for (size_t i = 0; i < listed; ++i) {
    const Source& s = *active[i].second;
    relayguard::v1::SourceAttempts* out = report.add_sources();
    out->set_source(*active[i].first);
    out->set_refused(s.refused);
    out->set_recipients(s.recipients.size());
    out->set_sasl_failures(s.sasl_failures);
    out->set_relayed(s.relayed);
    out->set_first_seen(s.first_seen);
    out->set_last_seen(s.last_seen);
    for (const std::string& sample : s.samples) out->add_samples(sample);
    out->set_over_threshold(s.over_threshold);
  }
  report.set_other_sources(active.size() - listed + evicted_in_period_);
  report.set_refused(refused_);
  report.set_sasl_failures(sasl_failures_);
  report.set_relayed(relayed_);
  report.set_lines(lines_);
  report.set_unknown_lines(unknown_lines_);
  for (const std::string& warning : warnings_) report.add_warnings(warning);
  if (evicted_in_period_ > 0) {
    report.add_warnings(absl::StrCat(evicted_in_period_, " sources were dropped to stay within ",
                                     options_.max_sources,
                                     " tracked sources; the totals still count them"));
  }
  // A new period: per-period counts go, threshold windows stay.
  for (auto& [address, s] : sources_) {
    s.refused = s.sasl_failures = s.relayed = 0;
    s.recipients.clear();
    s.recipients_overflow = false;
    s.first_seen = s.last_seen = 0;
    s.samples.clear();
    s.over_threshold = false;
  }
  period_start_ = now;
  refused_ = sasl_failures_ = relayed_ = lines_ = unknown_lines_ = 0;
  evicted_in_period_ = 0;
  warnings_.clear();
  ExpireIdle(clock_.WallSeconds());
  return report;
}

}  // namespace relayguard::agent
