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

void OwnProbes::Note(const OwnProbe& probe) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = clock_.Now();
  for (auto& [known, at] : probes_) {
    if (known.sources == probe.sources && known.recipient_local == probe.recipient_local &&
        known.recipient_domain == probe.recipient_domain) {
      at = now;
      return;
    }
  }
  if (probes_.size() >= 8) {
    probes_.erase(std::min_element(probes_.begin(), probes_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; }));
  }
  probes_.emplace_back(probe, now);
}

std::vector<OwnProbe> OwnProbes::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = clock_.Now();
  std::vector<OwnProbe> out;
  for (const auto& [probe, at] : probes_) {
    if (now - at < std::chrono::hours(1)) out.push_back(probe);
  }
  return out;
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

void RelayMonitor::RefreshContext(bool force) {
  const auto now = clock_.Now();
  if (context_at_ != std::chrono::steady_clock::time_point{} &&
      now - context_at_ < (force ? std::chrono::seconds(1) : kContextRefresh)) {
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

}

size_t RelayMonitor::Poll() {
  RefreshContext();
  if (hooks_.own_probes) own_probes_ = hooks_.own_probes();
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
    // The parser judged the client when it connected, with the context it had then: the policy
    // may have been applied since (a context is asked for every few seconds). Judge again with
    // the newest; without a policy nobody is known to be trusted, and a delivery is no evidence.
    if (e.kind == MonitorEventKind::kRelayed && !StillARelay(e)) continue;
    if (std::any_of(own_probes_.begin(), own_probes_.end(),
                    [&](const OwnProbe& p) { return IsOwnProbe(p, e); })) {
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

bool RelayMonitor::StillARelay(MonitorEvent& e) {
  RefreshContext(/*force=*/true);
  if (!context_) return false;
  absl::StatusOr<IpAddress> client = ParseIpAddress(e.client_address);
  if (!client.ok()) return false;
  for (const Cidr& trusted : context_->trusted) {
    if (trusted.address.family == client->family && trusted.Contains(*client)) return false;
  }
  std::vector<std::string> foreign;
  for (const std::string& r : e.recipients) {
    const size_t at = r.rfind('@');
    const std::string domain = absl::AsciiStrToLower(at == std::string::npos ? "" : r.substr(at + 1));
    if (std::find(context_->local_domains.begin(), context_->local_domains.end(), domain) ==
        context_->local_domains.end()) {
      foreign.push_back(r);
    }
  }
  e.recipients = std::move(foreign);
  return !e.recipients.empty();
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
