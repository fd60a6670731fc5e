#include "controller/metrics/controller_metrics.h"

#include <map>
#include <type_traits>
#include <variant>

#include "absl/strings/str_split.h"
#include "common/command_line.h"
#include "common/enum_names.h"
#include "common/metrics_text.h"
#include "relayguard/v1/agent_stream.pb.h"

namespace relayguard::controller {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// The command's name in the `command` label.
const char* CommandName(const AgentCommand& command) {
  return std::visit(
      [](const auto& c) -> const char* {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, PushCommand>) return "push";
        if constexpr (std::is_same_v<T, RollbackCommand>) return "rollback";
        if constexpr (std::is_same_v<T, PlanCommand>) return "plan";
        if constexpr (std::is_same_v<T, EnforceHoldCommand>) return "enforce-hold";
        if constexpr (std::is_same_v<T, AttemptAckCommand>) return "attempt-ack";
        return "compliance-ack";
      },
      command);
}

constexpr const char* kCommands[] = {"push", "rollback", "plan", "enforce-hold",
                                     "compliance-ack", "attempt-ack"};

}  // namespace

ControllerMetrics::ControllerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      commands_sent_(BuildCounter()
                         .Name("relayguard_commands_sent_total")
                         .Help("Commands handed to agents' streams, by command (push, rollback, "
                               "plan, enforce-hold, compliance-ack, attempt-ack)")
                         .Register(*registry_)),
      commands_unsent_(BuildCounter()
                           .Name("relayguard_commands_unsent_total")
                           .Help("Commands that could not be sent: the host was offline or its "
                                 "stream refused the write")
                           .Register(*registry_)),
      answers_(BuildCounter()
                   .Name("relayguard_agent_answers_total")
                   .Help("Agents' answers to pushes and rollbacks: answer (ack, nack) and the "
                         "transaction's outcome")
                   .Register(*registry_)),
      rpcs_(BuildCounter()
                .Name("relayguard_grpc_server_handled_total")
                .Help("RPCs finished, by service, method and gRPC status code (errors: "
                      "grpc_code other than OK)")
                .Register(*registry_)),
      store_seconds_(BuildHistogram()
                         .Name("relayguard_store_call_seconds")
                         .Help("How long calls into the SQLite store take (without the wait "
                               "for its lock)")
                         .Register(*registry_)
                         .Add({}, prometheus::Histogram::BucketBoundaries{
                                      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                      0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5})),
      agents_(BuildGauge()
                  .Name("relayguard_agents")
                  .Help("Known hosts by state: online (its agent's stream is open) or offline")
                  .Register(*registry_)),
      rollouts_(BuildGauge()
                    .Name("relayguard_rollouts")
                    .Help("Rollouts in the store by state")
                    .Register(*registry_)),
      rollout_hosts_(BuildGauge()
                         .Name("relayguard_rollout_hosts")
                         .Help("Hosts of running and paused rollouts by phase")
                         .Register(*registry_)),
      compliance_hosts_(BuildGauge()
                            .Name("relayguard_compliance_hosts")
                            .Help("Known hosts by the status of their newest compliance check "
                                  "(unreachable: offline now; never-checked: none reported)")
                            .Register(*registry_)),
      holds_(BuildGauge()
                 .Name("relayguard_enforce_holds")
                 .Help("Enforcement holds in force (a policy version whose enforcement was "
                       "halted fleet-wide)")
                 .Register(*registry_)
                 .Add({})),
      attempts_refused_(BuildCounter()
                            .Name("relayguard_relay_attempts_refused_total")
                            .Help("Relay attempts the hosts' MTAs refused, as their log monitors "
                                  "reported them")
                            .Register(*registry_)
                            .Add({})),
      sasl_failures_(BuildCounter()
                         .Name("relayguard_relay_sasl_failures_total")
                         .Help("Failed SMTP AUTH attempts the hosts' log monitors reported")
                         .Register(*registry_)
                         .Add({})),
      relays_seen_(BuildCounter()
                       .Name("relayguard_relay_seen_total")
                       .Help("Relays for untrusted, unauthenticated clients the hosts' log "
                             "monitors saw (each makes its host relay-open)")
                       .Register(*registry_)
                       .Add({})),
      hosts_relay_seen_(BuildGauge()
                            .Name("relayguard_hosts_relay_seen")
                            .Help("Hosts whose newest compliance status is relay-open because "
                                  "their log monitor saw a relay")
                            .Register(*registry_)
                            .Add({})) {
  BuildGauge()
      .Name("relayguard_build_info")
      .Help("The controller's version")
      .Register(*registry_)
      .Add({{"version", ProjectVersion()}})
      .Set(1);
  // Every series exists from the start, so that rate() sees the first increment.
  for (const char* command : kCommands) {
    commands_sent_.Add({{"command", command}});
    commands_unsent_.Add({{"command", command}});
  }
  for (const char* answer : {"ack", "nack"}) {
    ForEachEnumValue(ApplyOutcome::kApplied, ApplyOutcome::kRollbackFailed, [&](ApplyOutcome o) {
      answers_.Add({{"answer", answer}, {"outcome", ApplyOutcomeName(o)}});
    });
  }
  SetFleetState(ComplianceView{}, {});
}

void ControllerMetrics::CommandSent(const AgentCommand& command, bool sent) {
  (sent ? commands_sent_ : commands_unsent_).Add({{"command", CommandName(command)}}).Increment();
}

void ControllerMetrics::AgentAnswered(bool ack, ApplyOutcome outcome) {
  answers_.Add({{"answer", ack ? "ack" : "nack"}, {"outcome", ApplyOutcomeName(outcome)}})
      .Increment();
}

void ControllerMetrics::StoreCall(std::chrono::nanoseconds elapsed) {
  store_seconds_.Observe(std::chrono::duration<double>(elapsed).count());
}

void ControllerMetrics::AttemptsReported(uint64_t refused, uint64_t sasl_failures) {
  attempts_refused_.Increment(static_cast<double>(refused));
  sasl_failures_.Increment(static_cast<double>(sasl_failures));
}

void ControllerMetrics::RelaySeen() { relays_seen_.Increment(); }

void ControllerMetrics::RpcHandled(const std::string& method, int code) {
  // "/relayguard.v1.OperatorService/StartRollout" -> service and method.
  std::vector<std::string> parts = absl::StrSplit(method, '/', absl::SkipEmpty());
  const std::string service = parts.size() == 2 ? parts[0] : "unknown";
  const std::string name = parts.size() == 2 ? parts[1] : method;
  static constexpr const char* kCodes[] = {
      "OK",           "CANCELLED",          "UNKNOWN",        "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",     "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",          "UNAVAILABLE",    "DATA_LOSS",
      "UNAUTHENTICATED"};
  const std::string code_name =
      code >= 0 && code < static_cast<int>(std::size(kCodes)) ? kCodes[code] : "UNKNOWN";
  rpcs_.Add({{"grpc_service", service}, {"grpc_method", name}, {"grpc_code", code_name}})
      .Increment();
}

void ControllerMetrics::SetFleetState(const ComplianceView& compliance,
                                      const std::vector<RolloutRecord>& rollouts) {
  int online = 0, relay_seen = 0;
  std::map<FleetHostStatus, int> by_status;
  for (const HostComplianceState& host : compliance.fleet.hosts) {
    online += host.online ? 1 : 0;
    ++by_status[host.status];
    // Only relay-open reports are parsed: a handful in a healthy fleet.
    if (host.last && host.last->status == ComplianceStatus::kRelayOpen) {
      relayguard::v1::ComplianceReport report;
      if (report.ParseFromString(host.last->report) && report.has_relay_seen()) ++relay_seen;
    }
  }
  hosts_relay_seen_.Set(relay_seen);
  agents_.Add({{"state", "online"}}).Set(online);
  agents_.Add({{"state", "offline"}})
      .Set(static_cast<double>(compliance.fleet.hosts.size()) - online);
  ForEachEnumValue(FleetHostStatus::kCompliant, FleetHostStatus::kNeverChecked,
               [&](FleetHostStatus s) {
                 compliance_hosts_.Add({{"status", FleetHostStatusName(s)}}).Set(by_status[s]);
               });
  holds_.Set(static_cast<double>(compliance.holds.size()));

  std::map<RolloutStatus, int> by_state;
  std::map<HostPhase, int> by_phase;
  for (const RolloutRecord& r : rollouts) {
    ++by_state[r.state.status];
    if (r.state.status != RolloutStatus::kRunning && r.state.status != RolloutStatus::kPaused) {
      continue;
    }
    for (const auto& [host, progress] : r.state.hosts) ++by_phase[progress.phase];
  }
  ForEachEnumValue(RolloutStatus::kRunning, RolloutStatus::kSucceeded, [&](RolloutStatus s) {
    rollouts_.Add({{"state", RolloutStatusName(s)}}).Set(by_state[s]);
  });
  ForEachEnumValue(HostPhase::kWaiting, HostPhase::kRolledBack, [&](HostPhase p) {
    rollout_hosts_.Add({{"phase", HostPhaseName(p)}}).Set(by_phase[p]);
  });
}

std::string ControllerMetrics::Text() const { return MetricsText(*registry_); }

}  // namespace relayguard::controller
