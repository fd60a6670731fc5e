// The agent's Prometheus metrics (prometheus-cpp's registry): what the last apply and the last
// compliance check found, the relay probe's verdict per listener, the compliance reports
// waiting for the controller, and the stream to the controller. The agent has no inbound port:
// MetricsFile writes them for node_exporter's textfile collector. Knows nothing of files,
// threads or gRPC; the session and the scheduler report events to it.
#ifndef RELAYGUARD_AGENT_METRICS_AGENT_METRICS_H_
#define RELAYGUARD_AGENT_METRICS_AGENT_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/apply/transaction_report.h"
#include "agent/compliance/compliance_check.h"
#include "agent/monitor/log_entry.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace relayguard::agent {

// Every method is thread-safe. Each change of a value bumps generation(), so that the writer
// knows when the file is out of date.
class AgentMetrics {
 public:
  // `version`: the agent's version, for relayguard_agent_build_info.
  explicit AgentMetrics(const std::string& version);

  // A transaction ran at wall time `at` (seconds since the epoch): a pushed apply, a
  // compliance enforcement, a rollback. Apply outcomes set the "last apply" gauges; listeners
  // the transaction probed replace the per-listener verdicts.
  void OnTransaction(const TransactionReport& report, int64_t at);
  // A scheduled compliance check ended (its enforcement, if any, counts as a transaction).
  void OnComplianceCheck(const ComplianceResult& result);
  // A stream to the controller is up (the hello went out); every one after the first is a
  // reconnect.
  void OnConnected();
  // That stream ended.
  void OnDisconnected();
  // Compliance reports waiting to be sent to the controller.
  void SetQueueLength(size_t reports);

  // The log monitor (agent/monitor/relay_monitor.h): lines read, of which `unknown` no rule
  // knew; each event at the wall time `at` of its log line; a threshold warning ("refused",
  // "sasl-failures"); whether it follows a log now, the sources it tracks and its reports
  // waiting for the controller. No per-address series: the addresses go to the controller.
  void OnMonitorLines(uint64_t lines, uint64_t unknown);
  void OnMonitorEvent(MonitorEventKind kind, int64_t at);
  void OnMonitorWarning(const std::string& threshold);
  void SetMonitorState(bool following, size_t sources, size_t queued_reports);

  uint64_t generation() const;
  // The text exposition of every family.
  std::string Text() const;

 private:
  // Replaces the per-listener verdicts with those of the probed listeners in `listeners`
  // (none probed: the old ones stay). With mu_ held.
  void SetListenersLocked(const std::vector<ListenerResult>& listeners, int64_t at);
  void Changed() { ++generation_; }  // with mu_ held

  mutable std::mutex mu_;
  uint64_t generation_ = 1;
  bool ever_connected_ = false;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* connected_;
  prometheus::Counter* reconnects_;
  prometheus::Gauge* queue_reports_;
  std::map<ApplyOutcome, prometheus::Gauge*> last_apply_outcome_;
  prometheus::Gauge* last_apply_time_;
  prometheus::Family<prometheus::Counter>* transactions_;
  std::map<ComplianceStatus, prometheus::Gauge*> last_compliance_status_;
  prometheus::Gauge* last_compliance_time_;
  prometheus::Family<prometheus::Gauge>* listener_verdict_;
  std::vector<prometheus::Gauge*> listener_series_;  // the series of listener_verdict_ now
  prometheus::Gauge* last_probe_time_;
  prometheus::Counter* monitor_lines_;
  prometheus::Counter* monitor_unknown_;
  std::map<MonitorEventKind, prometheus::Counter*> monitor_events_;
  prometheus::Family<prometheus::Counter>* monitor_warnings_;
  prometheus::Gauge* monitor_last_relay_;
  prometheus::Gauge* monitor_following_;
  prometheus::Gauge* monitor_sources_;
  prometheus::Gauge* monitor_queue_;
};

}  // namespace relayguard::agent

#endif  // RELAYGUARD_AGENT_METRICS_AGENT_METRICS_H_
