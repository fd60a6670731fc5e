#include "agent/monitor/relay_monitor.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "relayguard/v1/agent_stream.pb.h"

namespace relayguard::agent {
namespace {

namespace pb = ::relayguard::v1;

// Entries read per pass: big enough for a burst, small enough to keep a relay alarm prompt.
constexpr size_t kBatch = 2000;
// How often the trust context is asked for again (a pushed policy changes it).
constexpr std::chrono::seconds kContextRefresh{5};
// The longest wait for the log in Run: the report interval is kept to within it.
constexpr std::chrono::milliseconds kMaxWait{1000};

}  // namespace

bool IsOwnProbe(const OwnProbe& probe, const MonitorEvent& event) {
  if (event.kind == MonitorEventKind::kRelayed) return false;
  if (std::find(probe.sources.begin(), probe.sources.end(), event.client_address) ==
      probe.sources.end()) {
    return false;
  }
  if (event.kind == MonitorEventKind::kSaslFailure) return true;
  for (const std::string& r : event.recipients) {
    const std::string lower = absl::AsciiStrToLower(r);
    if (lower.find(probe.recipient_local) != std::string::npos &&
        lower.find(probe.recipient_domain) != std::string::npos) {
      return true;
    }
  }
  return false;
}

RelayMonitor::RelayMonitor(std::unique_ptr<LogFollower> follower,
                           std::unique_ptr<MtaLogParser> parser,
                           std::unique_ptr<AttemptTracker> tracker, ComplianceQueue& reports,
                           Clock& clock, std::chrono::seconds report_interval,
                           RelayMonitorHooks hooks)
    : follower_(std::move(follower)),
      parser_(std::move(parser)),
      tracker_(std::move(tracker)),
      reports_(reports),
      clock_(clock),
      report_interval_(report_interval),
      hooks_(std::move(hooks)) {}

void RelayMonitor::RefreshContext() {
  const auto now = clock_.Now();
  if (context_at_ != std::chrono::steady_clock::time_point{} && now - context_at_ < kContextRefresh) {
    return;
  }
  context_at_ = now;
  std::optional<RelayContext> context = hooks_.context ? hooks_.context() : std::nullopt;
  if (context.has_value() != context_.has_value() ||
      (context && (context->trusted != context_->trusted ||
                   context->local_domains != context_->local_domains))) {
    if (context) parser_->SetContext(*context);
    context_ = std::move(context);
  }
  own_probe_ = hooks_.own_probe ? hooks_.own_probe() : std::nullopt;
}

size_t RelayMonitor::Poll() {
  RefreshContext();
  std::vector<LogEntry> entries;
  absl::Status s = follower_->Read(entries, kBatch);
  if (!s.ok()) {
    if (std::string(s.message()) != last_error_) {
      Logger("agent.monitor")->warn("{}: {}", follower_->Describe(), s.message());
      last_error_ = std::string(s.message());
    }
    following_ = false;
  } else {
    if (!following_ && !last_error_.empty()) {
      Logger("agent.monitor")->info("{}: following again", follower_->Describe());
    }
    last_error_.clear();
    following_ = true;
  }
  const ParserCounters before = parser_->counters();
  for (const LogEntry& e : entries) Process(e);
  const ParserCounters after = parser_->counters();
  const uint64_t lines = after.lines - before.lines, unknown = after.unknown - before.unknown;
  tracker_->CountLines(lines, unknown);
  if (hooks_.on_lines) hooks_.on_lines(lines, unknown);
  sources_ = tracker_->sources();
  return entries.size();
}

void RelayMonitor::Process(const LogEntry& entry) {
  events_.clear();
  parser_->Feed(entry, events_);
  for (MonitorEvent& e : events_) {
    // Without a policy nobody is known to be trusted: a delivery is not evidence of a relay.
    if (e.kind == MonitorEventKind::kRelayed && !context_) continue;
    if (own_probe_ && IsOwnProbe(*own_probe_, e)) {
      ++own_probe_events_;
      continue;
    }
    if (std::optional<ThresholdWarning> w = tracker_->Record(e)) {
      Logger("agent.monitor")->warn("{}", w->text);
      if (hooks_.on_warning) hooks_.on_warning(w->counter, w->text);
    }
    if (hooks_.on_event) hooks_.on_event(e);
    if (e.kind != MonitorEventKind::kRelayed) continue;
    const auto now = clock_.Now();
    Logger("agent.monitor")
        ->error("RELAY: a message from untrusted, unauthenticated {} [{}] was relayed to {} "
                "(queue id {})",
                e.client_name, e.client_address,
                e.recipients.empty() ? std::string("?") : e.recipients.front(), e.queue_id);
    if (alarmed_ && now - last_alarm_ < kRelayAlarmGap) continue;
    alarmed_ = true;
    last_alarm_ = now;
    if (hooks_.on_relay) hooks_.on_relay(e, follower_->Describe());
    // Saved with the alarm: a restart must not raise it again.
    if (absl::Status s = Checkpoint(); !s.ok()) {
      Logger("agent.monitor")->error("cannot save the log position: {}", s.message());
    }
  }
}

absl::Status RelayMonitor::Checkpoint() {
  pb::AttemptReport report = tracker_->TakeReport(clock_.WallSeconds());
  report.set_log_source(follower_->Describe());
  if (!last_error_.empty()) report.add_warnings(absl::StrCat(follower_->Describe(), ": ", last_error_));
  const bool worth_sending = report.sources_size() > 0 || report.warnings_size() > 0 ||
                             report.refused() > 0 || report.sasl_failures() > 0 ||
                             report.relayed() > 0;
  if (worth_sending) {
    absl::StatusOr<uint64_t> seq = reports_.Push([&](uint64_t n) {
      report.set_seq(n);
      return report.SerializeAsString();
    });
    if (!seq.ok()) return seq.status();
  }
  // Only after the counts are queued: what was read is either reported or read again.
  return follower_->SavePosition();
}

void RelayMonitor::Run(const std::atomic<bool>& stop) {
  Logger("agent.monitor")->info("following {}", follower_->Describe());
  auto next_report = clock_.Now() + report_interval_;
  while (!stop) {
    const size_t n = Poll();
    const auto now = clock_.Now();
    if (now >= next_report) {
      if (absl::Status s = Checkpoint(); !s.ok()) {
        Logger("agent.monitor")->error("cannot queue the attempt report: {}", s.message());
      }
      next_report = now + report_interval_;
    }
    if (n >= kBatch || stop) continue;  // more is waiting
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_report - now);
    follower_->Wait(std::clamp(left, std::chrono::milliseconds(10), kMaxWait));
  }
  Poll();
  if (absl::Status s = Checkpoint(); !s.ok()) {
    Logger("agent.monitor")->error("cannot queue the attempt report at stop: {}", s.message());
  }
}

}  // namespace relayguard::agent
