#include "agent/metrics/agent_metrics.h"

#include "common/enum_names.h"
#include "common/metrics_text.h"

namespace relayguard::agent {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

constexpr ProbeVerdict kVerdicts[] = {ProbeVerdict::kRelayAccepted, ProbeVerdict::kRefused,
                                      ProbeVerdict::kInconclusive};

}  // namespace

AgentMetrics::AgentMetrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::Registry& r = *registry_;
  BuildGauge()
      .Name("relayguard_agent_build_info")
      .Help("The relayguard-agent that writes these metrics (always 1; its version is a label)")
      .Register(r)
      .Add({{"version", version}})
      .Set(1);
  connected_ = &BuildGauge()
                    .Name("relayguard_agent_connected")
                    .Help("1 while the agent has a stream to the controller, else 0")
                    .Register(r)
                    .Add({});
  reconnects_ = &BuildCounter()
                     .Name("relayguard_agent_reconnects_total")
                     .Help("Streams to the controller set up again after one was lost (or "
                           "closed for a reload of the agent's configuration)")
                     .Register(r)
                     .Add({});
  queue_reports_ = &BuildGauge()
                        .Name("relayguard_agent_compliance_queue_reports")
                        .Help("Compliance reports waiting to be sent to the controller")
                        .Register(r)
                        .Add({});
  auto& apply_outcome =
      BuildGauge()
          .Name("relayguard_agent_last_apply_outcome")
          .Help("Outcome of the last apply (a pushed policy or a compliance enforcement): 1 "
                "for the outcome it had, 0 for the others; all 0 before the first apply")
          .Register(r);
  ForEachEnumValue(ApplyOutcome::kApplied, ApplyOutcome::kRollbackFailed, [&](ApplyOutcome o) {
    last_apply_outcome_[o] = &apply_outcome.Add({{"outcome", ApplyOutcomeName(o)}});
  });
  last_apply_time_ = &BuildGauge()
                          .Name("relayguard_agent_last_apply_timestamp_seconds")
                          .Help("When the last apply ended, seconds since the epoch; 0 before "
                                "the first")
                          .Register(r)
                          .Add({});
  transactions_ = &BuildCounter()
                       .Name("relayguard_agent_transactions_total")
                       .Help("Transactions on this host's MTA configuration by action (apply, "
                             "rollback) and outcome")
                       .Register(r);
  auto& compliance_status =
      BuildGauge()
          .Name("relayguard_agent_last_compliance_status")
          .Help("Status of the last scheduled compliance check: 1 for the status it found, 0 "
                "for the others; all 0 before the first check")
          .Register(r);
  ForEachEnumValue(ComplianceStatus::kCompliant, ComplianceStatus::kError,
                   [&](ComplianceStatus s) {
                     last_compliance_status_[s] =
                         &compliance_status.Add({{"status", ComplianceStatusName(s)}});
                   });
  last_compliance_time_ = &BuildGauge()
                               .Name("relayguard_agent_last_compliance_check_timestamp_seconds")
                               .Help("When the last compliance check ended, seconds since the "
                                     "epoch; 0 before the first")
                               .Register(r)
                               .Add({});
  listener_verdict_ =
      &BuildGauge()
           .Name("relayguard_agent_listener_relay_verdict")
           .Help("The relay probe's verdict per SMTP listener from the policy's untrusted "
                 "source, as of the last apply or compliance check that probed it: 1 for the "
                 "verdict, 0 for the others (internal listeners are not probed and not listed)")
           .Register(r);
  last_probe_time_ = &BuildGauge()
                          .Name("relayguard_agent_last_probe_timestamp_seconds")
                          .Help("When the listener verdicts were found, seconds since the "
                                "epoch; 0 before the first probe")
                          .Register(r)
                          .Add({});
  monitor_lines_ = &BuildCounter()
                        .Name("relayguard_agent_monitor_lines_total")
                        .Help("Lines of the MTA's log the monitor read")
                        .Register(r)
                        .Add({});
  monitor_unknown_ = &BuildCounter()
                          .Name("relayguard_agent_monitor_unknown_lines_total")
                          .Help("Lines of the MTA's log no rule of the monitor knew (counted, "
                                "not errors)")
                          .Register(r)
                          .Add({});
  auto& events = BuildCounter()
                     .Name("relayguard_agent_monitor_events_total")
                     .Help("What the monitor saw in the MTA's log: refused relay attempts "
                           "(refused-relay), messages relayed for untrusted unauthenticated "
                           "clients (relayed: critical), failed SMTP AUTH (sasl-failure)")
                     .Register(r);
  for (MonitorEventKind k : {MonitorEventKind::kRefusedRelay, MonitorEventKind::kRelayed,
                             MonitorEventKind::kSaslFailure}) {
    monitor_events_[k] = &events.Add({{"event", MonitorEventKindName(k)}});
  }
  monitor_warnings_ = &BuildCounter()
                           .Name("relayguard_agent_monitor_threshold_warnings_total")
                           .Help("Sources that passed a monitor threshold (refused relay "
                                 "attempts or failed AUTH per source within the window)")
                           .Register(r);
  monitor_last_relay_ = &BuildGauge()
                             .Name("relayguard_agent_monitor_last_relay_seen_timestamp_seconds")
                             .Help("When the log last showed a message relayed for an "
                                   "untrusted unauthenticated client; 0 if never")
                             .Register(r)
                             .Add({});
  monitor_following_ = &BuildGauge()
                            .Name("relayguard_agent_monitor_following")
                            .Help("1 while the monitor follows the MTA's log, else 0 (off, or "
                                  "the log cannot be read)")
                            .Register(r)
                            .Add({});
  monitor_sources_ = &BuildGauge()
                          .Name("relayguard_agent_monitor_sources")
                          .Help("Source addresses the monitor tracks now (bounded)")
                          .Register(r)
                          .Add({});
  monitor_queue_ = &BuildGauge()
                        .Name("relayguard_agent_monitor_queue_reports")
                        .Help("Attempt reports waiting to be sent to the controller")
                        .Register(r)
                        .Add({});
}

void AgentMetrics::OnMonitorLines(uint64_t lines, uint64_t unknown) {
  if (lines == 0 && unknown == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  monitor_lines_->Increment(static_cast<double>(lines));
  monitor_unknown_->Increment(static_cast<double>(unknown));
  Changed();
}

void AgentMetrics::OnMonitorEvent(MonitorEventKind kind, int64_t at) {
  std::lock_guard<std::mutex> lock(mu_);
  monitor_events_[kind]->Increment();
  if (kind == MonitorEventKind::kRelayed) monitor_last_relay_->Set(static_cast<double>(at));
  Changed();
}

void AgentMetrics::OnMonitorWarning(const std::string& threshold) {
  std::lock_guard<std::mutex> lock(mu_);
  monitor_warnings_->Add({{"threshold", threshold}}).Increment();
  Changed();
}

void AgentMetrics::SetMonitorState(bool following, size_t sources, size_t queued_reports) {
  std::lock_guard<std::mutex> lock(mu_);
  const double f = following ? 1 : 0, n = static_cast<double>(sources),
               q = static_cast<double>(queued_reports);
  if (monitor_following_->Value() == f && monitor_sources_->Value() == n &&
      monitor_queue_->Value() == q) {
    return;
  }
  monitor_following_->Set(f);
  monitor_sources_->Set(n);
  monitor_queue_->Set(q);
  Changed();
}

void AgentMetrics::OnTransaction(const TransactionReport& report, int64_t at) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string action = report.action.empty() ? "apply" : report.action;
  transactions_->Add({{"action", action}, {"outcome", ApplyOutcomeName(report.outcome)}})
      .Increment();
  if (action == "apply" && report.outcome != ApplyOutcome::kDryRun) {
    for (auto& [outcome, gauge] : last_apply_outcome_) {
      gauge->Set(outcome == report.outcome ? 1 : 0);
    }
    last_apply_time_->Set(static_cast<double>(at));
  }
  SetListenersLocked(report.listeners, at);
  Changed();
}

void AgentMetrics::OnComplianceCheck(const ComplianceResult& result) {
  if (result.enforce_report) OnTransaction(*result.enforce_report, result.checked_at);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [status, gauge] : last_compliance_status_) {
    gauge->Set(status == result.status ? 1 : 0);
  }
  last_compliance_time_->Set(static_cast<double>(result.checked_at));
  SetListenersLocked(result.listeners, result.checked_at);
  Changed();
}

void AgentMetrics::SetListenersLocked(const std::vector<ListenerResult>& listeners, int64_t at) {
  std::vector<const ListenerResult*> probed;
  for (const ListenerResult& l : listeners) {
    if (!l.listener.internal && l.untrusted.has_value()) probed.push_back(&l);
  }
  if (probed.empty()) return;  // e.g. refused before probing: what was found before stands
  for (prometheus::Gauge* series : listener_series_) listener_verdict_->Remove(series);
  listener_series_.clear();
  for (const ListenerResult* l : probed) {
    for (ProbeVerdict v : kVerdicts) {
      prometheus::Gauge& g =
          listener_verdict_->Add({{"listener", l->listener.endpoint.ToString()},
                                  {"role", ListenerRoleName(l->listener.role)},
                                  {"verdict", ProbeVerdictName(v)}});
      g.Set(l->verdict == v ? 1 : 0);
      listener_series_.push_back(&g);
    }
  }
  last_probe_time_->Set(static_cast<double>(at));
}

void AgentMetrics::OnConnected() {
  std::lock_guard<std::mutex> lock(mu_);
  if (ever_connected_) reconnects_->Increment();
  ever_connected_ = true;
  connected_->Set(1);
  Changed();
}

void AgentMetrics::OnDisconnected() {
  std::lock_guard<std::mutex> lock(mu_);
  connected_->Set(0);
  Changed();
}

void AgentMetrics::SetQueueLength(size_t reports) {
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_reports_->Value() == static_cast<double>(reports)) return;
  queue_reports_->Set(static_cast<double>(reports));
  Changed();
}

uint64_t AgentMetrics::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

std::string AgentMetrics::Text() const {
  std::lock_guard<std::mutex> lock(mu_);
  return MetricsText(*registry_);
}

}  // namespace relayguard::agent
