// relayguard-agent run: the stream to the controller and the scheduled compliance checks.
#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

#include "agent/cli/agent_cli.h"
#include "agent/cli/agent_context.h"
#include "agent/compliance/compliance_check.h"
#include "agent/compliance/compliance_queue.h"
#include "agent/compliance/compliance_scheduler.h"
#include "agent/stream/controller_session.h"
#include "agent/stream/proto_convert.h"
#include "agent/stream/push_handler.h"
#include "common/systemd_notify.h"

namespace relayguard::agent {
namespace {

std::atomic<bool> g_stop{false};  // set by SIGTERM/SIGINT; read by the session loop
void OnStopSignal(int) { g_stop = true; }

}  // namespace

int RunSession(Agent& a, std::ostream& err) {
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  const std::string policy_path = a.flags.state_dir + "/policy.yaml";
  PushHandler handler(*a.transaction, a.fs, policy_path);
  absl::StatusOr<std::unique_ptr<ComplianceQueue>> queue =
      ComplianceQueue::Open(a.fs, a.flags.state_dir + "/compliance-queue");
  if (!queue.ok()) {
    err << "relayguard-agent: " << queue.status().message() << "\n";
    return kExitRefused;
  }
  EnforceState enforce_state(a.fs, a.flags.state_dir + "/enforce-state");
  std::mutex host_mu;
  ComplianceChecker checker(*a.driver, a.fs, *a.store, a.checker, *a.transaction);
  ComplianceScheduler scheduler(
      SchedulerDeps{checker, **queue, enforce_state, a.fs, a.clock, host_mu,
                    [](const ComplianceResult& r, uint64_t seq) {
                      return ToProto(r, seq).SerializeAsString();
                    }},
      a.flags.run.host, policy_path);
  // Checks go on whether or not the controller is reachable; their reports wait in the queue.
  std::thread compliance([&] { scheduler.Run(g_stop); });
  SessionOptions options;
  options.controller = a.flags.run.controller;
  options.host = a.flags.run.host;
  options.labels = a.flags.run.labels;
  options.insecure = a.flags.run.insecure;
  options.ca_file = a.flags.run.ca_file;
  options.cert_file = a.flags.run.cert_file;
  options.key_file = a.flags.run.key_file;
  options.heartbeat_interval = std::chrono::seconds(a.flags.run.heartbeat_s);
  options.compliance_queue = queue->get();
  options.enforce_state = &enforce_state;
  options.host_mu = &host_mu;
  ControllerSession session(options, handler, *a.driver, *a.store, a.clock);
  SystemdNotifier systemd;  // the state is wired and checks run: ready, connected or not
  systemd.Ready("streaming to " + options.controller);
  systemd.StartWatchdog();
  absl::Status s = session.Run(g_stop);
  systemd.Stopping();
  g_stop = true;
  compliance.join();
  if (!s.ok()) {
    err << "relayguard-agent: " << s.message() << "\n";
    return kExitRefused;
  }
  return kExitOk;
}

}  // namespace relayguard::agent
