// The log monitor of `relayguard-agent run`: follows the MTA's log (a LogFollower), parses each
// line (MtaLogParser), counts per source (AttemptTracker) and, every report interval, queues the
// counts for the controller (AttemptReport, on disk until acknowledged) and saves the log
// position, so that a restart neither loses nor counts a line twice. A message relayed for an
// untrusted, unauthenticated client is critical: `on_relay` is told at once (the caller queues
// the relay-open report and asks for a compliance check), and the position is saved with it.
#ifndef RELAYGUARD_AGENT_MONITOR_RELAY_MONITOR_H_
#define RELAYGUARD_AGENT_MONITOR_RELAY_MONITOR_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "agent/compliance/compliance_queue.h"
#include "agent/monitor/attempt_tracker.h"
#include "agent/monitor/log_follower.h"
#include "agent/monitor/mta_log_parser.h"
#include "common/clock.h"

namespace relayguard::agent {

// The agent's own relay probes (compliance checks, applies) are refused relay attempts and, with
// policy.auth, failed AUTH from the policy's untrusted source: not attacks. They are recognised
// by that source address and, for refusals, the probe's foreign recipient in the recipient (every
// trick encodes it: percent hack, source route, bang path). A relay is never discounted.
struct OwnProbe {
  std::vector<std::string> sources;  // the untrusted source addresses, as text
  std::string recipient_local;       // the foreign recipient's local part, lower case
  std::string recipient_domain;      // and its domain
};
bool IsOwnProbe(const OwnProbe& probe, const MonitorEvent& event);

// The probes the agent ran lately, from every policy it probed with (the cached one, one being
// pushed, one being planned): an apply probes before its policy is cached. Each is kept an hour
// after it was last noted, at most 8. Thread-safe.
class OwnProbes {
 public:
  explicit OwnProbes(Clock& clock) : clock_(clock) {}
  void Note(const OwnProbe& probe);
  std::vector<OwnProbe> Current();

 private:
  Clock& clock_;
  std::mutex mu_;
  std::vector<std::pair<OwnProbe, std::chrono::steady_clock::time_point>> probes_;
};

struct RelayMonitorHooks {
  // Who is trusted and which domains are local, from the policy this host applied; nullopt
  // while there is none (then nothing can be called a relay: only refusals and AUTH failures
  // are counted). Asked every few seconds.
  std::function<std::optional<RelayContext>()> context;
  // The agent's own probes to leave out; asked at every read (keep it cheap).
  std::function<std::vector<OwnProbe>()> own_probes;
  // A relay for an untrusted client was seen (at most one call per kRelayAlarmGap; the others
  // are counted in the reports).
  std::function<void(const MonitorEvent&, const std::string& log_source)> on_relay;
  // Every event, every threshold warning, and the lines read (the agent's metrics). May be empty.
  std::function<void(const MonitorEvent&)> on_event;
  std::function<void(const std::string& counter, const std::string& warning)> on_warning;
  std::function<void(uint64_t lines, uint64_t unknown)> on_lines;
};

// Relay alarms closer together than this are counted, not raised again: a spammer who found an
// open relay sends thousands of messages a minute, and one check closes it.
inline constexpr std::chrono::seconds kRelayAlarmGap{30};

class RelayMonitor {
 public:
  RelayMonitor(std::unique_ptr<LogFollower> follower, std::unique_ptr<MtaLogParser> parser,
               std::unique_ptr<AttemptTracker> tracker, ComplianceQueue& reports, Clock& clock,
               std::chrono::seconds report_interval, RelayMonitorHooks hooks);

  // Reads what the log has now and processes it. Returns the entries read.
  size_t Poll();
  // Queues the period's report (when it saw anything) and saves the log position.
  absl::Status Checkpoint();
  // Poll, wait for the log, checkpoint every report interval, until `stop`; then checkpoint.
  void Run(const std::atomic<bool>& stop);
  // Ends the current wait of Run (shutdown).
  void Wake() { follower_->Wake(); }

  std::string source() const { return follower_->Describe(); }
  // Thread-safe: for the metrics.
  size_t sources_tracked() const { return sources_; }
  bool following() const { return following_; }

 private:
  void Process(const LogEntry& entry);
  // Asks for the context again when kContextRefresh has passed, or now when `force`.
  void RefreshContext(bool force = false);
  // Whether a relay the parser found is one under the newest context (its recipients narrowed
  // to the foreign ones).
  bool StillARelay(MonitorEvent& e);

  std::unique_ptr<LogFollower> follower_;
  std::unique_ptr<MtaLogParser> parser_;
  std::unique_ptr<AttemptTracker> tracker_;
  ComplianceQueue& reports_;
  Clock& clock_;
  const std::chrono::seconds report_interval_;
  RelayMonitorHooks hooks_;
  std::optional<RelayContext> context_;
  std::vector<OwnProbe> own_probes_;
  std::chrono::steady_clock::time_point context_at_{};
  std::chrono::steady_clock::time_point last_alarm_{};
  bool alarmed_ = false;
  std::atomic<bool> following_{false};
  std::atomic<size_t> sources_{0};
  std::string last_error_;
  std::vector<MonitorEvent> events_;  // reused
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_MONITOR_RELAY_MONITOR_H_
