// The controller's Prometheus metrics: counters that its parts move as things happen
// (ControllerEvents, the gRPC interceptor) and gauges of the fleet's state, set from the store
// and the registry just before each scrape (SetFleetState). Names and labels are documented in
// README.md ("Metrics"). Thread-safe.
#ifndef RELAYGUARD_CONTROLLER_METRICS_CONTROLLER_METRICS_H_
#define RELAYGUARD_CONTROLLER_METRICS_CONTROLLER_METRICS_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "controller/compliance/compliance_tracker.h"
#include "controller/metrics/controller_events.h"
#include "controller/store/records.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace relayguard::controller {

class ControllerMetrics : public ControllerEvents {
 public:
  ControllerMetrics();

  void CommandSent(const AgentCommand& command, bool sent) override;
  void AgentAnswered(bool ack, ApplyOutcome outcome) override;
  void StoreCall(std::chrono::nanoseconds elapsed) override;
  void AttemptsReported(uint64_t refused, uint64_t sasl_failures) override;
  void RelaySeen() override;
  // One RPC finished with `code` (grpc::StatusCode's number); `method` is gRPC's
  // "/package.Service/Method".
  void RpcHandled(const std::string& method, int code);

  // The gauges of the fleet as `compliance` (every known host, online or not, its compliance
  // status, the holds in force) and `rollouts` (every rollout the store holds) show it. Every
  // state is set, to 0 when nothing is in it, so that a series never just disappears. Hosts
  // relay-open by a relay their log monitor saw (the newest check's relay_seen) are counted too.
  void SetFleetState(const ComplianceView& compliance, const std::vector<RolloutRecord>& rollouts);

  // Everything in the text exposition format.
  std::string Text() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& commands_sent_;
  prometheus::Family<prometheus::Counter>& commands_unsent_;
  prometheus::Family<prometheus::Counter>& answers_;
  prometheus::Family<prometheus::Counter>& rpcs_;
  prometheus::Histogram& store_seconds_;
  prometheus::Family<prometheus::Gauge>& agents_;
  prometheus::Family<prometheus::Gauge>& rollouts_;
  prometheus::Family<prometheus::Gauge>& rollout_hosts_;
  prometheus::Family<prometheus::Gauge>& compliance_hosts_;
  prometheus::Gauge& holds_;
  prometheus::Counter& attempts_refused_;
  prometheus::Counter& sasl_failures_;
  prometheus::Counter& relays_seen_;
  prometheus::Gauge& hosts_relay_seen_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_CONTROLLER_METRICS_CONTROLLER_METRICS_H_
