// relayguard-agent run: the stream to the controller, the scheduled compliance checks, the
// metrics file, and SIGHUP: the configuration read again, applied in place where it can be,
// the stream reconnected when its settings (or the certificate files) changed.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

#include "agent/cli/agent_cli.h"
#include "agent/cli/agent_context.h"
#include "agent/cli/commands/run.h"
#include "agent/cli/run_monitor.h"
#include "agent/cli/run_reload.h"
#include "agent/compliance/compliance_check.h"
#include "agent/compliance/compliance_queue.h"
#include "agent/compliance/compliance_scheduler.h"
#include "agent/metrics/agent_metrics.h"
#include "agent/metrics/metrics_file.h"
#include "agent/monitor/relay_alarm.h"
#include "agent/stream/controller_session.h"
#include "agent/stream/proto_convert.h"
#include "agent/stream/push_handler.h"
#include "common/logging.h"
#include "common/systemd_notify.h"

namespace relayguard::agent {
namespace {

std::atomic<bool> g_stop{false};    // set by SIGTERM/SIGINT
std::atomic<bool> g_reload{false};  // set by SIGHUP
void OnStopSignal(int) { g_stop = true; }
void OnReloadSignal(int) { g_reload = true; }

// The metrics file is rewritten at least this often (its mtime says the agent lives).
std::chrono::seconds MetricsInterval(const RunFlags& r) {
  return std::chrono::seconds(std::min(r.heartbeat_s, 60));
}

void ConfigureMetricsFile(MetricsFile& file, const RunFlags& r) {
  file.Configure(r.metrics_file, MetricsInterval(r));
  if (!r.metrics_file.empty()) {
    Logger("agent.metrics")->info("metrics go to {} (at least every {} s)", r.metrics_file,
                                  MetricsInterval(r).count());
  }
}

// What the stream uses besides the flags: it lives as long as the process.
struct StreamParts {
  ComplianceQueue& queue;
  ComplianceQueue& attempt_queue;
  EnforceState& enforce_state;
  std::mutex& host_mu;
  AgentMetrics& metrics;
  Clock& clock;
};

SessionOptions MakeSessionOptions(const RunFlags& r, const StreamParts& p) {
  SessionOptions options;
  options.controller = r.controller;
  options.host = r.host;
  options.labels = r.labels;
  options.insecure = r.insecure;
  options.ca_file = r.ca_file;
  options.cert_file = r.cert_file;
  options.key_file = r.key_file;
  options.heartbeat_interval = std::chrono::seconds(r.heartbeat_s);
  options.compliance_queue = &p.queue;
  options.attempt_queue = &p.attempt_queue;
  options.enforce_state = &p.enforce_state;
  options.host_mu = &p.host_mu;
  AgentMetrics& metrics = p.metrics;
  Clock& clock = p.clock;
  options.events.connected = [&metrics] { metrics.OnConnected(); };
  options.events.disconnected = [&metrics] { metrics.OnDisconnected(); };
  options.events.transaction = [&metrics, &clock](const TransactionReport& report) {
    metrics.OnTransaction(report, clock.WallSeconds());
  };
  return options;
}

// SIGHUP: reads the configuration again and applies what changed in place. Returns whether the
// stream must reconnect to take the rest. An unusable file changes nothing.
bool Reload(AgentFlags& running, std::string& running_tls, MetricsFile& metrics_file,
            SystemdNotifier& systemd) {
  auto log = Logger("agent.config");
  systemd.Reloading();
  absl::StatusOr<ReloadPlan> plan = ReloadAgentFlags(running, running_tls);
  bool reconnect = false;
  if (!plan.ok()) {
    log->error("SIGHUP: {}; still running on the configuration loaded before",
               plan.status().message());
  } else {
    SetLogLevel(plan->flags.log_level);
    if (plan->flags.run.metrics_file != running.run.metrics_file ||
        plan->flags.run.heartbeat_s != running.run.heartbeat_s) {
      ConfigureMetricsFile(metrics_file, plan->flags.run);
    }
    const std::string what = absl::StrCat(
        "SIGHUP: ",
        plan->config_file.empty() ? "configuration (no file: built-in defaults)"
                                  : "configuration file " + plan->config_file,
        " read again: ", DescribeReload(*plan));
    if (plan->restart.empty()) {
      log->info("{}", what);
    } else {
      log->warn("{}", what);
    }
    reconnect = plan->reconnect();
    running = plan->flags;
    running_tls = plan->tls;
  }
  systemd.Ready("streaming to " + running.run.controller);
  return reconnect;
}

}  // namespace

int RunSession(Agent& a, std::ostream& err) {
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGHUP, OnReloadSignal);
  const std::string policy_path = a.flags.state_dir + "/policy.yaml";
  PushHandler handler(*a.transaction, a.fs, policy_path);
  absl::StatusOr<std::unique_ptr<ComplianceQueue>> queue =
      ComplianceQueue::Open(a.fs, a.flags.state_dir + "/compliance-queue");
  if (!queue.ok()) {
    err << "relayguard-agent: " << queue.status().message() << "\n";
    return kExitRefused;
  }
  // The log monitor's counts wait here for the controller, like the compliance reports.
  absl::StatusOr<std::unique_ptr<ComplianceQueue>> attempt_queue =
      ComplianceQueue::Open(a.fs, a.flags.state_dir + "/attempt-queue");
  if (!attempt_queue.ok()) {
    err << "relayguard-agent: " << attempt_queue.status().message() << "\n";
    return kExitRefused;
  }
  AgentMetrics metrics(RELAYGUARD_VERSION);
  MetricsFile metrics_file(metrics, a.clock);
  ConfigureMetricsFile(metrics_file, a.flags.run);
  EnforceState enforce_state(a.fs, a.flags.state_dir + "/enforce-state");
  std::mutex host_mu;
  ComplianceChecker checker(*a.driver, a.fs, *a.store, a.checker, *a.transaction);
  ComplianceScheduler scheduler(
      SchedulerDeps{checker, **queue, enforce_state, a.fs, a.clock, host_mu,
                    [](const ComplianceResult& r, uint64_t seq) {
                      return ToProto(r, seq).SerializeAsString();
                    },
                    [&metrics](const ComplianceResult& r) { metrics.OnComplianceCheck(r); }},
      a.flags.run.host, policy_path);
  // Checks go on whether or not the controller is reachable; their reports wait in the queue.
  std::thread compliance([&] { scheduler.Run(g_stop); });
  // The log monitor: a relay it sees is reported at once (relay-open, the log lines as the
  // evidence, queued like a check's report) and a check runs at once (enforce re-applies).
  RelayMonitorHooks hooks;
  hooks.on_relay = [&](const MonitorEvent& e, const std::string& log_source) {
    const relayguard::v1::ComplianceReport alarm =
        RelaySeenReport(e, log_source, handler.CachedPolicy(), a.clock.WallSeconds());
    absl::StatusOr<uint64_t> seq = (*queue)->Push([&](uint64_t n) {
      relayguard::v1::ComplianceReport r = alarm;
      r.set_seq(n);
      return r.SerializeAsString();
    });
    if (!seq.ok()) {
      Logger("agent.monitor")->error("cannot queue the relay alarm: {}", seq.status().message());
    }
    scheduler.RequestCheck("relay-seen");
  };
  hooks.on_event = [&metrics](const MonitorEvent& e) { metrics.OnMonitorEvent(e.kind, e.time_s); };
  hooks.on_warning = [&metrics](const std::string& counter, const std::string&) {
    metrics.OnMonitorWarning(counter);
  };
  hooks.on_lines = [&metrics](uint64_t lines, uint64_t unknown) {
    metrics.OnMonitorLines(lines, unknown);
  };
  OwnProbes own_probes(a.clock);
  handler.OnPolicy([&own_probes](const Policy& p) { own_probes.Note(OwnProbeOf(p.probe)); });
  std::string monitor_why;
  std::unique_ptr<RelayMonitor> monitor = MakeRelayMonitor(
      a.flags.run.monitor,
      MonitorParts{*a.driver, a.fs, a.clock, a.flags.state_dir, **attempt_queue,
                   [&handler] { return handler.CachedPolicy(); }, own_probes},
      std::move(hooks), monitor_why);
  if (monitor) {
    Logger("agent.monitor")->info("{}", monitor_why);
  } else {
    Logger("agent.monitor")->warn("{}", monitor_why);
  }
  std::thread monitor_thread([&] {
    if (monitor) monitor->Run(g_stop);
  });
  const StreamParts parts{**queue, **attempt_queue, enforce_state, host_mu, metrics, a.clock};
  AgentFlags running = a.flags;
  // An unreadable file is the session's to report; a reload compares with what was read.
  std::string running_tls = TlsFingerprint(running.run).value_or("");
  SystemdNotifier systemd;  // the state is wired and checks run: ready, connected or not
  systemd.Ready("streaming to " + running.run.controller);
  systemd.StartWatchdog();
  absl::Status s;
  for (bool reconnect = true; reconnect && !g_stop && s.ok();) {
    ControllerSession session(MakeSessionOptions(running.run, parts), handler, *a.driver,
                              *a.store, a.clock);
    std::atomic<bool> session_stop{false}, session_ended{false};
    std::thread stream([&] {
      s = session.Run(session_stop);
      session_ended = true;
    });
    reconnect = false;
    // This thread writes the metrics file (a slow or failing disk never holds up an apply)
    // and takes the signals.
    while (!session_ended) {
      if (g_stop) session_stop = true;
      if (g_reload.exchange(false) &&
          Reload(running, running_tls, metrics_file, systemd)) {
        reconnect = true;
        session_stop = true;
      }
      metrics.SetQueueLength((*queue)->size());
      metrics.SetMonitorState(monitor && monitor->following(),
                              monitor ? monitor->sources_tracked() : 0,
                              (*attempt_queue)->size());
      metrics_file.Tick();
      a.clock.SleepFor(std::chrono::milliseconds(100));
    }
    stream.join();
  }
  systemd.Stopping();
  g_stop = true;
  if (monitor) monitor->Wake();
  monitor_thread.join();
  compliance.join();
  metrics_file.Tick();  // the last word: not connected
  if (!s.ok()) {
    err << "relayguard-agent: " << s.message() << "\n";
    return kExitRefused;
  }
  return kExitOk;
}

}  // namespace relayguard::agent
